#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reports written with --accept or --rule, compared: a finding a report accepted, or a
# rule it left out, is neither resolved nor new. Usage: test-baseline-filters.sh KDELEG
# SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init

expect 0 "full report" -- audit --ldif "$lab" -f json -o "$work/full.json"
"$py" - "$work/full.json" "$work/accept.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
iis = [f for f in doc["findings"] if f["rule"] == "unconstrained-delegation"
       and f["account"]["name"] == "svc_iis"][0]
open(sys.argv[2], "w").write(f"{iis['fingerprint']}  2099-12-31  alice  legacy IIS\n")
PY
expect 0 "report with --accept" -- audit --ldif "$lab" -f json --accept "$work/accept.txt" \
    -o "$work/accepted.json"
expect 0 "report with --rule" -- audit --ldif "$lab" -f json --rule unconstrained-delegation \
    -o "$work/rule.json"

# an accepted finding is still there: not resolved, not new
expect 0 "diff full -> accepted" -- diff "$work/full.json" "$work/accepted.json" -f json
pycheck "accepted finding not resolved" "$work/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["resolved"] and not d["new"], d["counts"]
PY
expect 0 "diff accepted -> full, --fail-on new" -- diff "$work/accepted.json" \
    "$work/full.json" --fail-on new
# a rule a report left out was not recorded: its findings are neither resolved nor new
expect 0 "diff full -> rule" -- diff "$work/full.json" "$work/rule.json" -f json
pycheck "left-out rules not resolved" "$work/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["resolved"] and not d["new"], d["counts"]
PY
expect 0 "diff rule -> full, --fail-on new" -- diff "$work/rule.json" "$work/full.json" \
    --fail-on new
# audit --baseline of a --rule report: the other rules' findings are not new
expect 0 "--baseline of a --rule report, --fail-on new" -- audit --ldif "$lab" \
    --baseline "$work/rule.json" --fail-on new
expect 0 "--baseline of an --accept report, --fail-on new" -- audit --ldif "$lab" \
    --baseline "$work/accepted.json" --fail-on new

# the text report says what --rule left out: "findings: 1 low" alone reads as the domain's
expect 0 "text with --rule" -- audit --ldif "$lab" --rule orphan-delegation-target
has out "^findings: 1 low (only the rules chosen with --rule: orphan-delegation-target)" \
    "text summary names the --rule filter"
expect 0 "text with two --rule" -- audit --ldif "$lab" --rule orphan-delegation-target \
    --rule duplicate-spn
has out "(only the rules chosen with --rule: duplicate-spn, orphan-delegation-target)" \
    "text summary names every rule chosen"

# so does the NDJSON summary record, which a SIEM reads as the run's verdict
expect 0 "ndjson with --rule" -- audit --ldif "$lab" -f ndjson --rule orphan-delegation-target
pycheck "ndjson summary names the --rule filter" "$work/out" <<'PY'
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert last["kdeleg"].get("rule_filter") == ["orphan-delegation-target"], last["kdeleg"]
PY

check_done "baseline-filters"
