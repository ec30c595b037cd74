#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Throughput benchmark of `kdeleg audit` on synthetic LDIF snapshots.
#
#   tests/bench/run-bench.sh BUILD_DIR [SIZES...]     (default sizes: 100000 1000000)
#
# Environment: RUNS (timed runs per size, default 5), SEED (generator seed, default 1),
# BASELINE (another kdeleg executable, e.g. a build of an older commit: run alternately
# with this one, for a ratio measured side by side),
# TIMER (auto = default, gnu-time, python; see below),
# CHECK (1 = validate a snapshot when it is generated, default 1), PYTHON (default
# /usr/bin/python3, else python3), DESCRIPTORS (0 = snapshots without nTSecurityDescriptor,
# the default; 1 = with owners and DACLs, gen-snapshot.py --descriptors; both = each size
# with and without, alternating run for run). Snapshots are cached in tests/bench/out/,
# keyed by size, seed, descriptors and the generator's own hash. See tests/bench/README.md.

set -euo pipefail

usage() {
	echo "usage: $0 BUILD_DIR [SIZES...]   (env RUNS=5 SEED=1 CHECK=1 DESCRIPTORS=0|1|both)" >&2
	exit 2
}
die() {
	echo "run-bench: $*" >&2
	exit 1
}

[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
BUILD_DIR=$1
shift
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
RUNS=${RUNS:-5}
SEED=${SEED:-1}
CHECK=${CHECK:-1}
DESCRIPTORS=${DESCRIPTORS:-0}
case "$DESCRIPTORS" in
0) VARIANTS=(plain) ;;
1) VARIANTS=(sd) ;;
both) VARIANTS=(plain sd) ;;
*) die "DESCRIPTORS must be 0, 1 or both" ;;
esac
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

for v in "$RUNS" "$SEED" "${SIZES[@]}"; do
	[[ $v =~ ^[0-9]+$ ]] || die "not a non-negative integer: '$v'"
done
[ "$RUNS" -ge 1 ] || die "RUNS must be at least 1"

HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/gen-snapshot.py
OUT=$HERE/out
KD=$BUILD_DIR/kdeleg
[ -x "$KD" ] || die "no executable kdeleg at '$KD' (build it first: meson compile -C $BUILD_DIR)"
BASE_KD=${BASELINE:-}
[ -z "$BASE_KD" ] || [ -x "$BASE_KD" ] || die "BASELINE is not an executable: '$BASE_KD'"
command -v "$PYTHON" > /dev/null || die "python3 not found (set PYTHON=)"
mkdir -p "$OUT"

# Timing. Every measurement writes "WALL_SECONDS MAXRSS_KB" as the last line of the
# file named first and returns the command's exit status. TIMER selects how:
#   auto (default): wall clock from a python wrapper (perf_counter, ms resolution) around
#       /usr/bin/time, which reports the peak RSS of its fork()ed child;
#   gnu-time: both from GNU time (wall in 10 ms steps);
#   python: no GNU time; peak RSS from wait4() on a posix_spawn()ed child, which counts
#       the ~8 MB of the python parent it was vforked from (noise for kdeleg, not for cat).
# GNU time is the Debian package "time" (apt-get install time).
TIMER=${TIMER:-auto}
if [ "$TIMER" = auto ]; then
	if [ -x /usr/bin/time ]; then TIMER=auto; else TIMER=python; fi
fi
case "$TIMER" in
gnu-time)
	[ -x /usr/bin/time ] || die "TIMER=gnu-time needs /usr/bin/time (apt-get install time)"
	TIMER_DESC="GNU time -f '%e %M'"
	measure() {
		local f=$1
		shift
		/usr/bin/time -f '%e %M' -o "$f" "$@"
	}
	;;
auto | python)
	if [ "$TIMER" = auto ]; then
		TIMER_DESC="wall: python perf_counter; peak RSS: GNU time %M"
	else
		TIMER_DESC="wall: python perf_counter; peak RSS: wait4() rusage (includes ~8 MB spawn floor)"
	fi
	measure() {
		local f=$1
		shift
		"$PYTHON" -c '
import os, sys, time
out, mode, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "auto":
    cmd = ["/usr/bin/time", "-f", "%M", "-o", out + ".rss"] + cmd
t = time.perf_counter()
try:
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
except OSError as e:
    sys.exit("run-bench: cannot run %s: %s" % (cmd[0], e))
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
rc = os.waitstatus_to_exitcode(status)
rss = ru.ru_maxrss
if mode == "auto":
    with open(out + ".rss") as f:
        lines = f.read().split()
    rss = int(lines[-1]) if lines and lines[-1].isdigit() else -1
with open(out, "w") as f:
    if rc:
        f.write("Command exited with non-zero status %d\n" % rc)
    f.write("%.4f %d\n" % (wall, rss))
sys.exit(rc if rc >= 0 else 128 - rc)' "$f" "$TIMER" "$@"
	}
	;;
*) die "TIMER must be auto, gnu-time or python" ;;
esac

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RAW=$TMP/raw.tsv
: > "$RAW"
GEN_HASH=$(sha256sum "$GEN" | cut -c1-8)

# snapshot SIZE [plain|sd] -> prints the path of a cached (or freshly generated) snapshot;
# sd: with nTSecurityDescriptor (gen-snapshot.py --descriptors), named snap-N-sSEEDd-HASH
snapshot() {
	local n=$1 variant=${2:-plain} base f tag='' opt=()
	[ "$variant" = sd ] && tag=d opt=(--descriptors)
	base=$OUT/snap-$n-s$SEED$tag-$GEN_HASH
	f=$base.ldif
	if [ ! -s "$f" ] || [ ! -s "$base.json" ]; then
		# Drop snapshots of this size, seed and kind made by an older generator.
		rm -f "$OUT/snap-$n-s$SEED$tag-"*.ldif "$OUT/snap-$n-s$SEED$tag-"*.json
		echo "run-bench: generating $n accounts (seed $SEED${tag:+, descriptors}) -> ${f#"$HERE"/}" >&2
		local chk=()
		[ "$CHECK" = 1 ] && chk=(--check)
		if ! "$PYTHON" "$GEN" --accounts "$n" --seed "$SEED" "${opt[@]}" --out "$f" \
			--manifest "$base.json" "${chk[@]}" 2> "$TMP/gen.err"; then
			cat "$TMP/gen.err" >&2
			rm -f "$f" "$base.json"
			die "snapshot generation failed for $n accounts"
		fi
		grep '^gen-snapshot:' "$TMP/gen.err" >&2 || true
	fi
	echo "$f"
}

# last line of a measure output file: "WALL RSS"
read_measure() {
	tail -n1 "$1" | tr ' ' '\t'
}

# kdeleg's way to discard its report: -o /dev/null when supported, else stdout redirect.
# Probed on a small snapshot, which doubles as a smoke test.
KD_STDOUT=$TMP/kdeleg.out
KD_ERR=$TMP/kdeleg.err
probe=$(snapshot 1000 "${VARIANTS[-1]}")
OUTMODE=
rc=0
"$KD" audit --ldif "$probe" --format json -o "$TMP/probe.json" > "$KD_STDOUT" 2> "$KD_ERR" || rc=$?
if [ "$rc" -eq 0 ] && [ -s "$TMP/probe.json" ]; then
	OUTMODE=dash-o
else
	rm -f "$TMP/probe.json"
	rc2=0
	"$KD" audit --ldif "$probe" --format json > "$TMP/probe.json" 2> "$KD_ERR" || rc2=$?
	if [ "$rc2" -eq 0 ] && [ -s "$TMP/probe.json" ]; then
		OUTMODE=stdout
	else
		echo "run-bench: kdeleg failed on the 1000-account probe snapshot ${probe#"$HERE"/}" >&2
		echo "  with -o FILE: exit $rc; with stdout: exit $rc2 (a report is required); stderr:" >&2
		tail -n 20 "$KD_ERR" | sed 's/^/    /' >&2
		exit 1
	fi
fi

run_kdeleg() { # run_kdeleg MEASUREFILE LDIF [EXECUTABLE]
	local kd=${3:-$KD}
	if [ "$OUTMODE" = dash-o ]; then
		measure "$1" "$kd" audit --ldif "$2" --format json -o /dev/null > "$KD_STDOUT" 2> "$KD_ERR"
	else
		measure "$1" "$kd" audit --ldif "$2" --format json > /dev/null 2> "$KD_ERR"
	fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo '?')
NOTES=$TMP/notes
: > "$NOTES"
# Row names in RAW: kdeleg, baseline, wc, cat; with descriptors the same with "-sd".
for n in "${SIZES[@]}"; do
	declare -A FILE=() BYTES=()
	for v in "${VARIANTS[@]}"; do
		FILE[$v]=$(snapshot "$n" "$v")
		BYTES[$v]=$(stat -c %s "${FILE[$v]}")
		cat "${FILE[$v]}" > /dev/null # warm the page cache: every number is a warm-cache number
	done
	entries=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"])' \
		"${FILE[${VARIANTS[0]}]%.ldif}.json")
	what=
	case "$DESCRIPTORS" in
	1) what=" (with descriptors)" ;;
	both) what=" (without and with descriptors)" ;;
	esac
	echo "run-bench: $n accounts$what: $RUNS x kdeleg, wc -l, cat" >&2
	for ((r = 1; r <= RUNS; r++)); do
		for v in "${VARIANTS[@]}"; do
			f=${FILE[$v]} sfx=''
			[ "$v" = sd ] && sfx=-sd
			rc=0
			run_kdeleg "$TMP/m" "$f" || rc=$?
			if [ "$rc" -ne 0 ]; then
				echo "run-bench: kdeleg exited $rc on ${f#"$HERE"/} (run $r):" >&2
				head -n 3 "$TMP/m" | grep -v '^[0-9.]* [0-9]*$' | sed 's/^/    /' >&2 || true
				echo "  its stderr (last 20 lines):" >&2
				tail -n 20 "$KD_ERR" | sed 's/^/    /' >&2
				echo "  reproduce: $KD audit --ldif $f --format json > /dev/null" >&2
				exit 1
			fi
			printf '%s\tkdeleg%s\t%s\t%s\t%s\t%s\n' "$n" "$sfx" "${BYTES[$v]}" "$entries" "$(read_measure "$TMP/m")" "$r" >> "$RAW"
			[ -n "$BASE_KD" ] || continue
			run_kdeleg "$TMP/m" "$f" "$BASE_KD" || die "BASELINE $BASE_KD failed on ${f#"$HERE"/} (run $r)"
			printf '%s\tbaseline%s\t%s\t%s\t%s\t%s\n' "$n" "$sfx" "${BYTES[$v]}" "$entries" "$(read_measure "$TMP/m")" "$r" >> "$RAW"
		done
	done
	if [ -s "$KD_ERR" ]; then # e.g. phase timings kdeleg prints on stderr
		# shellcheck disable=SC2016 # literal backquotes for Markdown
		printf -- '- kdeleg stderr, last run on %s accounts: `%s`\n' "$n" \
			"$(tr '\n`' ' \047' < "$KD_ERR" | cut -c1-300)" >> "$NOTES"
	fi
	for v in "${VARIANTS[@]}"; do
		f=${FILE[$v]} sfx=''
		[ "$v" = sd ] && sfx=-sd
		for ((r = 1; r <= RUNS; r++)); do
			measure "$TMP/m" wc -l "$f" > /dev/null || die "wc -l failed on $f"
			printf '%s\twc%s\t%s\t%s\t%s\t%s\n' "$n" "$sfx" "${BYTES[$v]}" "$entries" "$(read_measure "$TMP/m")" "$r" >> "$RAW"
			measure "$TMP/m" cat "$f" > /dev/null || die "cat failed on $f"
			printf '%s\tcat%s\t%s\t%s\t%s\t%s\n' "$n" "$sfx" "${BYTES[$v]}" "$entries" "$(read_measure "$TMP/m")" "$r" >> "$RAW"
		done
	done
done

# ---- report -----------------------------------------------------------------------------
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2> /dev/null | sed 's/^[^:]*: *//' || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo 2> /dev/null || true)
kdver=$("$KD" --version 2> /dev/null | head -n1 || true)
commit=$(git -C "$HERE" describe --always --dirty 2> /dev/null || echo unknown)
buildinfo=$(meson introspect "$BUILD_DIR" --buildoptions 2> /dev/null | "$PYTHON" -c '
import json, sys
try:
    o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
except Exception:
    sys.exit(0)
print("buildtype=%s optimization=%s b_ndebug=%s b_sanitize=%s arena_malloc=%s" % tuple(
    o.get(k, "?") for k in ("buildtype", "optimization", "b_ndebug", "b_sanitize", "arena_malloc")))
' 2> /dev/null || true)

REPORT=$OUT/bench-$(date -u +%Y%m%dT%H%M%SZ).md
{
	echo "## kdeleg audit benchmark"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- machine: ${cpu:-unknown CPU}, nproc $(nproc), ${mem:-? GB} RAM, $(uname -sr)"
	echo "- kdeleg: ${kdver:-version unknown}, commit $commit, build ${buildinfo:-options unknown (no meson introspect)}"
	echo "- command: \`kdeleg audit --ldif FILE --format json $([ "$OUTMODE" = dash-o ] && echo '-o /dev/null' || echo '> /dev/null')\`; $RUNS runs per row; warm page cache; timer: $TIMER_DESC"
	case "$DESCRIPTORS" in
	0) sdnote= ;;
	1) sdnote="; with nTSecurityDescriptor (--descriptors)" ;;
	both) sdnote="; each size without and with nTSecurityDescriptor (--descriptors), alternating run for run" ;;
	esac
	echo "- snapshots: gen-snapshot.py seed $SEED (generator $GEN_HASH)$sdnote; MB = 10^6 bytes"
	if [ -n "$BASE_KD" ]; then
		echo "- baseline: \`$BASE_KD\` ($("$BASE_KD" --version 2> /dev/null | head -n1 || echo 'version unknown')), run alternately with kdeleg, run for run"
	fi
	echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo '?') (above nproc = contended, numbers unreliable)"
	echo
	"$PYTHON" - "$RAW" << 'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    n, tool, size, entries, wall, rss, _ = line.split("\t")
    rows.setdefault((int(n), tool), []).append((float(wall), int(rss), int(size), int(entries)))
print("| accounts | program | file MB | entries | median wall s | min / max wall s "
      "| median peak RSS MB | MB/s | × cat |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
label = {"kdeleg": "kdeleg audit", "baseline": "baseline kdeleg audit",
         "wc": "wc -l (I/O floor)", "cat": "cat > /dev/null (I/O floor)",
         "kdeleg-sd": "kdeleg audit, descriptors", "baseline-sd": "baseline kdeleg audit, descriptors",
         "wc-sd": "wc -l (I/O floor, descriptors)", "cat-sd": "cat > /dev/null (I/O floor, descriptors)"}
med = lambda n, tool, i=0: statistics.median(x[i] for x in rows[(n, tool)])
ratios, sd_ratios = [], []
for n in sorted({k[0] for k in rows}):
    for sfx in ("", "-sd"):
        if (n, "cat" + sfx) not in rows:
            continue
        cat_med = med(n, "cat" + sfx)
        if (n, "baseline" + sfx) in rows:
            ratios.append((n, sfx, med(n, "kdeleg" + sfx) / med(n, "baseline" + sfx)))
        for tool in ("kdeleg", "baseline", "wc", "cat"):
            if (n, tool + sfx) not in rows:
                continue
            r = rows[(n, tool + sfx)]
            walls = [x[0] for x in r]
            m = statistics.median(walls)
            rss = statistics.median(x[1] for x in r) / 1024
            mb = r[0][2] / 1e6
            rate = ("%.0f" if mb / m >= 10 else "%.1f") % (mb / m) if m > 0 else "∞"
            ratio = "%.1f" % (m / cat_med) if cat_med > 0 else "n/a"
            print("| %d | %s | %.1f | %d | %.3f | %.3f / %.3f | %.1f | %s | %s |" % (
                n, label[tool + sfx], mb, r[0][3], m, min(walls), max(walls), rss, rate, ratio))
    if (n, "kdeleg") in rows and (n, "kdeleg-sd") in rows:
        sd_ratios.append((n, med(n, "kdeleg-sd") / med(n, "kdeleg"),
                          med(n, "kdeleg-sd", 1) / med(n, "kdeleg", 1)))
if ratios:
    print()
    print("kdeleg / baseline, median wall: " +
          ", ".join("%.3f at %d accounts%s" % (x, n, " with descriptors" if sfx else "")
                    for n, sfx, x in ratios))
if sd_ratios:
    print()
    print("with descriptors / without, kdeleg median wall: " +
          ", ".join("%.2f at %d accounts" % (x, n) for n, x, _ in sd_ratios) +
          "; median peak RSS: " + ", ".join("%.2f at %d" % (y, n) for n, _, y in sd_ratios))
EOF
	if [ -s "$NOTES" ]; then
		echo
		cat "$NOTES"
	fi
} | tee "$REPORT"
echo >&2
echo "run-bench: report saved to ${REPORT#"$HERE"/}" >&2
