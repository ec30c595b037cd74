#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live LDAP collector against a Samba AD DC (tests/integration/lab.sh): a live audit
# finds exactly what the audit of README's ldapsearch snapshot finds (fingerprints
# included), so does the audit of a `kdeleg collect` snapshot; every bind and transport;
# paging and ranged values; and every fault exits 3 with a message, nothing on stdout and
# no output file. Prints timings. Usage: test-live.sh KDELEG SOURCE_ROOT
# Exit 77 (skipped) when this machine cannot run a lab.
set -u
kdeleg=$1
top=$2
. "$top/tests/integration/lab.sh"
lab_test_begin live

# kd ARGS...: kdeleg inside the namespace, stdout in $w/out, stderr in $w/err, status in $rc.
kd() {
    checks=$((checks + 1))
    lab_exec "$kdeleg" "$@" >"$w/out" 2>"$w/err" </dev/null
    rc=$?
    [ "$rc" -le 1 ] && work=$w keep_json "$@" # checked against docs/schema at the end
}
kd_env() { # kd_env VAR=VALUE... -- ARGS...
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    checks=$((checks + 1))
    lab_exec env "${envs[@]}" "$kdeleg" "$@" >"$w/out" 2>"$w/err" </dev/null
    rc=$?
}
# refused WHAT PATTERN: exit 3, PATTERN on stderr, nothing on stdout.
refused() {
    [ "$rc" -eq 3 ] || fail "$1: exit $rc, expected 3 (stderr: $(head -c 300 "$w/err"))"
    grep -q -- "$2" "$w/err" || fail "$1: '$2' not on stderr: $(head -c 400 "$w/err")"
    [ ! -s "$w/out" ] || fail "$1: something on stdout: $(head -c 200 "$w/out")"
}
# same_findings WHAT A.json B.json: findings (fingerprints included), domain, counts, summary.
same_findings() {
    "$py" - "$2" "$3" <<'PY' >"$w/cmp" 2>&1 || fail "$1: $(head -c 1500 "$w/cmp")"
import json
import sys

a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
fa = sorted(json.dumps(f, sort_keys=True) for f in a["findings"])
fb = sorted(json.dumps(f, sort_keys=True) for f in b["findings"])
bad = False
for x in sorted(set(fa) - set(fb)):
    print("only in", sys.argv[1], x[:300])
    bad = True
for x in sorted(set(fb) - set(fa)):
    print("only in", sys.argv[2], x[:300])
    bad = True
# A targeted and a full collection (ldapsearch's is full) give the same findings and
# domain; not the same counts, nor the same coverage of accounts.
def plan(r):
    return r["domain"]["coverage"]["plan"] or "full"
for r in (a, b):
    r["domain"]["coverage"]["plan"] = plan(r)
if plan(a) != plan(b):
    for r in (a, b):
        del r["domain"]["coverage"]
        del r["counts"]
for k in ("domain", "counts", "summary"):
    if k in a and a[k] != b[k]:
        print(k, "differs:", a[k], b[k])
        bad = True
sys.exit(bad)
PY
}
# same_snapshot WHAT A.ldif B.ldif: byte for byte but the time comment.
same_snapshot() {
    cmp -s <(grep -v '^# time: ' "$2") <(grep -v '^# time: ' "$3") ||
        fail "$1: $2 and $3 differ: $(diff <(grep -v '^# time: ' "$2") <(grep -v '^# time: ' "$3") | head -5)"
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

filter='(|(objectClass=user)(objectClass=computer)(objectClass=group)(objectClass=domain)(objectClass=trustedDomain))'
attrs=(objectClass sAMAccountName objectSid userAccountControl servicePrincipalName
    msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity memberOf member
    primaryGroupID adminCount dNSHostName msDS-SupportedEncryptionTypes
    ms-DS-MachineAccountQuota msDS-Behavior-Version
    nTSecurityDescriptor sIDHistory trustPartner trustAttributes trustDirection trustType)
# the SD-flags control, OWNER|DACL (test-snapshot.sh)
sdflags='1.2.840.113556.1.4.801=::MAMCAQU='
crossref="CN=$LAB_DOMAIN,CN=Partitions,$LAB_CONFIG_BASE"
# README "Making a snapshot" (test-snapshot.sh checks what its audit finds).
readme_snapshot() {
    lab_ldapsearch -E pr=1000/noprompt -E "$sdflags" -b "$LAB_BASE" "$filter" "${attrs[@]}" >"$1" &&
        lab_ldapsearch -b "CN=Directory Service,CN=Windows NT,CN=Services,$LAB_CONFIG_BASE" \
            -s base sPNMappings >>"$1" &&
        lab_ldapsearch -b "CN=Partitions,$LAB_CONFIG_BASE" -s one \
            "(&(objectClass=crossRef)(nCName=$LAB_BASE))" nCName nETBIOSName >>"$1"
}

# ---- the reference: README's snapshot, audited offline ----
readme_snapshot "$w/readme.ldif" || lab_fail "ldapsearch failed" || exit 1
"$kdeleg" audit --ldif "$w/readme.ldif" -f json >"$w/ref.json" 2>"$w/err" ||
    lab_fail "offline audit of the ldapsearch snapshot: $(cat "$w/err")" || exit 1

# ---- GSSAPI (the default) on ldap://, signed and sealed ----
kd audit -H "$LAB_URI" --full -f json
ok "live audit, full"
same_findings "live audit (full) vs the ldapsearch snapshot" "$w/ref.json" "$w/out"
kd audit -H "$LAB_URI" -f json
ok "live audit"
cp "$w/out" "$w/live.json"
same_findings "live audit (targeted) vs the ldapsearch snapshot" "$w/ref.json" "$w/live.json"
# the write-rights cases, the quota, trusts and adminCount (populate.py's "expect"), live
checks=$((checks + 1))
lab_expect_rights "$w/live.json" ||
    fail "live audit: write rights, quota, trusts, adminCount (above)"
"$py" - "$w/live.json" "$LAB_URI" <<'PY' || fail "live report's source"
import json
import sys

doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["source"] == {"kind": "ldap", "name": sys.argv[2]}, doc["source"]
assert doc["complete"] is True
PY
# ---- kdeleg paths, live: exactly the lab's chains to tier 0 (issue 10) ----
kd paths -H "$LAB_URI"
ok "live paths"
cp "$w/out" "$w/paths.txt"
"$py" - "$w/paths.txt" <<'PY' || fail "live paths: not the lab's chains"
import sys

got = set(open(sys.argv[1], encoding="utf-8").read().splitlines())
coerced = "  [needs a DC coerced to authenticate (assumed)]"
created = "  [needs a computer account it creates]"
want = {
    # the multi-hop chains populate.py sets up
    "chain_kcd --constrained+PT cifs/chainfs.lab.test--> CHAINFS$ --rbcd--> DC1$",
    "chain_writer --member--> chain-ops --write-rbcd write-property-attribute--> CHAINW$ "
    "--rbcd--> DC1$" + created,
    "chain-ops --write-rbcd write-property-attribute--> CHAINW$ --rbcd--> DC1$" + created,
    "chain_front --rbcd--> UNC01$ --unconstrained--> domain lab.test" + coerced,
    # and the one-hop ones the other cases make
    "CHAINFS$ --rbcd--> DC1$",
    "CHAINW$ --rbcd--> DC1$",
    "WEB02$ --rbcd--> DC1$",
    "UNC01$ --unconstrained--> domain lab.test" + coerced,
    "WEB01$ --unconstrained--> domain lab.test" + coerced,
    "svc_iis --unconstrained--> domain lab.test" + coerced,
    "svc_backup --constrained cifs/dc1.lab.test--> DC1$  [needs a user's forwardable ticket]",
    "svc_tgt --constrained krbtgt/LAB.TEST--> krbtgt  [needs a user's forwardable ticket]",
    "rw-dc --write-rbcd write-property-attribute--> DC1$" + created,
}
for line in sorted(got - want):
    print("unexpected chain:", line, file=sys.stderr)
for line in sorted(want - got):
    print("missing chain:", line, file=sys.stderr)
sys.exit(got != want)
PY
kd paths -H "$LAB_URI" --from chain_writer -f json
ok "live paths --from"
"$py" - "$w/out" <<'PY' || fail "live paths --from chain_writer"
import json
import sys

paths = json.load(open(sys.argv[1], encoding="utf-8"))["paths"]
assert len(paths) == 1, paths
assert [h["kind"] for h in paths[0]["hops"]] == [
    "member-of", "write-rbcd", "resource-based-delegation"], paths[0]["hops"]
assert paths[0]["needs"] == ["created-computer"], paths[0]["needs"]
PY

"$kdeleg" rules -f json >"$w/rules.json"
"$py" - "$w/live.json" "$w/rules.json" <<'PY' || fail "a rule of the catalogue is not found live"
import json
import sys

found = {f["rule"] for f in json.load(open(sys.argv[1], encoding="utf-8"))["findings"]}
catalogue = {r["id"] for r in json.load(open(sys.argv[2], encoding="utf-8"))}
missing = sorted(catalogue - found)
if missing:
    print("rules not found live:", missing, file=sys.stderr)
    sys.exit(1)
PY
kd audit -H "$LAB_URI"
ok "live audit, text"
grep -q "$LAB_URI" "$w/out" || fail "the text report does not name the DC"

# ---- kdeleg collect, then the offline audit of what it wrote ----
t=$(now)
kd collect -H "$LAB_URI" --full -o "$w/collect.ldif"
t_collect=$(since "$t")
ok "collect"
[ -s "$w/err" ] && fail "collect wrote to stderr (not a terminal): $(head -c 200 "$w/err")"
head -1 "$w/collect.ldif" | grep -qx 'version: 1' || fail "collect: no version line"
grep -q "^# source: $LAB_URI\$" "$w/collect.ldif" || fail "collect: no source comment"
grep -qx "# plan: full" "$w/collect.ldif" || fail "collect --full: no plan comment"
[ "$(stat -c %a "$w/collect.ldif")" = 600 ] || fail "collect: snapshot not private (mode $(stat -c %a "$w/collect.ldif"))"
"$kdeleg" audit --ldif "$w/collect.ldif" -f json >"$w/collect.json" 2>"$w/err" ||
    fail "offline audit of the collected snapshot: $(cat "$w/err")"
same_findings "collect + offline audit vs live audit" "$w/live.json" "$w/collect.json"
# the reader keeps exactly the entries, names and values the writer wrote
"$py" - "$w/collect.ldif" "$w/readme.ldif" <<'PY' || fail "collect vs ldapsearch: other entries"
import sys

def dns(path):
    out = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("dn:"):
            out.add(line.rstrip("\n").lower())
    return out

a, b = dns(sys.argv[1]), dns(sys.argv[2])
if a != b:
    print("only collected:", sorted(a - b)[:5], "only ldapsearch:", sorted(b - a)[:5],
          file=sys.stderr)
    sys.exit(1)
PY

# owners and DACLs (the SD-flags control) and the domain's crossRef, as ldapsearch read them
for a in nTSecurityDescriptor:: nETBIOSName:; do
    n_collect=$(grep -ci "^$a " "$w/collect.ldif")
    n_readme=$(grep -ci "^$a " "$w/readme.ldif")
    [ "$n_collect" -gt 0 ] && [ "$n_collect" = "$n_readme" ] ||
        fail "collect: $n_collect values of ${a%%:*}, ldapsearch $n_readme"
done

# ---- -b: another base; the configuration's sPNMappings still come ----
kd collect -H "$LAB_URI" -b "CN=Users,$LAB_BASE" -o "$w/users.ldif"
ok "collect -b CN=Users"
others=$(grep '^dn: ' "$w/users.ldif" | grep -v ",CN=Users,$LAB_BASE\$" |
    grep -vx "dn: CN=Directory Service,CN=Windows NT,CN=Services,$LAB_CONFIG_BASE" |
    grep -vx "dn: $crossref")
[ -z "$others" ] || fail "collect -b CN=Users: entries from elsewhere: $(echo "$others" | head -3)"
grep -q "^dn: CN=Administrator,CN=Users,$LAB_BASE\$" "$w/users.ldif" || fail "collect -b: no Administrator"

# ---- where the DC comes from: DNS SRV records, ldap.conf, a list of URIs ----
kd audit -d "${LAB_REALM,,}" -f json
ok "DNS SRV discovery (-d)"
[ "$rc" -eq 0 ] && same_findings "SRV discovery" "$w/live.json" "$w/out"
printf 'URI %s\nTLS_CACERT %s\n' "$LAB_URI" "$LAB_CA" >"$w/ldap.conf"
kd_env -u LDAPNOINIT LDAPCONF="$w/ldap.conf" -- audit -f json
ok "ldap.conf URI"
[ "$rc" -eq 0 ] && same_findings "ldap.conf URI" "$w/live.json" "$w/out"
kd audit
if [ "$rc" -ne 2 ] || ! grep -q "needs a source" "$w/err"; then
    fail "no source at all: exit $rc, expected 2 ($(head -c 200 "$w/err"))"
fi
kd audit -H "ldap://$LAB_FQDN:1" -H "$LAB_URI" -f json
ok "a DC that is down, then one that answers"
[ "$rc" -eq 0 ] && same_findings "second URI" "$w/live.json" "$w/out"

# ---- simple binds over verified TLS ----
printf '%s\n' "$LAB_ADMIN_PASS" >"$w/password"
chmod 600 "$w/password"
kd audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" --simple-bind "$LAB_ADMIN@${LAB_REALM,,}" \
    --password-file "$w/password" -f json
ok "simple bind over ldaps, UPN, --password-file"
[ "$rc" -eq 0 ] && same_findings "simple bind (password file)" "$w/live.json" "$w/out"
kd_env KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" \
    --simple-bind "CN=$LAB_ADMIN,CN=Users,$LAB_BASE" -f json
ok "simple bind over ldaps, DN, KDELEG_PASSWORD"
[ "$rc" -eq 0 ] && same_findings "simple bind (environment)" "$w/live.json" "$w/out"
kd_env KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- collect -H "$LAB_URI" --full --starttls --ca-file "$LAB_CA" \
    --simple-bind "$LAB_ADMIN@${LAB_REALM,,}" -o "$w/starttls.ldif"
ok "simple bind after StartTLS"
[ "$rc" -eq 0 ] && same_snapshot "StartTLS snapshot" "$w/collect.ldif" "$w/starttls.ldif"
kd_env -u LDAPNOINIT LDAPCONF="$w/ldap.conf" KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- \
    audit -H "ldaps://$LAB_FQDN" --simple-bind "$LAB_ADMIN@${LAB_REALM,,}" -f json
ok "ldaps with ldap.conf's TLS_CACERT"
# no file, no variable: an echo-off prompt on the terminal (script(1) gives it one)
rm -f "$w/prompt.json"
checks=$((checks + 1))
(sleep 1; printf '%s\n' "$LAB_ADMIN_PASS") |
    lab_exec script -qfec "$(printf '%q ' "$kdeleg" audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" \
        --simple-bind "$LAB_ADMIN@${LAB_REALM,,}" -f json -o "$w/prompt.json")" "$w/prompt.log" \
    >/dev/null
rc=$?
ok "simple bind, password typed at the prompt"
grep -q "Password for $LAB_ADMIN@${LAB_REALM,,}: " "$w/prompt.log" || fail "no password prompt"
[ -s "$w/prompt.json" ] && same_findings "simple bind (prompt)" "$w/live.json" "$w/prompt.json"
grep -rq -- "$LAB_ADMIN_PASS" "$w/err" "$w/out" "$w/prompt.log" &&
    fail "the password shows in the output or on the terminal"

# ---- paging and ranged values, on a thousand more accounts and a 1000-member group ----
"$py" - >"$w/bulk.ldif" <<PY
for i in range(1000):
    print(f"dn: CN=bulk{i:04d},CN=Users,$LAB_BASE\nobjectClass: user\nsAMAccountName: bulk{i:04d}\n")
print("dn: CN=Bulk Group,CN=Users,$LAB_BASE\nobjectClass: group\nsAMAccountName: bulkgroup")
for i in range(1000):
    print(f"member: CN=bulk{i:04d},CN=Users,$LAB_BASE")
print()
PY
lab_exec ldbadd -H "$LAB_SAM" "$w/bulk.ldif" >>"$LAB_LOG" 2>&1 || lab_fail "ldbadd of 1001 entries" || exit 1
t=$(now)
kd collect -H "$LAB_URI" --full -o "$w/p1000.ldif"
t_p1000=$(since "$t")
ok "collect, pages of 1000"
t=$(now)
kd collect -H "$LAB_URI" --full --page-size 2 -o "$w/p2.ldif"
t_p2=$(since "$t")
ok "collect, pages of 2"
same_snapshot "pages of 2 vs 1000" "$w/p1000.ldif" "$w/p2.ldif"
entries=$(grep -c '^$' "$w/p1000.ldif")
entries=$((entries - 1))
[ "$entries" -gt 1070 ] || fail "bulk snapshot has $entries entries"
[ "$(grep -c '^member: CN=bulk' "$w/p1000.ldif")" = 1000 ] || fail "the bulk group lost members"
t_ranges=""
for step in 700 3 1; do
    t=$(now)
    kd collect -H "$LAB_URI" --full --range-step "$step" -o "$w/r$step.ldif"
    t_ranges="$t_ranges, of $step $(since "$t")"
    ok "collect, ranges of $step"
    same_snapshot "ranges of $step values" "$w/p1000.ldif" "$w/r$step.ldif"
done
kd audit -H "$LAB_URI" --full --page-size 2 --range-step 2 -f json
ok "audit, pages of 2, ranges of 2"
"$kdeleg" audit --ldif "$w/p1000.ldif" -f json >"$w/p1000.json" 2>/dev/null
[ "$rc" -eq 0 ] && same_findings "live pages of 2 vs the snapshot" "$w/p1000.json" "$w/out"

# the client against ldapsearch on the same search, alternating; and what reading the
# descriptors costs ldapsearch (the same search without the control and nTSecurityDescriptor)
t_ls=""
t_kd=""
t_nosd=""
nosd=()
for a in "${attrs[@]}"; do [ "$a" = nTSecurityDescriptor ] || nosd+=("$a"); done
for _ in 1 2 3; do
    t=$(now)
    lab_ldapsearch -E pr=1000/noprompt -b "$LAB_BASE" "$filter" "${nosd[@]}" >"$w/nosd.ldif"
    t_nosd="$t_nosd $(since "$t")"
    t=$(now)
    lab_ldapsearch -E pr=1000/noprompt -E "$sdflags" -b "$LAB_BASE" "$filter" "${attrs[@]}" \
        >"$w/sd.ldif"
    t_ls="$t_ls $(since "$t")"
    t=$(now)
    lab_exec "$kdeleg" collect -H "$LAB_URI" -o "$w/timing.ldif" >/dev/null 2>&1
    t_kd="$t_kd $(since "$t")"
done

# ---- faults: exit 3, a message, no report, no file ----
kd_env KRB5CCNAME="FILE:$w/no-such-ccache" -- audit -H "$LAB_URI"
refused "no Kerberos ticket" "no ticket"
kd_env KDELEG_PASSWORD=wrong-password -- audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" \
    --simple-bind "$LAB_ADMIN@${LAB_REALM,,}"
refused "wrong password" "Invalid credentials"
kd_env KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- audit -H "ldaps://$LAB_FQDN" \
    --simple-bind "$LAB_ADMIN@${LAB_REALM,,}"
refused "untrusted certificate (ldaps)" "certificate not trusted"
kd_env KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- audit -H "$LAB_URI" --starttls \
    --simple-bind "$LAB_ADMIN@${LAB_REALM,,}"
refused "untrusted certificate (StartTLS)" "StartTLS failed"
kd_env KDELEG_PASSWORD="$LAB_ADMIN_PASS" -- audit -H "$LAB_URI" --simple-bind "$LAB_ADMIN@${LAB_REALM,,}"
refused "simple bind over ldap://" "refusing a simple bind over ldap://"
kd audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA"
refused "Kerberos over TLS (Samba refuses it)" "Kerberos (SASL GSSAPI) bind failed"
: >"$w/empty-password"
kd audit -H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" --simple-bind x --password-file "$w/empty-password"
refused "empty password" "empty password"
kd audit -H "ldap://$LAB_FQDN:1"
refused "no DC at the port" "cannot connect"
t=$(now)
kd audit -H "ldap://${LAB_IP%.*}.99" --timeout 2
refused "no DC at the address" "cannot connect"
[ "$(awk -v s="$(since "$t")" 'BEGIN { print (s < 10) }')" = 1 ] || fail "--timeout 2 took $(since "$t") s"
kd audit -d nowhere.invalid
refused "no SRV records" "no domain controller found"
kd audit -H "$LAB_URI" -b "OU=Nowhere,$LAB_BASE" -f json
refused "a base that does not exist (a non-success result)" "collecting 'accounts' failed after 0 entries (page 1): the DC answered No such object (32)"
kd audit -H "ldap://$LAB_FQDN:3268"
refused "the Global Catalog port" "Global Catalog"
kd collect -H "ldap://$LAB_FQDN:1" -o "$w/never.ldif"
refused "collect from no DC" "cannot connect"
[ -e "$w/never.ldif" ] && fail "collect from no DC left a file"

# mid-search faults: a pty makes kdeleg show progress, which says the search is under way
# midsearch SIGNAL ARGS...: runs kdeleg ARGS under script(1), sends SIGNAL to the DC once a
# page has come; the DC stays stopped or dead. Returns 1 when the client finished first.
midsearch() {
    local sig=$1 cmd
    shift
    cmd=$(printf '%q ' "$kdeleg" "$@")
    # an attempt that lost the race may have written its output
    rm -f "$w/pty.log" "$w/stopped.json" "$w/killed.ldif"
    checks=$((checks + 1))
    # stdout to a file, stderr (progress, the error) to the terminal
    lab_exec script -qfec "$cmd >$(printf '%q' "$w/out")" "$w/pty.log" >/dev/null </dev/null &
    local pid=$!
    for _ in $(seq 500); do
        grep -q "accounts: [0-9]* entries" "$w/pty.log" 2>/dev/null && break
        sleep 0.01
    done
    lab_kill_dc "$sig"
    wait "$pid"
    rc=$?
    tr '\r' '\n' <"$w/pty.log" >"$w/err"
    grep -q "collecting 'accounts' failed after [1-9]" "$w/err"
}
warm() { lab_exec "$kdeleg" audit -H "$LAB_URI" >/dev/null 2>&1; }

# progress on a terminal, none with --quiet (nor when stderr is a file: checked by collect above)
checks=$((checks + 1))
lab_exec script -qfec "$(printf '%q ' "$kdeleg" collect --full -H "$LAB_URI" -o "$w/tty.ldif")" \
    "$w/tty.log" >/dev/null </dev/null
tr '\r' '\n' <"$w/tty.log" | grep -q "kdeleg: $LAB_URI: accounts: [0-9]* entries, page 2, done" ||
    fail "no progress on a terminal: $(tr '\r' '\n' <"$w/tty.log" | head -5)"
checks=$((checks + 1))
lab_exec script -qfec "$(printf '%q ' "$kdeleg" collect -q -H "$LAB_URI" -o "$w/tty.ldif")" \
    "$w/tty.log" >/dev/null </dev/null
grep -q "entries" "$w/tty.log" && fail "progress despite --quiet"

warm
for _ in 1 2 3; do
    midsearch STOP audit -H "$LAB_URI" --page-size 1 --range-step 1 --timeout 2 -f json -o "$w/stopped.json" && break
    lab_kill_dc KILL; lab_start_dc && warm
done
[ "$rc" -eq 3 ] || fail "DC stopped mid-search: exit $rc"
grep -q "no answer from the DC within 2 s" "$w/err" ||
    fail "DC stopped mid-search: $(grep kdeleg "$w/err" | tail -2)"
[ -e "$w/stopped.json" ] && fail "DC stopped mid-search: a report was written"
lab_kill_dc KILL
lab_start_dc || exit 1
warm
for _ in 1 2 3; do
    midsearch KILL collect -H "$LAB_URI" --page-size 1 --range-step 1 -o "$w/killed.ldif" && break
    lab_start_dc && warm
done
[ "$rc" -eq 3 ] || fail "DC killed mid-search: exit $rc"
grep -q "lost the connection to the DC" "$w/err" ||
    fail "DC killed mid-search: $(grep kdeleg "$w/err" | tail -2)"
[ -e "$w/killed.ldif" ] && fail "DC killed mid-search: a snapshot was written"
ls "$w"/*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls "$w"/*.tmp.*)"

# interrupted: SIGTERM to kdeleg mid-collection leaves neither snapshot nor temp file
lab_start_dc || exit 1
warm
rm -f "$w/pty.log" "$w/interrupted.ldif"
checks=$((checks + 1))
lab_exec script -qfec "$(printf '%q ' "$kdeleg" collect -H "$LAB_URI" --page-size 1 --range-step 1 \
    -o "$w/interrupted.ldif")" "$w/pty.log" >/dev/null </dev/null &
pid=$!
for _ in $(seq 500); do
    grep -q "accounts: [0-9]* entries" "$w/pty.log" 2>/dev/null && break
    sleep 0.01
done
ls "$w"/interrupted.ldif.tmp.* >/dev/null 2>&1 || echo "note: the interrupt came before the temp file"
for p in $(ip netns pids "$LAB_NS"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kdeleg ] && kill -TERM "$p"
done
wait "$pid"
irc=$?
# the lab is small: a collection can end between its first progress line and the
# kill; then it is complete, and the point (no partial file) does not arise
if [ "$irc" -eq 0 ] && tail -n 1 "$w/interrupted.ldif" 2>/dev/null | grep -q '^# kdeleg collect complete'; then
    echo "note: the collection ended before the interrupt"
else
    [ -e "$w/interrupted.ldif" ] && fail "interrupted collect wrote a snapshot (exit $irc)"
fi
ls "$w"/interrupted.ldif.tmp.* >/dev/null 2>&1 &&
    fail "interrupted collect left its temp file: $(ls "$w"/interrupted.ldif.tmp.*)"

echo "timings (s): collect of the lab ($(grep -c '^$' "$w/collect.ldif") entries) $t_collect;" \
    "with 1000 more accounts ($entries entries): pages of 1000 $t_p1000, pages of 2 $t_p2;" \
    "ranges${t_ranges#,};" \
    "ldapsearch vs kdeleg collect, alternating:$t_ls vs$t_kd;" \
    "ldapsearch without descriptors:$t_nosd ($(stat -c %s "$w/nosd.ldif") bytes," \
    "with them $(stat -c %s "$w/sd.ldif"))"
checks=$((checks + 1))
[ ${#kept_json[@]} -gt 0 ] && "$py" "$top/tests/cli/json-types.py" "$top/docs/schema" \
    "${kept_json[@]}" "report:$w/ref.json" "rules:$w/rules.json" ||
    fail "the live outputs break docs/schema or give a field two types"
if [ "$failures" -ne 0 ]; then
    lab_fail "$failures of $checks checks failed"
    exit 1
fi
echo "live: $checks checks passed"
