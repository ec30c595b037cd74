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
has err "unknown value 'xml' for --format (text, json, ndjson, csv or html)" "bad format"
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
# no false positives on plain accounts. One finding per configuration (issue 14): the
# lab's chains are all one hop, each the setting another finding reports, so they
# live in those findings' details.also, not as findings of their own
named = {f["account"]["name"] for f in doc["findings"] if f["rule"] != "delegation-chain"}
assert not [f for f in doc["findings"] if f["rule"] == "delegation-chain"]
folded = {(f["account"]["name"], a["rule"]) for f in doc["findings"]
          for a in f["details"].get("also", [])}
assert {("svc_iis", "delegation-chain"), ("WEB01$", "delegation-chain"),
        ("DC02$", "delegation-chain"), ("svc_backup", "delegation-chain"),
        ("SQL01$", "resource-based-delegation"), ("DC02$", "resource-based-delegation"),
        ("APP01$", "constrained-delegation"), ("svc_backup", "constrained-delegation")} == folded, folded
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

# --- kdeleg verify (issue 11): exit 0 works, 1 does not, 2 usage, 3 broken input ---
fs=cifs/FS01.corp.example
carol=S-1-5-21-3623811015-3361044348-30300820-1107
expect 0 "verify classic" -- verify APP01 "$fs" --ldif "$lab"
has out "kdeleg verify: APP01[$] -> $fs (FS01[$]) for any delegable user, protocol kerberos" \
    "verify classic"
has out "verdict: WORKS (classic delegation)" "verify classic"
has out "\[ ok \] classic: SPN in the front end's targets" "verify classic"
grep -q "fix:\|error:\|\[FAIL\]" "$work/out" && fail "verify classic: a working delegation shows a failure or a fix"
empty err "verify classic"
expect 0 "verify --protocol any --user" -- verify APP01 "$fs" --ldif "$lab" --protocol any --user Carol
has out "for carol, protocol any" "verify --protocol any --user"
has out "\[ ok \] S4U2Self ticket forwardable" "verify --protocol any --user"
expect 0 "verify by DN and SID" -- verify "CN=APP01,OU=Servers,DC=corp,DC=example" "$fs" --ldif "$lab" --user "$carol"
has out "for carol" "verify by DN and SID"
# RBCD through a group (Web Frontends) for a user who arrived by forms: the S-1-18-2 caveat
expect 0 "verify rbcd --protocol any" -- verify WEB02 "$fs" --ldif "$lab" --protocol any --user carol
has out "verdict: WORKS (resource-based delegation)" "verify rbcd --protocol any"
has out "\[ ?? \] back end accepts a service-asserted identity" "verify rbcd --protocol any"
has out "\[ -- \] classic: SPN in the front end's targets" "verify rbcd --protocol any"
expect 1 "verify unregistered SPN" -- verify svc_web HTTP/intranet --ldif "$lab"
has out "verdict: DOES NOT WORK" "verify unregistered SPN"
has out "\[FAIL\] target SPN registered" "verify unregistered SPN"
has out "registered instead: HTTP/intranet.corp.example" "verify unregistered SPN"
has out "error: 0xC0000064" "verify unregistered SPN"
has out "fix:  setspn -S 'HTTP/intranet'" "verify unregistered SPN"
empty err "verify unregistered SPN"
expect 1 "verify sensitive user" -- verify APP01 "$fs" --ldif "$lab" --user alice.admin
has out "\[FAIL\] user not marked sensitive" "verify sensitive user"
has out "error: KDC_ERR_BADOPTION" "verify sensitive user"
expect 1 "verify Protected Users at level 7" -- verify APP01 "$fs" --ldif "$lab" --user bob.admin
has out "\[FAIL\] user not protected by Protected Users" "verify Protected Users at level 7"
expect 1 "verify SPN not in the list" -- verify APP01 cifs/TEST01.corp.example --ldif "$lab"
has out "error: 0xC000015B" "verify SPN not in the list"
has out "fix:  Set-ADObject -Identity 'CN=APP01,OU=Servers,DC=corp,DC=example' -Add \
@{'msDS-AllowedToDelegateTo'='cifs/TEST01.corp.example'}" "verify SPN not in the list"
# the snapshot's accounts for what the lab cannot show: a conditional ACE, control characters
"$py" - "$lab" "$work/verify.ldif" <<'PY' || fail "verify: fixture"
import base64, struct, sys
DOM = "S-1-5-21-3623811015-3361044348-30300820"
def sid(text):
    p = text.split("-")
    subs = [int(x) for x in p[3:]]
    return (struct.pack("<BB", 1, len(subs)) + int(p[2]).to_bytes(6, "big")
            + b"".join(struct.pack("<I", s) for s in subs))
def ace(kind, mask, trustee, app=b""):
    body = struct.pack("<I", mask) + sid(trustee) + app
    return struct.pack("<BBH", kind, 0, 4 + len(body)) + body
def sd(aces):
    owner = sid("S-1-5-32-544")
    acl = b"".join(aces)
    dacl = struct.pack("<BBHHH", 2, 0, 8 + len(acl), len(aces), 0) + acl
    return struct.pack("<BBHIIII", 1, 0, 0x8004, 20, 0, 0, 20 + len(owner)) + owner + dacl
def b64(b):
    return base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()
def computer(dn, sam, rid, uac, extra):
    return ("dn:: %s\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
            "objectClass: user\nobjectClass: computer\nsAMAccountName:: %s\nobjectSid: %s-%d\n"
            "userAccountControl: %d\nprimaryGroupID: 515\n%s\n"
            % (b64(dn), b64(sam), DOM, rid, uac, extra))
# COND01 trusts KIOSK01 only through a conditional (callback) ACE
extra = computer("CN=COND01,OU=Servers,DC=corp,DC=example", "COND01$", 1200, 4096,
                 "servicePrincipalName: HOST/cond01.corp.example\n"
                 "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n"
                 % b64(sd([ace(0x09, 0x100, DOM + "-1121", b"artx")])))
# EVIL: terminal escapes in its DN, sAMAccountName, SPN and classic target
extra += computer("CN=EVIL\x1b[5m,OU=Servers,DC=corp,DC=example", "EVIL\x1b[31m$", 1201,
                  16781312, "servicePrincipalName:: %s\nmsDS-AllowedToDelegateTo:: %s\n"
                  % (b64(b"HOST/evil\x1b[2J.corp.example"),
                     b64(b"cifs/FS01.corp.example\x1b]0;pwn\x07")))
open(sys.argv[2], "w").write(open(sys.argv[1]).read().rstrip("\n") + "\n\n" + extra)
PY
expect 1 "verify conditional ACE" -- verify KIOSK01 cifs/cond01.corp.example --ldif "$work/verify.ldif"
has out "verdict: DEPENDS ON A CONDITIONAL ACE (resource-based delegation)" "verify conditional ACE"
has out "\[ ?? \] ACE matches the front end's token" "verify conditional ACE"
evil=S-1-5-21-3623811015-3361044348-30300820-1201
for args in "$evil cifs/FS01.corp.example --user $evil" "$evil cifs/FS01.corp.example -f json"; do
    # shellcheck disable=SC2086
    expect 1 "verify control characters ($args)" -- verify $args --ldif "$work/verify.ldif"
    grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$work/out" "$work/err" &&
        fail "verify ($args): a raw control character reached the terminal"
done
has out 'EVIL\\u001[bB]\[31m[$]' "verify control characters: JSON escapes the name"
expect 1 "verify control characters in the text" -- verify "$evil" "$fs" --ldif "$work/verify.ldif"
has out 'kdeleg verify: EVIL\\x1b\[31m[$] -> cifs/FS01.corp.example' "verify control characters in the text"
has out "HOST/evil\\\\x1b\[2J.corp.example" "verify control characters in the text"
has out "'CN=EVIL\\\\x1b\[5m,OU=Servers" "verify control characters in the fix"
# an SPN with control characters is no SPN: a usage error, the argument escaped
expect 2 "verify control characters in the SPN" -- \
    verify "$evil" $'cifs/FS01.corp.example\x1b]0;pwn\x07' --ldif "$work/verify.ldif"
grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$work/out" "$work/err" && fail "verify: the SPN argument reached the terminal raw"
has err 'cifs/FS01.corp.example\\x1b\]0;pwn\\x07. is not an SPN' "verify control characters in the SPN"
expect 2 "verify an argument that is not an SPN" -- verify APP01 'not an spn' --ldif "$lab"
has err "is not an SPN" "verify an argument that is not an SPN"
expect 2 "verify an unknown front end with control characters" -- verify $'nobody\x1b[31m' cifs/x --ldif "$lab"
grep -q $'\x1b' "$work/err" && fail "verify: an unknown front end's name echoed raw"

# JSON: the document's shape
expect 0 "verify json" -- verify WEB02 "$fs" --ldif "$lab" --protocol any --user carol -f json
cp "$work/out" "$work/verify-works.json"
expect 1 "verify json refused" -- verify APP01 cifs/TEST01.corp.example --ldif "$lab" -f json
cp "$work/out" "$work/verify-refused.json"
expect 1 "verify json conditional" -- verify KIOSK01 cifs/cond01.corp.example --ldif "$work/verify.ldif" -f json
cp "$work/out" "$work/verify-cond.json"
pycheck "verify json: document check" "$work" <<'PY'
import json, sys
d = sys.argv[1]
top = ["allowed", "verdict", "mechanism", "frontend", "spn", "backend", "user", "protocol",
       "checks"]
check_keys = ["name", "passed", "outcome", "detail", "fix", "error"]
def shape(doc):
    assert list(doc) == top, list(doc)
    assert isinstance(doc["allowed"], bool)
    assert doc["verdict"] in ("yes", "no", "conditional", "uncertain")
    assert doc["allowed"] == (doc["verdict"] == "yes")
    assert doc["mechanism"] in (None, "classic", "resource-based")
    assert doc["protocol"] in ("kerberos", "any")
    for who in ("frontend", "backend", "user"):
        if doc[who] is not None:
            assert {"name", "dn", "sid", "kind", "enabled"} <= set(doc[who]), doc[who]
    assert doc["frontend"] is not None and isinstance(doc["spn"], str)
    assert doc["checks"]
    for c in doc["checks"]:
        assert list(c) == check_keys, list(c)
        assert c["outcome"] in ("yes", "no", "conditional", "uncertain")
        assert c["passed"] == {"yes": True, "no": False}.get(c["outcome"]), c
        assert isinstance(c["detail"], str) and c["detail"]
        # fixes and errors only where the delegation does not work, on failed checks
        if c["fix"] is not None or c["error"] is not None:
            assert not doc["allowed"] and c["outcome"] == "no", c
    return {c["name"]: c for c in doc["checks"]}

works = json.load(open(d + "/verify-works.json"))
checks = shape(works)
assert works["allowed"] is True and works["mechanism"] == "resource-based"
assert works["frontend"]["name"] == "WEB02$" and works["backend"]["name"] == "FS01$"
assert works["user"]["name"] == "carol" and works["protocol"] == "any"
assert checks["back end accepts a service-asserted identity"]["passed"] is None
assert "Web Frontends" in checks["front end granted control access"]["detail"]

refused = json.load(open(d + "/verify-refused.json"))
checks = shape(refused)
assert refused["allowed"] is False and refused["verdict"] == "no"
assert refused["mechanism"] is None and refused["user"] is None
listed = checks["classic: SPN in the front end's targets"]
assert listed["passed"] is False
assert listed["error"].startswith("0xC000015B"), listed
assert "msDS-AllowedToDelegateTo" in listed["fix"], listed

cond = json.load(open(d + "/verify-cond.json"))
checks = shape(cond)
assert cond["allowed"] is False and cond["verdict"] == "conditional"
assert cond["mechanism"] == "resource-based"
assert checks["ACE matches the front end's token"]["outcome"] == "conditional"
PY

# -o: atomic, a refusal is still a report, a failure keeps the previous one
expect 1 "verify -o" -- verify APP01 cifs/TEST01.corp.example --ldif "$lab" -f json -o "$work/verify.json"
empty out "verify -o"
"$py" -c 'import json,sys; assert json.load(open(sys.argv[1]))["allowed"] is False' "$work/verify.json" ||
    fail "verify -o: not the report"
ls "$work"/verify.json.tmp.* >/dev/null 2>&1 && fail "verify -o left a temporary file"
echo "previous report" >"$work/keep-verify.txt"
expect 3 "verify -o with a broken snapshot" -- verify APP01 "$fs" \
    --ldif "$top/tests/data/cli/bad-base64.ldif" -o "$work/keep-verify.txt"
grep -q "previous report" "$work/keep-verify.txt" || fail "verify: a failed run replaced the previous report"
ls "$work"/keep-verify.txt.tmp.* >/dev/null 2>&1 && fail "verify: a failed run left a temporary file"
has err "bad-base64.ldif:4:" "verify with a broken snapshot names the line"
expect 2 "verify -o with an unknown front end" -- verify nobody "$fs" --ldif "$lab" -o "$work/keep-verify.txt"
grep -q "previous report" "$work/keep-verify.txt" || fail "verify: a usage error replaced the previous report"

# broken input: exit 3, nothing on stdout
expect 3 "verify broken snapshot" -- verify APP01 "$fs" --ldif "$top/tests/data/cli/truncated.ldif"
empty out "verify broken snapshot"
expect 3 "verify empty snapshot" -- verify APP01 "$fs" --ldif "$work/empty.ldif"
has err "no accounts in 0 entries" "verify empty snapshot"
expect 3 "verify missing snapshot" -- verify APP01 "$fs" --ldif "$work/nope.ldif"

# usage errors: exit 2, a line naming the problem, nothing on stdout
expect 2 "verify without an SPN" -- verify APP01 --ldif "$lab"
has err "verify takes FRONTEND SPN: 1 argument given" "verify without an SPN"
empty out "verify without an SPN"
expect 2 "verify without arguments" -- verify --ldif "$lab"
expect 2 "verify with a third argument" -- verify APP01 cifs/FS01.corp.example extra --ldif "$lab"
has err "unexpected argument 'extra'" "verify with a third argument"
expect 2 "verify unknown front end" -- verify nobody "$fs" --ldif "$lab"
has err "front end 'nobody' is not an account" "verify unknown front end"
empty out "verify unknown front end"
expect 2 "verify unknown user" -- verify APP01 "$fs" --ldif "$lab" --user nobody
has err "user 'nobody' is not an account" "verify unknown user"
expect 2 "verify --protocol foo" -- verify APP01 "$fs" --ldif "$lab" --protocol foo
has err "unknown value 'foo' for --protocol (kerberos or any)" "verify --protocol foo"
expect 2 "verify --protocol without a value" -- verify APP01 "$fs" --ldif "$lab" --protocol
expect 2 "verify -f csv" -- verify APP01 "$fs" --ldif "$lab" -f csv
has err "unknown value 'csv' for --format (text or json)" "verify -f csv"
expect 2 "verify --ldif and -H" -- verify APP01 "$fs" --ldif "$lab" -H ldap://dc01.corp.example
has err "two sources" "verify --ldif and -H"
expect 2 "verify --ldif and -d" -- verify APP01 "$fs" --ldif "$lab" -d corp.example
has err "two sources" "verify --ldif and -d"
expect 2 "verify without a source" -- verify APP01 cifs/FS01.corp.example
has err "verify needs a source: --ldif FILE, -H URI or -d DOMAIN" "verify without a source"
expect 2 "verify --explain-error with arguments" -- verify --explain-error 0xC000015B APP01 "$fs"
has err "--explain-error takes no FRONTEND or SPN" "verify --explain-error with arguments"
empty out "verify --explain-error with arguments"
expect 2 "verify --explain-error with one argument" -- verify APP01 --explain-error 0xC000015B
# a group is no front end and no user: it cannot authenticate
expect 2 "verify a group as the front end" -- verify "Web Frontends" "$fs" --ldif "$lab"
empty out "verify a group as the front end"
expect 2 "verify a group as the user" -- verify APP01 "$fs" --ldif "$lab" --user Helpdesk
empty out "verify a group as the user"
expect 0 "verify --help" -- verify --help
has out "kdeleg verify FRONTEND SPN options:" "verify --help"
has out "--protocol PROTO" "verify --help"
has out "--explain-error CODE" "verify --help"
# (every option of every command is in every completion: test-completion.sh)

# --explain-error: the causes of a pasted error, no snapshot needed
expect 0 "--explain-error 0xC000015B" -- verify --explain-error 0xC000015B
has out "^0xC000015B, seen in the front end" "--explain-error 0xC000015B"
has out "checked by: kdeleg verify (classic: SPN in the front end's targets)" "--explain-error 0xC000015B"
empty err "--explain-error 0xC000015B"
expect 0 "--explain-error without 0x, lower case" -- verify --explain-error c000015b
has out "^0xC000015B, seen in" "--explain-error without 0x, lower case"
expect 0 "--explain-error KDC_ERR_BADOPTION" -- verify --explain-error KDC_ERR_BADOPTION
[ "$(grep -c '^KDC_ERR_BADOPTION, seen in' "$work/out")" -eq 4 ] ||
    fail "--explain-error KDC_ERR_BADOPTION: not its four causes"
expect 0 "--explain-error STATUS_NOT_FOUND" -- verify --explain-error STATUS_NOT_FOUND
has out "^KDC_ERR_BADOPTION, seen in the front end (STATUS_NOT_FOUND)" "--explain-error STATUS_NOT_FOUND"
has out "RBCD access check failed" "--explain-error STATUS_NOT_FOUND"
expect 0 "--explain-error with --ldif" -- verify --explain-error NTLM --ldif "$lab"
has out "falls back to NTLM" "--explain-error with --ldif"
expect 0 "--explain-error json" -- verify --explain-error kdc_err_badoption -f json
pycheck "--explain-error json" "$work/out" <<'PY'
import json, sys
causes = json.load(open(sys.argv[1]))
assert isinstance(causes, list) and len(causes) == 4, causes
for c in causes:
    assert list(c) == ["code", "seen", "cause", "check"], list(c)
    assert c["code"] == "KDC_ERR_BADOPTION"
    assert all(isinstance(v, str) and v for v in c.values()), c
assert any("STATUS_NOT_FOUND" in c["seen"] for c in causes)
PY
expect 2 "--explain-error unknown code" -- verify --explain-error 0xDEADBEEF
has err "no cause known for '0xDEADBEEF'; known codes: 0xC000015B 0xC0000064 NTLM KDC_ERR_BADOPTION" "--explain-error unknown code"
empty out "--explain-error unknown code"
expect 2 "--explain-error unknown code with control characters" -- verify --explain-error $'\x1b]0;x\x07'
grep -q $'[\x07\x1b]' "$work/err" && fail "--explain-error echoed a control character raw"
# every code verify prints explains (the words of the errors admins paste)
for args in "APP01 cifs/TEST01.corp.example" "svc_web HTTP/intranet" "APP01 $fs --user alice.admin" \
    "APP01 $fs --user dave" "OLD01 $fs"; do
    # shellcheck disable=SC2086
    "$kdeleg" verify $args --ldif "$lab" >"$work/out" 2>&1
    for code in $(grep -o '^ *error: .*' "$work/out" |
        grep -oE '0x[0-9A-Fa-f]{8}|KDC_ERR_[A-Z_]+|STATUS_[A-Z_]+' | sort -u); do
        checks=$((checks + 1))
        "$kdeleg" verify --explain-error "$code" >/dev/null 2>&1 ||
            fail "verify $args prints $code, which --explain-error does not know"
    done
done

# --- rules catalogue and its generated documentation ---
expect 0 "rules" -- rules
has out "unparseable-attribute" "rules"
expect 0 "rules markdown" -- rules --format markdown
cmp -s "$work/out" "$top/docs/rules.md" ||
    fail "docs/rules.md is stale: regenerate with 'kdeleg rules --format markdown > docs/rules.md'"
expect 0 "rules json" -- rules --format json
"$py" -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 15' "$work/out" || fail "rules json"

check_done cli
