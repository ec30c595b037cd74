#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Live-collection benchmark (issue #3): `kdeleg audit -H` against a throwaway Samba AD DC
# bulk-loaded with N accounts, next to ldapsearch fetching README's snapshot (the client
# stack's floor; with owners and DACLs, as README asks for them since issue 9, and without)
# and impacket's findDelegation.py (the peer tool), alternating, in one run. Since issue 12
# kdeleg runs once for each of CONNECTIONS (`--connections N`), and a targeted ldapsearch
# (SPN holders, delegation carriers, adminCount=1, RBCD holders and the domain, without
# descriptors: issue 12's reference) joins the rounds. kdeleg's own runs use its default
# plan (targeted since issue 12); `kdeleg audit -H --full` (one connection) joins the rounds
# when the build has it, and the untimed pass fails the run when the targeted and full
# findings differ (fingerprints included).
#
#   tests/bench/run-live-bench.sh BUILD_DIR|KDELEG [SIZES...]   (default sizes: 10000 50000)
#
# Environment: RUNS (timed runs of each program per size, default 5), SEED (bulk-load.py
# seed, default 1), PAGE (page size for kdeleg and ldapsearch, default 1000), CONNECTIONS
# (kdeleg's --connections values, default "1 2 4"; ignored by a kdeleg without it), IMPACKET
# (0 skips findDelegation.py), BASELINE (another kdeleg executable or build directory, e.g.
# a build of an older commit: run alternately with the one under test, for a ratio
# measured side by side), and lab.sh's KD_LAB_* (KD_LAB_KEEP defaults to 0 here: a
# 50k lab is ~0.5 GB). Needs root and what lab.sh needs, plus GNU time (package "time")
# and, for the peer, python3-impacket. Sizes are loaded incrementally into one lab (the
# 10k accounts of a 10k run are the first 10k of the 50k run). See tests/bench/README.md.
#
# Exit: 0; 1 if a kdeleg run failed or reported no finding (or the lab failed); 2 usage;
# 77 this machine cannot run a lab.

set -uo pipefail

usage() {
	echo "usage: $0 BUILD_DIR|KDELEG [SIZES...]   (env RUNS=5 SEED=1 PAGE=1000 IMPACKET=1 BASELINE=)" >&2
	exit 2
}
die() {
	echo "run-live-bench: $*" >&2
	exit 1
}
say() { echo "run-live-bench: $*" >&2; }

[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
if [ -d "$1" ]; then KD=$1/kdeleg BUILD_DIR=$1; else KD=$1 BUILD_DIR=; fi
shift
[ -x "$KD" ] || die "no executable kdeleg at '$KD' (build it first)"
KD=$(cd "$(dirname "$KD")" && pwd)/$(basename "$KD")
BASE_KD=${BASELINE:-} BASE_BUILD_DIR=
if [ -n "$BASE_KD" ]; then
	if [ -d "$BASE_KD" ]; then BASE_BUILD_DIR=$BASE_KD BASE_KD=$BASE_KD/kdeleg; fi
	[ -x "$BASE_KD" ] || die "BASELINE is not an executable kdeleg: '$BASE_KD'"
	BASE_KD=$(cd "$(dirname "$BASE_KD")" && pwd)/$(basename "$BASE_KD")
	if [ -z "$BASE_BUILD_DIR" ] && [ -r "$(dirname "$BASE_KD")/meson-info/meson-info.json" ]; then
		BASE_BUILD_DIR=$(dirname "$BASE_KD")
	fi
fi
RUNS=${RUNS:-5}
SEED=${SEED:-1}
PAGE=${PAGE:-1000}
IMPACKET=${IMPACKET:-1}
read -r -a CONNS <<<"${CONNECTIONS:-1 2 4}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 50000)
for v in "$RUNS" "$SEED" "$PAGE" "${SIZES[@]}" "${CONNS[@]}"; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "run-live-bench: not a non-negative integer: '$v'" >&2; usage; }
done
{ [ "$RUNS" -ge 1 ] && [ "$PAGE" -ge 1 ]; } || usage
# Ascending and distinct: each size extends the domain of the one before.
mapfile -t SIZES < <(printf '%s\n' "${SIZES[@]}" | sort -nu)
[ "${SIZES[0]}" -ge 1 ] || usage

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out
PY=/usr/bin/python3
FINDDELEG=/usr/share/doc/python3-impacket/examples/findDelegation.py
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (apt-get install time)"
mkdir -p "$OUT" || exit 1

# Is the live collector in this build? (a) is skipped, not failed, when it is not.
# (The help is read whole first: `kdeleg --help | grep -q` can die of SIGPIPE, and then
# pipefail says "not found".)
KD_LIVE=0
KD_ARGS=()
help=$("$KD" audit --help 2>/dev/null)
if grep -q -- '--uri' <<<"$help"; then
	KD_LIVE=1
	grep -q -- '--page-size' <<<"$help" && KD_ARGS=(--page-size "$PAGE")
	grep -q -- '--quiet' <<<"$help" && KD_ARGS+=(--quiet)
fi
# kdeleg runs once per connection count; a build without --connections runs as "c-"
grep -q -- '--connections' <<<"$help" || CONNS=(-)
# issue 12: the targeted plan is the default; --full (one connection) reads every account
KD_FULL=0
grep -q -- '--full' <<<"$help" && KD_FULL=1
NOTES=()
[ "$KD_LIVE" = 1 ] || NOTES+=("kdeleg at $KD has no \`audit -H\` (the live collector is not in this build): (a) skipped")
BASE_ARGS=()
if [ -n "$BASE_KD" ]; then
	help=$("$BASE_KD" audit --help 2>/dev/null)
	if grep -q -- '--uri' <<<"$help"; then
		grep -q -- '--page-size' <<<"$help" && BASE_ARGS=(--page-size "$PAGE")
		grep -q -- '--quiet' <<<"$help" && BASE_ARGS+=(--quiet)
	else
		NOTES+=("BASELINE $BASE_KD has no \`audit -H\`: skipped")
		BASE_KD=
	fi
fi
if [ "$IMPACKET" = 1 ] && [ ! -r "$FINDDELEG" ]; then
	IMPACKET=0
	NOTES+=("findDelegation.py not found at $FINDDELEG (apt-get install python3-impacket): (c) skipped")
fi

export KD_LAB_KEEP=${KD_LAB_KEEP:-0}
. "$TOP/tests/integration/lab.sh"
lab_check || exit $?
TMP=$(mktemp -d /tmp/kdeleg-live-bench.XXXXXX) || exit 1
# shellcheck disable=SC2016 # expanded when the trap runs
lab_trap 'rm -rf "$TMP"'

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW=$OUT/live-bench-$STAMP.tsv
REPORT=$OUT/live-bench-$STAMP.md
printf 'accounts\tprogram\trun\twall_s\tmaxrss_kb\texit\n' >"$RAW"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FAILED=0

lab_up || exit 1
# findDelegation -k learns the DC's name over anonymous SMB (so the bench lab runs smbd,
# which lab.sh leaves out), binds with Kerberos without signing over ldap://, and on
# "stronger auth required" retries over ldaps://, which Samba allows only with
# allow_sasl_over_tls. Neither matters to kdeleg and ldapsearch, which sign and seal.
lab_stop_dc || exit 1
lab_set_option 'ldap server require strong auth = allow_sasl_over_tls' || exit 1
if [ "$IMPACKET" = 1 ]; then
	lab_set_option 'server services = s3fs, rpc, ldap, cldap, kdc, dns' || exit 1
fi

# The README's snapshot ("Making a snapshot", since issue 9): the search with the SD-flags
# control (OWNER|DACL of nTSecurityDescriptor), the domain's crossRef (its NetBIOS name) and
# the sPNMappings base read, as one measured command. Without descriptors: the same search
# without the control and without nTSecurityDescriptor (what a collector that does not read
# owners and DACLs fetches), the same two small reads.
FILTER='(|(objectClass=user)(objectClass=computer)(objectClass=group)(objectClass=domain)(objectClass=trustedDomain))'
ATTRS_NOSD='objectClass sAMAccountName objectSid userAccountControl servicePrincipalName msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity memberOf member primaryGroupID adminCount dNSHostName msDS-SupportedEncryptionTypes ms-DS-MachineAccountQuota msDS-Behavior-Version sIDHistory trustPartner trustAttributes trustDirection trustType'
ATTRS="$ATTRS_NOSD nTSecurityDescriptor"
SD_FLAGS='1.2.840.113556.1.4.801=::MAMCAQU='
# sh -c's own positional parameters: URI host, page, base, filter, attributes, configuration
# base, output file, and the -E SD-flags control or an empty string.
# shellcheck disable=SC2016
LDAPSEARCH_SH='ldapsearch -LLL -o ldif-wrap=no -Y GSSAPI -H "ldap://$1" -E "pr=$2/noprompt" ${8:+-E "$8"} -b "$3" "$4" $5 >"$7" &&
ldapsearch -LLL -o ldif-wrap=no -Y GSSAPI -H "ldap://$1" -b "CN=Partitions,$6" -s one "(&(objectClass=crossRef)(nCName=$3))" nCName nETBIOSName >>"$7" &&
ldapsearch -LLL -o ldif-wrap=no -Y GSSAPI -H "ldap://$1" -b "CN=Directory Service,CN=Windows NT,CN=Services,$6" -s base sPNMappings >>"$7"'

# measure PROGRAM SIZE RUN CMD...: time CMD inside the namespace; a row in RAW.
measure() {
	local prog=$1 n=$2 r=$3 rc=0 wall rss
	shift 3
	lab_exec /usr/bin/time -f '%e %M' -o "$TMP/time" "$@" || rc=$?
	read -r wall rss < <(tail -n1 "$TMP/time")
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$prog" "$r" "${wall:-nan}" "${rss:-0}" "$rc" >>"$RAW"
	return "$rc"
}
run_kdeleg() { # SIZE RUN OUTPUT [CONNECTIONS]: "kdeleg-cN" in RAW (plain "kdeleg" without N)
	local c=${4:--} args=()
	[ "$c" = - ] || args=(--connections "$c")
	measure "kdeleg${4:+-c$4}" "$1" "$2" "$KD" audit -H "ldap://$LAB_FQDN" "${KD_ARGS[@]}" \
		"${args[@]}" -f json -o "$3" >"$TMP/kdeleg.out" 2>"$TMP/kdeleg.err"
}
run_kdeleg_full() { # SIZE RUN OUTPUT: the whole collection, one connection
	measure kdeleg-full "$1" "$2" "$KD" audit -H "ldap://$LAB_FQDN" "${KD_ARGS[@]}" --full \
		-f json -o "$3" >"$TMP/kdeleg.out" 2>"$TMP/kdeleg.err"
}
# Both reports' findings, fingerprints included, as sorted JSON lines: equal or not.
same_findings() { # A.json B.json
	"$PY" -c 'import json, sys
f = [sorted(json.dumps(x, sort_keys=True) for x in json.load(open(p))["findings"]) for p in sys.argv[1:3]]
sys.exit(f[0] != f[1])' "$1" "$2"
}
run_baseline() { # SIZE RUN OUTPUT
	measure baseline "$1" "$2" "$BASE_KD" audit -H "ldap://$LAB_FQDN" "${BASE_ARGS[@]}" \
		-f json -o "$3" >"$TMP/kdeleg.out" 2>"$TMP/kdeleg.err"
}
run_ldapsearch() { # SIZE RUN [OUTPUT]: README's snapshot, with owners and DACLs
	measure ldapsearch "$1" "$2" sh -c "$LDAPSEARCH_SH" sh "$LAB_FQDN" "$PAGE" "$LAB_BASE" \
		"$FILTER" "$ATTRS" "$LAB_CONFIG_BASE" "${3:-/dev/null}" "$SD_FLAGS" 2>"$TMP/ldapsearch.err"
}
run_ldapsearch_nosd() { # SIZE RUN [OUTPUT]: the same without the control and the attribute
	measure ldapsearch-nosd "$1" "$2" sh -c "$LDAPSEARCH_SH" sh "$LAB_FQDN" "$PAGE" "$LAB_BASE" \
		"$FILTER" "$ATTRS_NOSD" "$LAB_CONFIG_BASE" "${3:-/dev/null}" "" 2>"$TMP/ldapsearch.err"
}
# Issue 12's targeted search: what a collector asking only for delegation carriers reads.
# (TRUSTED_FOR_DELEGATION 0x80000 | TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000, LDAP_MATCHING_RULE_BIT_OR)
TARGETED='(|(servicePrincipalName=*)(userAccountControl:1.2.840.113556.1.4.804:=17301504)(msDS-AllowedToDelegateTo=*)(msDS-AllowedToActOnBehalfOfOtherIdentity=*)(adminCount=1)(objectClass=domain))'
run_ldapsearch_targeted() { # SIZE RUN [OUTPUT]
	measure ldapsearch-targeted "$1" "$2" sh -c "$LDAPSEARCH_SH" sh "$LAB_FQDN" "$PAGE" \
		"$LAB_BASE" "$TARGETED" "$ATTRS_NOSD" "$LAB_CONFIG_BASE" "${3:-/dev/null}" "" \
		2>"$TMP/ldapsearch.err"
}
# kdeleg's JSON report -> "FINDINGS ENTRIES COMPLETE RBCD_WRITABLE"
report_counts() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
w = sum(1 for f in d.get("findings", ()) if f.get("rule") == "rbcd-writable")
print("%d %d %s %d" % (c["findings"], c["entries"], d.get("complete"), w))' "$1"
}
run_impacket() { # SIZE RUN
	measure findDelegation "$1" "$2" "$PY" "$FINDDELEG" -k -no-pass "$LAB_REALM/$LAB_ADMIN" \
		>"$TMP/fd.out" 2>"$TMP/fd.err"
}
# findDelegation.py exits 0 after printing an error; it worked if it printed its table.
impacket_ok() { grep -q -e '^AccountName' -e '^No entries found' "$TMP/fd.out"; }
impacket_rows() { awk '/^-+ +-+/ { t = 1; next } t && NF { n++ } END { print n + 0 }' "$TMP/fd.out"; }

loaded=0
declare -A INFO
for n in "${SIZES[@]}"; do
	# ---- load: the DC is stopped here (first pass: stopped above) -------------------
	lab_dc_pid >/dev/null && { lab_stop_dc || exit 1; }
	say "loading accounts $loaded..$((n - 1)) (DC stopped)"
	t0=$(date +%s.%N)
	lab_exec "$PY" "$HERE/bulk-load.py" "$LAB_SMBCONF" --start "$loaded" \
		--count $((n - loaded)) --seed "$SEED" --batch 10000 --manifest "$TMP/bulk.json" \
		2> >(tee "$TMP/bulk.err" >&2) || lab_fail "bulk-load.py failed" || exit 1
	INFO[$n,load]=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v c=$((n - loaded)) \
		'BEGIN { printf "%d accounts in %.0f s (%.0f/s)", c, b - a, c / (b - a) }')
	INFO[$n,mix]=$(tail -n1 "$TMP/bulk.err" | sed 's/.*totals //')
	loaded=$n
	lab_start_dc || exit 1
	INFO[$n,db]=$(du -sm "$LAB_PRIVATE/sam.ldb.d" | cut -f1)

	# ---- untimed pass: warms the DC, checks every program works ---------------------
	lab_exec kvno "ldap/$LAB_FQDN" >>"$LAB_LOG" 2>&1 || lab_fail "kvno ldap/$LAB_FQDN failed" || exit 1
	run_ldapsearch "$n" 0 "$TMP/snap.ldif" ||
		lab_fail "ldapsearch exited $?: $(tail -n3 "$TMP/ldapsearch.err")" || exit 1
	INFO[$n,bytes]=$(stat -c %s "$TMP/snap.ldif")
	INFO[$n,sds]=$(grep -c '^nTSecurityDescriptor::' "$TMP/snap.ldif")
	run_ldapsearch_nosd "$n" 0 "$TMP/snap.ldif" ||
		lab_fail "ldapsearch (no descriptors) exited $?: $(tail -n3 "$TMP/ldapsearch.err")" || exit 1
	INFO[$n,bytes_nosd]=$(stat -c %s "$TMP/snap.ldif")
	run_ldapsearch_targeted "$n" 0 "$TMP/snap.ldif" ||
		lab_fail "targeted ldapsearch exited $?: $(tail -n3 "$TMP/ldapsearch.err")" || exit 1
	INFO[$n,targeted]=$(grep -c '^dn:' "$TMP/snap.ldif")
	rm -f "$TMP/snap.ldif"
	INFO[$n,entries]=$(lab_exec ldapsearch -LLL -o ldif-wrap=no -Y GSSAPI -H "ldap://$LAB_FQDN" \
		-E "pr=$PAGE/noprompt" -b "$LAB_BASE" "$FILTER" 1.1 2>/dev/null | grep -c '^dn:')
	if [ "$KD_LIVE" = 1 ]; then
		if run_kdeleg "$n" 0 "$TMP/report.json"; then
			INFO[$n,kd]=$(report_counts "$TMP/report.json")
			read -r f e c _ <<<"${INFO[$n,kd]}"
			if [ "$f" -eq 0 ] || [ "$c" != True ]; then
				say "kdeleg on $n accounts: $f findings, complete=$c"
				FAILED=1
			fi
		else
			say "kdeleg audit -H failed on $n accounts (exit $(tail -n1 "$RAW" | cut -f6)):"
			tail -n 20 "$TMP/kdeleg.err" | sed 's/^/    /' >&2
			FAILED=1
			INFO[$n,kd]="0 0 failed 0"
		fi
		if [ "$KD_FULL" = 1 ]; then
			if run_kdeleg_full "$n" 0 "$TMP/full.json"; then
				INFO[$n,full]=$(report_counts "$TMP/full.json")
				if same_findings "$TMP/report.json" "$TMP/full.json"; then
					INFO[$n,same]="identical, fingerprints included"
				else
					INFO[$n,same]="DIFFERENT"
					say "kdeleg on $n accounts: targeted and --full findings differ"
					FAILED=1
				fi
			else
				say "kdeleg audit -H --full failed on $n accounts"
				tail -n 20 "$TMP/kdeleg.err" | sed 's/^/    /' >&2
				FAILED=1
				INFO[$n,full]="0 0 failed 0"
			fi
		fi
	fi
	if [ -n "$BASE_KD" ]; then
		if run_baseline "$n" 0 "$TMP/report.json"; then
			INFO[$n,base]=$(report_counts "$TMP/report.json")
		else
			say "BASELINE $BASE_KD audit -H failed on $n accounts (exit $(tail -n1 "$RAW" | cut -f6)):"
			tail -n 20 "$TMP/kdeleg.err" | sed 's/^/    /' >&2
			FAILED=1
			INFO[$n,base]="0 0 failed 0"
		fi
	fi
	if [ "$IMPACKET" = 1 ]; then
		run_impacket "$n" 0
		if impacket_ok; then
			INFO[$n,fd]=$(impacket_rows)
		else
			NOTES+=("findDelegation.py did not complete on $n accounts: $(grep -m1 -e '^\[-\]' -e Error "$TMP/fd.out" "$TMP/fd.err" | cut -c1-200); (c) skipped")
			INFO[$n,fd]=
		fi
	fi
	sed -i "/^$n\t[^\t]*\t0\t/d" "$RAW" # the untimed pass is not a measurement

	# ---- timed runs, alternating ---------------------------------------------------
	INFO[$n,load_before]=$(cut -d' ' -f1-3 /proc/loadavg)
	progs="ldapsearch, ldapsearch without descriptors, targeted ldapsearch"
	[ -n "$BASE_KD" ] && progs="baseline kdeleg, $progs"
	[ "$KD_LIVE" = 1 ] && progs="kdeleg (--connections ${CONNS[*]}), $progs"
	[ -n "${INFO[$n,fd]:-}" ] && progs="$progs, findDelegation"
	say "$n accounts: $RUNS rounds of $progs"
	for ((r = 1; r <= RUNS; r++)); do
		for c in "${CONNS[@]}"; do
			[ "$KD_LIVE" = 1 ] || break
			[ "$c" = - ] && c=
			if ! run_kdeleg "$n" "$r" /dev/null $c; then
				say "kdeleg audit -H ${c:+--connections $c }exited $(tail -n1 "$RAW" | cut -f6) on $n accounts (run $r):"
				tail -n 20 "$TMP/kdeleg.err" | sed 's/^/    /' >&2
				FAILED=1
			fi
		done
		if [ -n "$BASE_KD" ] && ! run_baseline "$n" "$r" /dev/null; then
			say "BASELINE audit -H exited $(tail -n1 "$RAW" | cut -f6) on $n accounts (run $r):"
			tail -n 20 "$TMP/kdeleg.err" | sed 's/^/    /' >&2
			FAILED=1
		fi
		if [ "$KD_FULL" = 1 ] && ! run_kdeleg_full "$n" "$r" /dev/null; then
			say "kdeleg audit -H --full exited $(tail -n1 "$RAW" | cut -f6) on $n accounts (run $r)"
			FAILED=1
		fi
		run_ldapsearch "$n" "$r" ||
			NOTES+=("ldapsearch exited non-zero on $n accounts, run $r: $(tail -n1 "$TMP/ldapsearch.err")")
		run_ldapsearch_nosd "$n" "$r" ||
			NOTES+=("ldapsearch without descriptors exited non-zero on $n accounts, run $r: $(tail -n1 "$TMP/ldapsearch.err")")
		run_ldapsearch_targeted "$n" "$r" ||
			NOTES+=("targeted ldapsearch exited non-zero on $n accounts, run $r: $(tail -n1 "$TMP/ldapsearch.err")")
		if [ -n "${INFO[$n,fd]:-}" ]; then
			run_impacket "$n" "$r"
			impacket_ok || NOTES+=("findDelegation.py failed on $n accounts, run $r")
		fi
	done
	INFO[$n,load_after]=$(cut -d' ' -f1-3 /proc/loadavg)
done

# ---- report -----------------------------------------------------------------------------
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
mem=$(awk '/^MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)
kdver=$("$KD" version 2>/dev/null | head -n1)
# The commit a kdeleg was built from: its build directory's source tree, else this one.
built_from() { # BUILD_DIR -> "SOURCE at COMMIT"
	local src=$TOP
	if [ -n "$1" ] && [ -r "$1/meson-info/meson-info.json" ]; then
		src=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["directories"]["source"])' \
			"$1/meson-info/meson-info.json" 2>/dev/null || echo "$TOP")
	fi
	echo "$src at $(git -C "$src" describe --always --dirty 2>/dev/null || echo "no git commit (not a checkout)")"
}
buildinfo=
if [ -n "$BUILD_DIR" ]; then
	buildinfo=$(meson introspect "$BUILD_DIR" --buildoptions 2>/dev/null | "$PY" -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("buildtype=%s optimization=%s b_ndebug=%s b_sanitize=%s" % tuple(
    o.get(k, "?") for k in ("buildtype", "optimization", "b_ndebug", "b_sanitize")))' 2>/dev/null)
fi
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
{
	echo "## kdeleg live-collection benchmark"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $cpu, nproc $(nproc), $mem RAM, $(uname -sr)"
	echo "- kdeleg: ${kdver:-?} ($KD), built from $(built_from "$BUILD_DIR")${buildinfo:+, $buildinfo}"
	[ -n "$BASE_KD" ] && echo "- baseline: $("$BASE_KD" version 2>/dev/null | head -n1) ($BASE_KD), built from $(built_from "$BASE_BUILD_DIR"), run alternately with kdeleg"
	echo "- DC: samba $(pkgver samba) in a network namespace on this machine (TDB backend, 2008 R2 level); clients: ldap-utils $(pkgver ldap-utils), libsasl2 $(pkgver libsasl2-2), krb5 $(pkgver libkrb5-3), python3-impacket $(pkgver python3-impacket)"
	echo "- $RUNS timed runs per program and size, alternating kdeleg${BASE_KD:+ / baseline} / ldapsearch / ldapsearch without descriptors${INFO[${SIZES[0]},fd]:+ / findDelegation}, after one untimed pass; wall and peak RSS from GNU time \`%e %M\` inside the namespace; GSSAPI (sign+seal) bind with a cached ticket, page size $PAGE"
	echo "- ldapsearch: README's snapshot (the search with \`-E $SD_FLAGS\` and nTSecurityDescriptor, the crossRef, sPNMappings); without descriptors: the same without the control and without nTSecurityDescriptor"
	echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	for n in "${SIZES[@]}"; do
		echo "- $n accounts: loaded ${INFO[$n,load]} (bulk-load.py seed $SEED), ${INFO[$n,db]} MB of database; ${INFO[$n,entries]} entries match the snapshot filter; load average before/after the runs ${INFO[$n,load_before]} / ${INFO[$n,load_after]}"
		echo "  - ldapsearch output: ${INFO[$n,bytes]} bytes with ${INFO[$n,sds]} nTSecurityDescriptor values, ${INFO[$n,bytes_nosd]} bytes without descriptors; the targeted search: ${INFO[$n,targeted]} entries"
		[ "$KD_LIVE" = 1 ] && { read -r f e c w <<<"${INFO[$n,kd]}"; echo "  - kdeleg: $f findings over $e entries (complete: $c; rbcd-writable: $w)"; }
		[ -n "${INFO[$n,full]:-}" ] && { read -r f e c w <<<"${INFO[$n,full]}"; echo "  - kdeleg --full: $f findings over $e entries (complete: $c; rbcd-writable: $w); the targeted and full findings: ${INFO[$n,same]:-?}"; }
		[ -n "$BASE_KD" ] && { read -r f e c w <<<"${INFO[$n,base]}"; echo "  - baseline: $f findings over $e entries (complete: $c)"; }
		[ -n "${INFO[$n,fd]:-}" ] && echo "  - findDelegation.py: ${INFO[$n,fd]} rows"
		echo "  - mix: \`${INFO[$n,mix]}\`"
	done
	echo
	"$PY" - "$RAW" <<'EOF'
import statistics, sys
rows = {}
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        n, prog, run, wall, rss, rc = line.rstrip("\n").split("\t")
        rows.setdefault((int(n), prog), []).append((float(wall), int(rss), int(rc)))
label = {"kdeleg": "`kdeleg audit -H`", "baseline": "baseline `kdeleg audit -H`",
         "kdeleg-full": "`kdeleg audit -H --full`",
         "ldapsearch": "`ldapsearch` (floor)",
         "ldapsearch-nosd": "`ldapsearch` without descriptors",
         "ldapsearch-targeted": "targeted `ldapsearch` (issue 12)",
         "findDelegation": "impacket `findDelegation.py`"}
meds = {}
print("| accounts | program | median wall s | min / max wall s | median peak RSS MB "
      "| × ldapsearch wall | failed runs |")
print("|---:|---|---:|---:|---:|---:|---:|")
for n in sorted({k[0] for k in rows}):
    floor = rows.get((n, "ldapsearch"))
    floor = statistics.median(w for w, _, rc in floor if rc == 0) if floor else None
    kd = sorted((p for p in {k[1] for k in rows} if p.startswith("kdeleg-c")),
                key=lambda p: int(p[8:]))
    for p in kd:
        label[p] = "`kdeleg audit -H --connections %s`" % p[8:]
    for prog in ["kdeleg"] + kd + ["kdeleg-full", "baseline", "ldapsearch", "ldapsearch-nosd",
                                   "ldapsearch-targeted", "findDelegation"]:
        r = rows.get((n, prog))
        if not r:
            continue
        ok = [x for x in r if x[2] == 0]
        bad = len(r) - len(ok)
        if not ok:
            print("| %d | %s | – | – | – | – | %d |" % (n, label[prog], bad))
            continue
        walls = [x[0] for x in ok]
        med = statistics.median(walls)
        meds[n, prog] = med
        rss = statistics.median(x[1] for x in ok) / 1024
        ratio = "%.2f" % (med / floor) if floor else "n/a"
        print("| %s | %s | %.2f | %.2f / %.2f | %.1f | %s | %d |" % (
            format(n, ","), label[prog], med, min(walls), max(walls), rss, ratio, bad))
lines = []
for n in sorted({k[0] for k in rows}):
    pairs = [("kdeleg", "baseline", "kdeleg / baseline"),
             ("ldapsearch", "ldapsearch-nosd", "ldapsearch with / without descriptors"),
             ("kdeleg", "ldapsearch", "kdeleg / ldapsearch (both with descriptors)"),
             ("baseline", "ldapsearch-nosd", "baseline / ldapsearch (both without descriptors)"),
             ("kdeleg-full", "ldapsearch", "kdeleg --full / ldapsearch")]
    for p in sorted((k[1] for k in meds if k[0] == n and k[1].startswith("kdeleg-c")),
                    key=lambda p: int(p[8:])):
        for b in ("kdeleg-c1", "kdeleg-full", "ldapsearch", "ldapsearch-targeted",
                  "findDelegation"):
            if p != b:
                pairs.append((p, b, "kdeleg --connections %s / %s" % (p[8:], b)))
    for a, b, what in pairs:
        if (n, a) in meds and (n, b) in meds and meds[n, b] > 0:
            lines.append("- %s accounts, %s, median wall: %.2f" % (
                format(n, ","), what, meds[n, a] / meds[n, b]))
if lines:
    print()
    print("\n".join(lines))
EOF
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		printf -- '- %s\n' "${NOTES[@]}"
	fi
} | tee "$REPORT"
say "report saved to ${REPORT#"$TOP"/} (raw times: ${RAW#"$TOP"/})"
if [ "$FAILED" = 1 ]; then
	say "FAILED: a kdeleg run failed or found nothing (see above)"
	exit 1
fi
exit 0
