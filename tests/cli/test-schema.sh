#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 14: every JSON output mode over lab-like snapshots, each document (each NDJSON
# record) checked against docs/schema, and every field path of one JSON type across
# all of them (tests/cli/json-types.py, run by check_done on everything expect kept);
# the schemas fail on a wrong type; fingerprints as they were before SHA-256 came from
# nettle. Usage: test-schema.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init
types() { "$py" "$top/tests/cli/json-types.py" "$top/docs/schema" "$@"; }

# --- fixtures: the example lab, the unit tests' lab and clean domain, a generated
# domain with descriptors (rbcd-writable, chains through write access), the lab with
# a trust that delegates TGTs ---
"$py" "$top/tests/bench/gen-snapshot.py" --accounts 300 --seed 1 --descriptors \
    -o "$work/generated.ldif" >/dev/null 2>&1 || fail "gen-snapshot"
{
    cat "$lab"
    printf 'dn: CN=partner.example,CN=System,DC=corp,DC=example\nobjectClass: trustedDomain\n'
    printf 'trustPartner: partner.example\ntrustAttributes: 2056\ntrustDirection: 3\ntrustType: 2\n\n'
} >"$work/trust.ldif"
sed 's/userAccountControl: 528384/userAccountControl: 4096/' "$lab" >"$work/changed.ldif"
fixtures=("$lab" "$top/tests/data/audit/lab.ldif" "$top/tests/data/audit/clean.ldif"
    "$work/generated.ldif" "$work/trust.ldif" "$work/changed.ldif")

# --- every mode that writes JSON, over every fixture ---
n=0
for f in "${fixtures[@]}"; do
    n=$((n + 1))
    expect 0 "audit json $n" -- audit --ldif "$f" -f json -o "$work/r$n.json"
    expect 0 "audit ndjson $n" -- audit --ldif "$f" -f ndjson
    expect 0 "audit json --min-severity $n" -- audit --ldif "$f" -f json --min-severity high
    expect 0 "paths json $n" -- paths --ldif "$f" -f json
done
grep -q '"trust-tgt-delegation"' "$work/r5.json" || fail "the trust fixture makes no trust-tgt-delegation finding"
grep -q '"rbcd-writable"' "$work/r4.json" || fail "the generated fixture makes no rbcd-writable finding"
expect 0 "audit with a baseline" -- audit --ldif "$work/changed.ldif" -f json --baseline "$work/r1.json"
expect 0 "ndjson with a baseline" -- audit --ldif "$work/changed.ldif" -f ndjson --baseline "$work/r1.json"
expect 0 "ndjson with a filtered baseline" -- audit --ldif "$lab" -f ndjson --min-severity medium --baseline "$work/r6.json"
# a baseline someone edited: what kdeleg copies keeps its types, or the baseline is refused
"$py" - "$work/r1.json" "$work" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def edited(name, change):
    # WEB01$'s unconstrained delegation: the one changed.ldif resolves
    d = json.loads(json.dumps(doc))
    change([f for f in d["findings"] if f["fingerprint"] == "0cca327ec9b3211ed1c41ac25c588038"][0])
    json.dump(d, open(f"{sys.argv[2]}/{name}.json", "w"))
edited("name-number", lambda f: f["account"].__setitem__("name", 7))
edited("enabled-string", lambda f: f["account"].__setitem__("enabled", "yes"))
edited("attack-numbers", lambda f: f.__setitem__("attack", [1558]))
edited("details-string", lambda f: f.__setitem__("details", "none"))
edited("sparse", lambda f: [f.pop(k) for k in ("title", "account", "message", "details", "remediation", "attack")])
PY
for b in name-number enabled-string attack-numbers details-string; do
    expect 3 "baseline with $b" -- audit --ldif "$work/changed.ldif" -f ndjson --baseline "$work/$b.json"
    has err "finding 1: .*details not an object" "baseline with $b names the finding"
done
expect 0 "a sparse baseline finding, as JSON" -- audit --ldif "$work/changed.ldif" -f json --baseline "$work/sparse.json"
expect 0 "a sparse baseline finding, as NDJSON" -- audit --ldif "$work/changed.ldif" -f ndjson --baseline "$work/sparse.json"
pycheck "the sparse resolved finding: nulls where it has nothing" "$work/out" <<'PY'
import json, sys
gone = [r for r in map(json.loads, open(sys.argv[1])) if r["kdeleg"].get("baseline", {}).get("status") == "resolved"]
assert len(gone) == 1 and gone[0]["rule"]["id"] == "unconstrained-delegation", gone
assert gone[0]["user"]["name"] is None and gone[0]["kdeleg"]["details"] is None
t = gone[0]["threat"]  # the catalogue's, for a rule it knows
assert t["technique"]["subtechnique"]["id"] == ["T1550.003"] and t["tactic"]["id"] == ["TA0006", "TA0008"]
PY
expect 0 "csv is not JSON (not kept)" -- audit --ldif "$lab" -f csv
expect 0 "diff json" -- diff "$work/r1.json" "$work/r6.json" -f json
expect 0 "diff ndjson" -- diff "$work/r1.json" "$work/r6.json" -f ndjson -o "$work/diff.ndjson"
expect 0 "diff ndjson, the other way" -- diff "$work/r6.json" "$work/r1.json" -f ndjson
expect 0 "diff of a report with itself: the summary alone" -- diff "$work/r1.json" "$work/r1.json" -f ndjson
expect 0 "rules json" -- rules -f json
expect 0 "paths --from" -- paths --ldif "$lab" --from web01 -f json
expect 0 "paths --to" -- paths --ldif "$lab" --to DC01 --max-hops 3 -f json
expect 0 "verify json: works" -- verify svc_web MSSQLSvc/sql01.corp.example:1433 --ldif "$lab" -f json
expect 1 "verify json: does not work" -- verify WEB01 cifs/DC01.corp.example --user carol --ldif "$lab" -f json
expect 0 "verify json: protocol transition" -- verify APP01 cifs/FS01.corp.example --protocol any --ldif "$lab" -f json
expect 1 "verify json: no back end" -- verify svc_web HTTP/nowhere.corp.example --user Administrator --ldif "$lab" -f json
expect 0 "explain json" -- verify --explain-error 0xC000015B -f json

# --- the NDJSON record shape: ECS placement, one shape for audit and diff ---
pycheck "ECS threat fields and rule references" "$work/diff.ndjson" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
alerts = [r for r in recs if r["event"]["dataset"] == "kdeleg.finding"]
assert alerts and recs[-1]["event"]["dataset"] == "kdeleg.summary"
for r in alerts:
    t = r["threat"]
    assert t["framework"] == "MITRE ATT&CK"
    assert all("." not in i for i in t["technique"]["id"]), t
    assert all("." in i for i in t["technique"]["subtechnique"]["id"]), t
    for group in (t["technique"], t["technique"]["subtechnique"], t["tactic"]):
        assert len(group["id"]) == len(group["name"]) == len(group["reference"]), group
        assert all(u.startswith("https://attack.mitre.org/") for u in group["reference"])
    assert r["ecs"]["version"] == "8.11.0" and r["rule"]["reference"].startswith("https://")
PY
"$kdeleg" rules -f json >"$work/rules.json"
pycheck "the catalogue" "$work/rules.json" <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))
assert len(rules) == 15, len(rules)
for r in rules:
    assert r["reference"].startswith("https://"), r["id"]
    assert isinstance(r["attack"], list) and isinstance(r["references"], list)
    assert bool(r["tactics"]) == bool(r["attack"]), r["id"]
PY

# --- the checker fails on what it must: a wrong type, an unknown field, one path of two types ---
"$py" - "$work/r1.json" "$work" <<'PY'
import copy, json, sys
doc = json.load(open(sys.argv[1]))
def mutate(name, change):
    d = copy.deepcopy(doc); change(d); json.dump(d, open(f"{sys.argv[2]}/bad-{name}.json", "w"))
mutate("type", lambda d: d["findings"][0]["details"].__setitem__("tier0", "yes"))
mutate("field", lambda d: d["findings"][0]["account"].__setitem__("extra", 1))
mutate("count", lambda d: d["counts"].__setitem__("users", "12"))
# (the lab's one-hop chains are folded into other findings' details.also: issue 14)
mutate("hop", lambda d: [a for f in d["findings"] for a in [f] + f["details"].get("also", [])
                         if a["rule"] == "delegation-chain"][0]
       ["details"]["chains"][0]["hops"][0]["evidence"].__setitem__("ace", {"index": 1}))
PY
for bad in type field count hop; do
    checks=$((checks + 1))
    types "report:$work/bad-$bad.json" >/dev/null 2>"$work/err" && fail "schema accepts bad-$bad.json"
done
printf '{"a": {"b": 1}}\n' >"$work/t1.json"
printf '{"a": {"b": "1"}}\n' >"$work/t2.json"
checks=$((checks + 1))
"$py" - "$top/tests/cli/json-types.py" "$work" <<'PY' || fail "the type walker misses a path of two types"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("jt", sys.argv[1]); jt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jt)
import collections
types = collections.defaultdict(dict)
for n in ("t1", "t2"):
    jt.walk(__import__("json").load(open(f"{sys.argv[2]}/{n}.json")), "", n, types)
assert set(types["a.b"]) == {"integer", "string"}, types
PY

# --- docs/json-output.md's field tables name only what the schemas have ---
checks=$((checks + 1))
"$py" "$top/tests/cli/doc-fields.py" "$top/docs/json-output.md" "$top/docs/schema" >/dev/null ||
    fail "docs/json-output.md and docs/schema disagree"
sed 's/| `ecs.version` | string |/| `ecs.versio` | string |/' "$top/docs/json-output.md" >"$work/bad.md"
checks=$((checks + 1))
"$py" "$top/tests/cli/doc-fields.py" "$work/bad.md" "$top/docs/schema" >/dev/null 2>&1 &&
    fail "doc-fields.py misses a field the schema lacks"

# --- fingerprints: byte-identical to those of src/sha256.c's own SHA-256 (pinned
# before nettle replaced it), and to SHA-256 as docs/json-output.md describes it ---
pycheck "pinned fingerprints" "$work/r1.json" <<'PY'
import hashlib, json, sys
doc = json.load(open(sys.argv[1]))
have = {(f["rule"], f["account"]["name"], f["fingerprint"]) for f in doc["findings"]}
pinned = {
    ("unconstrained-delegation", "svc_iis", "66923adbb93b56042efb106f3f03985c"),
    ("unconstrained-delegation", "WEB01$", "0cca327ec9b3211ed1c41ac25c588038"),
    ("unconstrained-delegation", "OLD01$", "4da2820ef30222ff5710dbff3ea92716"),
    ("privileged-delegable", "Administrator", "d5f9388eb35c0c504abb995617d44e19"),
    ("duplicate-spn", "svc_iis", "62c7b423a6050a4e0d2acccea46622e5"),
    ("duplicate-spn", "svc_web", "5daded89d2aa1bfda40a62c7310f2187"),
    ("duplicate-spn", "svc_iis", "d2003acb312c2884aeeb70e4efb96672"),
    ("duplicate-spn", "WEB02$", "a54ca47d1c5f61a7627bb8d8fb3bc659"),
    ("machine-account-quota", "corp.example", "5cf6404eb9d592f5b1c208a4267603f2"),
    ("unparseable-attribute", "PRINT01$", "89654695a97d5a2924d932c8e7fdf070"),
    ("orphan-delegation-target", "svc_backup", "3d5573e53f9a57fe613f8b962c5fab4b"),
    ("stale-admincount", "old.admin", "6846260e4e9e324d6ff5d65643815c3b"),
}
assert pinned <= have, sorted(pinned - have)
sid = doc["domain"]["sid"]
for f in doc["findings"]:
    if f["rule"] in ("unconstrained-delegation", "privileged-delegable"):
        m = f"{f['rule']}\0{sid}\0{f['account']['sid']}\0".encode()
        assert hashlib.sha256(m).hexdigest()[:32] == f["fingerprint"], f["account"]["name"]
PY

check_done schema
