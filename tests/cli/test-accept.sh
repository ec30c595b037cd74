#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Accepted risks (--accept), one finding per configuration, --rule and "fix these
# first" from the command line (issue 14). Usage: test-accept.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init

expect 0 "json" -- audit --ldif "$lab" -f json -o "$work/r.json"
# three entries: one plain, one pinned by facts=, one expired; and an unknown one
"$py" - "$work/r.json" "$work" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
by = {(f["rule"], f["account"]["name"]): f for f in doc["findings"]}
iis = by[("unconstrained-delegation", "svc_iis")]
sql = by[("rbcd-broad-trustee", "SQL01$")]
web = by[("unconstrained-delegation", "WEB01$")]
w = sys.argv[2]
open(w + "/accept.txt", "w").write(
    "# accepted risks of corp.example\n\n"
    f"{iis['fingerprint']}  2099-12-31  alice  Legacy IIS <script>alert(1)</script> & co\n"
    f"{sql['fingerprint']}\t2099-12-31\tbob\tfacts={sql['facts']} SQL team, CHG-42\n"
    f"{web['fingerprint']}  2001-01-01  carol  expired long ago\n"
    "ffffffffffffffffffffffffffffffff  2099-12-31  dave  no such finding\n")
# the same SQL01$ entry pinned to other facts: the finding "changed"
open(w + "/changed.txt", "w").write(
    f"{sql['fingerprint']} 2099-12-31 bob facts={'0' * 32} SQL team\n")
open(w + "/counts", "w").write("%d %d\n" % (len(doc["findings"]),
                                            doc["summary"]["critical"]))
PY
read -r total critical <"$work/counts"

expect 0 "--accept, json" -- audit --ldif "$lab" -f json --accept "$work/accept.txt"
has err "accept.txt:5: .*expired" "expired entry warned with its line"
has err "accept.txt:6: no finding has this fingerprint" "unknown entry warned with its line"
pycheck "--accept, json document" "$work/out" "$total" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
acc = doc["accepted"]
assert [(f["rule"], f["account"]["name"]) for f in acc] == [
    ("unconstrained-delegation", "svc_iis"), ("rbcd-broad-trustee", "SQL01$")], acc
assert acc[0]["acceptance"] == {"reason": "Legacy IIS <script>alert(1)</script> & co",
                                "by": "alice", "expires": "2099-12-31", "line": 3}, acc[0]
assert acc[1]["acceptance"]["line"] == 4 and acc[1]["acceptance"]["by"] == "bob"
assert doc["summary"]["accepted"] == 2
assert len(doc["findings"]) == total - 2 == doc["counts"]["findings"]
assert sum(v for k, v in doc["summary"].items() if k != "accepted") == total - 2
names = {(f["rule"], f["account"]["name"]) for f in doc["findings"]}
assert ("unconstrained-delegation", "WEB01$") in names  # expired: back
assert ("unconstrained-delegation", "svc_iis") not in names
PY

# the verdict leaves accepted findings out
expect 1 "--accept with --fail-on critical" -- audit --ldif "$lab" -f json --fail-on critical \
    --accept "$work/accept.txt"
has err "critical: $((critical - 2)) findings" "--fail-on counts without the accepted"

# text: a short accepted section, the reason escaped, the warnings on stderr only
expect 0 "--accept, text" -- audit --ldif "$lab" --accept "$work/accept.txt"
has out "^ACCEPTED (2, not counted in the verdict)" "text accepted section"
has out "until 2099-12-31 by alice: Legacy IIS <script>" "text accepted reason"
has out "2 accepted" "text header counts accepted"
grep -q "warning" "$work/out" && fail "warnings in the report"

# ndjson: accepted findings are records with kdeleg.acceptance, events not alerts
expect 0 "--accept, ndjson" -- audit --ldif "$lab" -f ndjson --accept "$work/accept.txt"
pycheck "--accept, ndjson" "$work/out" "$total" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
acc = [r for r in recs if "acceptance" in r["kdeleg"]]
assert len(acc) == 2, acc
for r in acc:
    assert set(r["kdeleg"]["acceptance"]) == {"reason", "by", "expires", "line"}
    assert r["event"]["kind"] == "event"
alerts = [r for r in recs if r["event"]["kind"] == "alert"]
assert len(alerts) == int(sys.argv[2]) - 2
assert recs[-1]["kdeleg"]["summary"]["accepted"] == 2
PY

# a changed finding comes back, with a warning naming the line
expect 0 "facts= differs" -- audit --ldif "$lab" -f json --accept "$work/changed.txt"
has err "changed.txt:1: the finding changed" "changed finding warned"
pycheck "changed finding is back" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["accepted"] == [] and doc["summary"]["accepted"] == 0
PY

# facts are stable across runs and entry orders (a snapshot vs a live read)
"$py" - "$lab" "$work" <<'PY'
import random, sys
entries = open(sys.argv[1]).read().strip("\n").split("\n\n")
random.Random(11).shuffle(entries)
open(sys.argv[2] + "/shuffled.ldif", "w").write("\n\n".join(entries) + "\n\n")
PY
expect 0 "shuffled" -- audit --ldif "$work/shuffled.ldif" -f json -o "$work/s.json"
pycheck "facts stable" "$work/r.json" "$work/s.json" <<'PY'
import json, sys
a, b = ({f["fingerprint"]: f["facts"] for f in json.load(open(p))["findings"]} for p in sys.argv[1:3])
assert a == b, {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
PY

# malformed entries: exit 2, naming the file and the line
printf '# ok\n%s 2027-02-30 alice bad date\n' "$(head -c 32 /dev/zero | tr '\0' a)" >"$work/bad.txt"
expect 2 "malformed accept file" -- audit --ldif "$lab" --accept "$work/bad.txt"
has err "bad.txt:2: .*expiry date" "malformed entry names file and line"
printf 'abc 2027-01-01 alice short\n' >"$work/bad2.txt"
expect 2 "bad fingerprint" -- audit --ldif "$lab" --accept "$work/bad2.txt"
has err "bad2.txt:1: .*fingerprint" "bad fingerprint names the line"
expect 2 "missing accept file" -- audit --ldif "$lab" --accept "$work/nope.txt"
has err "nope.txt" "missing accept file named"
printf '%s 2027-01-01 alice \033[2J\n' "$(head -c 32 /dev/zero | tr '\0' b)" >"$work/ctl.txt"
expect 2 "control character in the file" -- audit --ldif "$lab" --accept "$work/ctl.txt"
grep -q $'\x1b' "$work/err" && fail "an escape from the accept file reached stderr"

# diff: --fail-on new leaves accepted new findings out
# an older report that had only the duplicate SPNs (not a --rule report: that one recorded
# no other rule, so nothing of them is new)
"$py" - "$work/r.json" "$work/old.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["findings"] = [f for f in doc["findings"] if f["rule"] == "duplicate-spn"]
json.dump(doc, open(sys.argv[2], "w"))
PY
expect 1 "diff --fail-on new" -- diff "$work/old.json" "$work/r.json" --fail-on new
"$py" - "$work/r.json" "$work" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
lines = ["%s 2099-12-31 ops everything, for the test" % f["fingerprint"]
         for f in doc["findings"] if f["rule"] != "duplicate-spn"]
open(sys.argv[2] + "/all.txt", "w").write("\n".join(lines) + "\n")
PY
expect 0 "diff --fail-on new --accept" -- diff "$work/old.json" "$work/r.json" --fail-on new \
    --accept "$work/all.txt"
grep -q "no finding has this" "$work/err" && fail "diff warned about known findings"

# --rule: repeatable, in every format; an unknown rule names the nearest
expect 0 "--rule twice" -- audit --ldif "$lab" -f json --rule duplicate-spn \
    --rule unconstrained-delegation
pycheck "--rule json" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert {f["rule"] for f in doc["findings"]} == {"duplicate-spn", "unconstrained-delegation"}
assert doc["rule_filter"] == ["unconstrained-delegation", "duplicate-spn"], doc["rule_filter"]
PY
for fmt in text ndjson csv html; do
    expect 0 "--rule $fmt" -- audit --ldif "$lab" -f $fmt --rule orphan-delegation-target
    has out "orphan-delegation-target" "--rule $fmt shows the rule"
    grep -q "unconstrained-delegation" "$work/out" && fail "--rule $fmt shows another rule"
done
# resolved findings of other rules are not shown either
expect 0 "--rule with a baseline" -- audit --ldif "$lab" -f json --rule duplicate-spn \
    --baseline "$work/old.json"
expect 0 "--rule with a baseline, other rule" -- audit --ldif "$lab" -f json \
    --rule orphan-delegation-target --baseline "$work/r.json" -o "$work/rr.json"
"$py" - "$work/r.json" "$work/base-extra.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
# a baseline that had two more findings: one of duplicate-spn, one of orphan-delegation-target
for rule in ("duplicate-spn", "orphan-delegation-target"):
    f = dict([g for g in doc["findings"] if g["rule"] == rule][0])
    f["fingerprint"] = ("d" if rule == "duplicate-spn" else "e") * 32
    doc["findings"].append(f)
json.dump(doc, open(sys.argv[2], "w"))
PY
expect 0 "--rule filters resolved" -- audit --ldif "$lab" -f json --rule duplicate-spn \
    --baseline "$work/base-extra.json"
pycheck "--rule filters resolved" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert [f["rule"] for f in doc["resolved"]] == ["duplicate-spn"], doc["resolved"]
PY
expect 2 "unknown rule" -- audit --ldif "$lab" --rule rbcd-broad
has err "unknown value 'rbcd-broad' for --rule; did you mean 'rbcd-broad-trustee'?" "nearest rule named"
expect 2 "unknown rule, typo" -- audit --ldif "$lab" --rule unconstraind-delegation
has err "did you mean 'unconstrained-delegation'" "nearest rule for a typo"

# one finding per configuration, and "fix these first" at the top of the text report
expect 0 "text" -- audit --ldif "$lab" --color never
has out "^FIX THESE FIRST (by rule)" "summary by rule"
"$py" - "$work/out" <<'PY' || fail "fix these first: order"
import sys
lines = open(sys.argv[1]).read().split("FIX THESE FIRST (by rule)\n")[1].split("\n\n")[0].splitlines()
order = ["critical", "high", "medium", "low", "info"]
sev = [order.index(l.split()[0]) for l in lines]
assert sev == sorted(sev), lines
assert lines[0].split()[2] == "delegation-to-tier0", lines[0]
PY
has out "also delegation-chain: " "folded facts shown"
expect 0 "json" -- audit --ldif "$lab" -f json
pycheck "each setting once" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = [(f["rule"], f["account"]["name"]) for f in doc["findings"]]
assert ("resource-based-delegation", "SQL01$") not in keys
assert ("rbcd-broad-trustee", "SQL01$") in keys
sql = [f for f in doc["findings"] if f["account"]["name"] == "SQL01$"][0]
assert [a["rule"] for a in sql["details"]["also"]] == ["resource-based-delegation"]
PY

check_done accept
