#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command line's help, usage errors and repeated options (issue 13): each
# command's own help, one line naming the nearest valid spelling, values in any
# case, --fail-on conditions combined. Usage: test-help.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init
# no ldap.conf: an option tried alone must not reach a DC the machine names
export LDAPNOINIT=1

# lines: the number of lines of $work/FILE
lines() { wc -l <"$work/$1"; }

# --- help: the commands, and each command's own options ---
expect 0 "--help" -- --help
cp "$work/out" "$work/help"
commands=$(sed -n '/^Commands:/,/^$/p' "$work/help" | awk 'NR > 1 && NF { print $1 }')
[ "$(echo "$commands" | wc -w)" -ge 8 ] || fail "--help lists fewer than 8 commands: $commands"
for cmd in $commands; do
    expect 0 "$cmd --help" -- "$cmd" --help
    empty err "$cmd --help"
    has out "^Usage: kdeleg $cmd" "$cmd --help"
    cp "$work/out" "$work/cmd-help"
    expect 0 "help $cmd" -- help "$cmd"
    cmp -s "$work/out" "$work/cmd-help" || fail "help $cmd differs from $cmd --help"
    expect 0 "$cmd -h" -- "$cmd" -h
    cmp -s "$work/out" "$work/cmd-help" || fail "$cmd -h differs from $cmd --help"
    cmp -s "$work/cmd-help" "$work/help" && fail "$cmd --help is the global help"
    # every option the command's help lists is one the command takes
    for opt in $(grep -oE '^ +(-., )?--[a-z-]+' "$work/cmd-help" | grep -oE -- '--[a-z-]+'); do
        [ "$opt" = --help ] && continue
        checks=$((checks + 1))
        "$kdeleg" "$cmd" "$opt" >/dev/null 2>"$work/err" </dev/null
        grep -q "unknown option" "$work/err" && fail "$cmd --help lists $opt, which $cmd refuses"
    done
    # no line wider than 80 columns
    checks=$((checks + 1))
    awk 'length($0) > 80 { exit 1 }' "$work/cmd-help" || fail "$cmd --help is wider than 80 columns"
done
expect 0 "audit --help" -- audit --help
has out "--baseline FILE" "audit --help"
grep -q -- "--from" "$work/out" && fail "audit --help lists paths' --from"
expect 0 "diff --help" -- diff --help
grep -q -- "--ldif" "$work/out" && fail "diff --help lists --ldif"
[ "$(lines out)" -lt "$(lines help)" ] || [ "$(lines out)" -lt 40 ] || fail "diff --help is as long as the global help"
expect 0 "rules -h" -- rules -h
has out "text, json or markdown" "rules -h names its formats"
expect 0 "help" -- help
cmp -s "$work/out" "$work/help" || fail "kdeleg help differs from kdeleg --help"

expect 0 "-V" -- -V
has out "^kdeleg [0-9]" "-V"
expect 0 "version" -- version
has out "^kdeleg [0-9]" "version"

# --- usage errors: exit 2, one line, the nearest spelling, the valid values ---
usage() {
    local what=$1 pattern=$2
    shift 2
    expect 2 "$what" -- "$@"
    has err "$pattern" "$what"
    empty out "$what"
    checks=$((checks + 1))
    [ "$(grep -c '^kdeleg: ' "$work/err")" -eq 1 ] || fail "$what: not one line: $(cat "$work/err")"
}
usage "help nosuch" "unknown command 'nosuch' (audit, collect, diff" help nosuch
usage "help audt" "did you mean 'audit'?" help audt
usage "unknown command" "unknown command 'audt'; did you mean 'audit'?" audt
usage "unknown option" "unknown option '--ldf'; did you mean '--ldif'?" audit --ldf x
usage "unknown option, = form" "unknown option '--ldf'; did you mean '--ldif'?" audit --ldf=x
usage "far from every option" "unknown option '--frobnicate'$" audit --frobnicate
usage "another command's option" "unknown option '-f' for collect (an option of audit, diff" collect -f json
usage "a value that is not one" "unknown value 'jsn' for --format; did you mean 'json'? (text, json, ndjson, csv or html)" audit -f jsn
usage "a format of another command" "unknown value 'markdown' for --format (text, json, ndjson, csv or html)" audit -f markdown
usage "--fail-on lists new" "did you mean 'high'? (info, low, medium, high, critical, new, new:info" audit --fail-on hgh
usage "diff --fail-on takes new only" "unknown value 'high' for --fail-on (new, new:info" diff a b --fail-on high
usage "--color" "unknown value 'sometimes' for --color (auto, always or never)" audit --color sometimes
usage "a flag with a value" "option '--starttls' takes no value" audit --starttls=yes
usage "a value missing" "option '--ldif' needs a value (FILE)" audit --ldif
usage "a short option's value missing" "option '-f' needs a value (FORMAT)" audit -f
usage "a number" "--max-hops takes a number from 1 to" paths --max-hops 0
usage "a global option before the command" "did you mean '--version'?" --versoin
usage "a command's option before it" "a command comes first" -f json audit
usage "no command" "no command given" 

# --- values in any case, the same for every option with a fixed list ---
expect 0 "-f JSON" -- audit --ldif "$lab" -f JSON
"$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" || fail "-f JSON: not JSON"
expect 0 "--min-severity Medium" -- audit --ldif "$lab" --min-severity Medium
expect 0 "--color NEVER" -- audit --ldif "$lab" --color NEVER
expect 0 "rules -f Markdown" -- rules -f Markdown
cmp -s "$work/out" "$top/docs/rules.md" || fail "rules -f Markdown differs from -f markdown"
expect 0 "--protocol ANY" -- verify APP01 cifs/FS01.corp.example --ldif "$lab" --protocol ANY -f json
"$py" -c 'import json,sys; assert json.load(open(sys.argv[1]))["protocol"] == "any"' "$work/out" ||
    fail "--protocol ANY is not any"

# --- repeated options: refused, or documented (--uri, --fail-on) ---
usage "-d twice" "--domain given twice ('a' and 'b'): give it once" audit -d a -d b
usage "--ldif twice" "--ldif given twice" audit --ldif "$lab" --ldif "$lab"
usage "-f twice" "--format given twice ('json' and 'text')" audit --ldif "$lab" -f json -f text
usage "--min-severity twice" "--min-severity given twice" audit --ldif "$lab" --min-severity low --min-severity high
usage "-o twice" "--output given twice" audit --ldif "$lab" -o a -o b
expect 0 "a flag twice means it once" -- audit --ldif "$lab" -q -q -f json

# --fail-on: exit 1 when any condition holds; new:SEVERITY is a new one at or above it
expect 0 "a report" -- audit --ldif "$lab" -f json -o "$work/base.json"
expect 1 "--fail-on new --fail-on high, nothing new" -- audit --ldif "$lab" --baseline "$work/base.json" \
    --fail-on new --fail-on high -f json
has err "fail-on high: 7 findings at or above it" "--fail-on new --fail-on high"
grep -q "fail-on new:" "$work/err" && fail "--fail-on new met with nothing new"
expect 0 "--fail-on new --fail-on new:high, nothing new" -- audit --ldif "$lab" \
    --baseline "$work/base.json" --fail-on new --fail-on new:high -f json
# a baseline without the critical findings: they are new
"$py" - "$work/base.json" "$work/nocrit.json" <<'PY' || fail "making a baseline without critical findings"
import json, sys
doc = json.load(open(sys.argv[1]))
doc["findings"] = [f for f in doc["findings"] if f["severity"] != "critical"]
json.dump(doc, open(sys.argv[2], "w"))
PY
expect 1 "--fail-on new:high, critical ones new" -- audit --ldif "$lab" --baseline "$work/nocrit.json" \
    --fail-on new:HIGH -f json
has err "fail-on new:high: 5 findings not in the baseline at or above high" "--fail-on new:high"
expect 0 "--fail-on new:high with only lower ones new" -- audit --ldif "$lab" \
    --baseline "$work/base.json" --fail-on new:high -f json
usage "new:high needs a baseline" "--fail-on new needs --baseline FILE" audit --ldif "$lab" --fail-on new:high
expect 1 "diff --fail-on new:critical" -- diff "$work/nocrit.json" "$work/base.json" --fail-on new:critical
has err "fail-on new:critical: 5 findings not in the older report at or above critical" "diff new:critical"
"$py" - "$work/base.json" "$work/nolow.json" <<'PY' || fail "making a baseline without low findings"
import json, sys
doc = json.load(open(sys.argv[1]))
doc["findings"] = [f for f in doc["findings"] if f["severity"] != "low"]
json.dump(doc, open(sys.argv[2], "w"))
PY
expect 0 "diff --fail-on new:medium with only low ones new" -- diff "$work/nolow.json" "$work/base.json" \
    --fail-on new:medium
expect 1 "diff --fail-on new:medium --fail-on new" -- diff "$work/nolow.json" "$work/base.json" \
    --fail-on new:medium --fail-on new
has err "fail-on new: 4 findings not in the older report" "diff --fail-on new"

check_done help
