#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command line as users and schedulers see it: exit codes, stdout vs stderr,
# atomic output, and the documents it writes. Usage: test-cli.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init

expect_stdin() {
    local want=$1 what=$2 input=$3
    shift 4
    checks=$((checks + 1))
    "$kdeleg" "$@" <"$input" >"$work/out" 2>"$work/err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want"
}


# --- usage: exit 2, one line naming the problem, a pointer to --help ---
expect 2 "no command" --
has err "no command" "no command"
has err "kdeleg --help" "no command"
expect 2 "unknown command" -- frobnicate
has err "unknown command 'frobnicate'" "unknown command"
expect 2 "unknown option" -- audit --bogus
has err "unknown option '--bogus'" "unknown option"
expect 2 "audit without a source" -- audit
has err "needs a source" "audit without a source"
expect 2 "bad format" -- audit --ldif "$lab" --format xml
has err "unknown format 'xml'" "bad format"
expect 2 "missing option value" -- audit --ldif
expect 2 "stray argument" -- audit --ldif "$lab" extra
empty out "usage errors write nothing to stdout"
expect 2 "bad --color" -- audit --ldif "$lab" --color sometimes
expect 2 "control characters in a bad argument are escaped" -- $'\x1b[31mred'
grep -q $'\x1b' "$work/err" && fail "raw ESC echoed to the terminal"

# --- help and version: stdout, exit 0 ---
expect 0 "--help" -- --help
has out "Usage: kdeleg" "--help"
has out "Exit status" "--help"
empty err "--help"
expect 0 "audit --help" -- audit --help
has out "--ldif" "audit --help"
expect 0 "--version" -- --version
has out "kdeleg [0-9]" "--version"

# --- the audit of the example snapshot ---
expect 0 "text audit" -- audit --ldif "$lab"
has out "unconstrained-delegation" "text audit"
has out "CRITICAL" "text audit"
has out "svc_sql (user)" "text audit resolves MSSQLSvc to the service user"
empty err "text audit"
grep -q $'\x1b' "$work/out" && fail "colour codes written to a pipe"
expect 0 "--color always" -- audit --ldif "$lab" --color always
grep -q $'\x1b\[' "$work/out" || fail "--color always gave no colour"

expect 0 "json audit" -- audit --ldif "$lab" --format json
"$py" - "$work/out" <<'PY' || fail "json audit: document check"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema_version"] == 1
assert doc["tool"]["name"] == "kdeleg"
assert doc["complete"] is True
assert doc["domain"]["sid"] == "S-1-5-21-3623811015-3361044348-30300820"
rules = {f["rule"] for f in doc["findings"]}
want = {"unconstrained-delegation", "constrained-delegation", "protocol-transition",
        "resource-based-delegation", "rbcd-broad-trustee", "delegation-to-tier0",
        "duplicate-spn", "orphan-delegation-target", "privileged-delegable",
        "unparseable-attribute"}
assert want <= rules, want - rules
assert sum(doc["summary"].values()) == len(doc["findings"]) == doc["counts"]["findings"]
for f in doc["findings"]:
    for k in ("rule", "severity", "title", "account", "message", "details", "remediation", "attack"):
        assert k in f, (k, f["rule"])
    for k in ("name", "dn", "sid", "kind", "enabled"):
        assert k in f["account"], k
# no false positives on plain accounts (a delegation-chain finding names the tier-0
# account its chains reach, DC01$ here)
named = {f["account"]["name"] for f in doc["findings"] if f["rule"] != "delegation-chain"}
assert {"corp.example", "DC01$", "DC02$"} == {f["account"]["name"] for f in doc["findings"]
                                               if f["rule"] == "delegation-chain"}
for plain in ("carol", "dave", "FS01$" if False else "KIOSK01$", "gmsa_app$", "DC01$", "bob.admin", "alice.admin", "krbtgt"):
    assert plain not in named, plain
PY

expect_stdin 0 "audit from stdin" "$lab" -- audit --ldif - --format json
has out '"name": "<stdin>"' "stdin source name"

# --- -o writes atomically and leaves no temporary file ---
expect 0 "-o FILE" -- audit --ldif "$lab" -f json -o "$work/report.json"
empty out "-o FILE"
"$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/report.json" || fail "-o FILE: not JSON"
ls "$work"/report.json.tmp.* >/dev/null 2>&1 && fail "-o FILE left a temporary file"
echo "previous report" >"$work/keep.json"
expect 3 "-o FILE with a broken snapshot" -- audit --ldif "$top/tests/data/cli/bad-base64.ldif" -o "$work/keep.json"
grep -q "previous report" "$work/keep.json" || fail "a failed run replaced the previous report"
ls "$work"/keep.json.tmp.* >/dev/null 2>&1 && fail "a failed run left a temporary file"
expect 3 "-o into a missing directory" -- audit --ldif "$lab" -o "$work/missing/dir/r.json"
# -o to something other than a regular file (a FIFO here, /dev/null in scripts) writes
# into it: a rename would replace the device or FIFO with a file
mkfifo "$work/fifo"
timeout 20 cat "$work/fifo" >"$work/from-fifo" &
reader=$!
expect 0 "-o FIFO" -- audit --ldif "$lab" -f json -o "$work/fifo"
wait "$reader"
[ -p "$work/fifo" ] || fail "-o FIFO: the FIFO was replaced"
"$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/from-fifo" || fail "-o FIFO: no JSON came through"
ls "$work"/fifo.tmp.* >/dev/null 2>&1 && fail "-o FIFO left a temporary file"

# --- failures: exit 3, a message naming the place, no report ---
expect 3 "missing file" -- audit --ldif "$work/nope.ldif"
has err "nope.ldif" "missing file"
empty out "missing file"
for case in bad-base64:4 no-separator:3 orphan-continuation:1 truncated:0 result-sizelimit:0 url-value:3; do
    name=${case%%:*}
    line=${case##*:}
    expect 3 "$name" -- audit --ldif "$top/tests/data/cli/$name.ldif"
    empty out "$name"
    has err "$name.ldif" "$name names the file"
    [ "$line" = 0 ] || has err "$name.ldif:$line:" "$name names the line"
done
# an empty snapshot or one without accounts is not a clean domain
: >"$work/empty.ldif"
expect 3 "empty snapshot" -- audit --ldif "$work/empty.ldif"
has err "no accounts in 0 entries" "empty snapshot"
empty out "empty snapshot"
printf 'dn: DC=corp,DC=example\nobjectClass: domain\nobjectSid: S-1-5-21-1-2-3\n\n' >"$work/domain-only.ldif"
expect 3 "snapshot without accounts" -- audit --ldif "$work/domain-only.ldif"
has err "no accounts in 1 entries" "snapshot without accounts"
printf 'dn: CN=u,DC=corp,DC=example\nobjectClass: user\nsAMAccountName: u\nuserAccountControl: 512\n\n' >"$work/no-domain.ldif"
expect 0 "snapshot without a domain object" -- audit --ldif "$work/no-domain.ldif" -f json
has err "warning: no domain object" "snapshot without a domain object"
if [ -w /dev/full ]; then
    checks=$((checks + 1))
    "$kdeleg" audit --ldif "$lab" >/dev/full 2>"$work/err"
    [ $? -eq 3 ] || fail "writing to a full disk did not fail"
fi

# --- kdeleg paths: chains to tier 0 (issue 10) ---
expect 0 "paths text" -- paths --ldif "$lab"
has out 'WEB02\$ --rbcd--> DC02\$' "paths text"
has out 'svc_backup --constrained cifs/DC01.corp.example--> DC01\$  \[needs a user' "paths text"
empty err "paths text"
expect 0 "paths json" -- paths --ldif "$lab" -f json
"$py" - "$work/out" <<'PY' || fail "paths json: document check"
import json, sys
doc = json.load(open(sys.argv[1]))
paths = doc["paths"]
assert len(paths) == 4, len(paths)
for p in paths:
    assert len(p["path"]) == len(p["hops"]) + 1 == p["length"] + 1
    assert not p["path"][0]["tier0"] and p["path"][-1]["tier0"]
    for n in p["path"]:
        assert {"name", "sid", "kind"} <= set(n), n
    for h in p["hops"]:
        assert {"kind", "evidence", "needs"} <= set(h), h
assert [p["length"] for p in paths] == sorted(p["length"] for p in paths)
PY
expect 0 "paths --from" -- paths --ldif "$lab" --from web02 -f json
"$py" -c 'import json,sys; p=json.load(open(sys.argv[1]))["paths"]; assert len(p)==1 and p[0]["hops"][0]["kind"]=="resource-based-delegation", p' "$work/out" || fail "paths --from"
expect 0 "paths --to" -- paths --ldif "$lab" --to DC01$
has out "svc_backup" "paths --to"
expect 0 "paths dot" -- paths --ldif "$lab" -f dot
has out "digraph kdeleg_paths" "paths dot"
has out "cluster_tier0" "paths dot"
expect 2 "paths --from nobody" -- paths --ldif "$lab" --from nobody
has err "no account 'nobody'" "paths --from nobody"
expect 2 "paths --max-hops 0" -- paths --ldif "$lab" --max-hops 0
expect 2 "paths csv" -- paths --ldif "$lab" -f csv
expect 2 "paths without a source" -- paths
# an ASan build: Graphviz and fontconfig keep tables for the process (tests/lsan.supp)
if LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$kdeleg" paths --ldif "$lab" -f svg >"$work/out" 2>"$work/err"; then
    has out "<svg" "paths svg"
else
    has err "without Graphviz" "paths svg without Graphviz"
fi
expect 0 "paths -o" -- paths --ldif "$lab" -f json -o "$work/paths.json"
"$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/paths.json" || fail "paths -o"

# --- rules catalogue and its generated documentation ---
expect 0 "rules" -- rules
has out "unparseable-attribute" "rules"
expect 0 "rules markdown" -- rules --format markdown
cmp -s "$work/out" "$top/docs/rules.md" ||
    fail "docs/rules.md is stale: regenerate with 'kdeleg rules --format markdown > docs/rules.md'"
expect 0 "rules json" -- rules --format json
"$py" -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 15' "$work/out" || fail "rules json"

check_done cli
