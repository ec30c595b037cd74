#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The targeted collection (issue 12) against a Samba AD DC (tests/integration/lab.sh): on the
# lab, plus cases only its look-ups find - a tier-0 member whose DN holds LDAP filter
# metacharacters (*, (, ), \), reached by a DN look-up; a tier-0 member by primaryGroupID
# only; a tier-0 member whose group hides its member attribute from the ordinary user
# (only the member's memberOf shows it); an RBCD descriptor owned by a plain user; writers the
# plan looks up by SID (a plain user with GenericWrite, a plain owner, a group writing the DC's
# RBCD whose plain member starts a chain; no rbcd-writable on a user without an SPN); an RBCD
# trustee group of plain users - the default (targeted) plan gives the findings of --full,
# fingerprints included, over 1 and 3 connections, as Administrator and as an ordinary user,
# from fewer entries;
# collect records the plan, a targeted snapshot audits to the same findings, and the commands
# that may name any account refuse it.
# Usage: test-targeted.sh KDELEG SOURCE_ROOT. Exit 77 (skipped) when no lab can run here.
set -u
kdeleg=$1
top=$2
. "$top/tests/integration/lab.sh"
lab_test_begin targeted

# same_findings WHAT A.json B.json: findings (fingerprints included) and summary
same_findings() {
    checks=$((checks + 1))
    "$py" - "$2" "$3" <<'PY' >"$w/cmp" 2>&1 || fail "$1: $(head -c 1500 "$w/cmp")"
import json
import sys

a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
fa = sorted(json.dumps(f, sort_keys=True) for f in a["findings"])
fb = sorted(json.dumps(f, sort_keys=True) for f in b["findings"])
for x in sorted(set(fa) - set(fb)):
    print("only in", sys.argv[1], x[:400])
for x in sorted(set(fb) - set(fa)):
    print("only in", sys.argv[2], x[:400])
sys.exit(fa != fb or a["summary"] != b["summary"])
PY
}
# field FILE.json PYTHON-EXPRESSION-ON-d
field() { "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- cases only a look-up finds ----
nest="CN=t0-nest,CN=Users,$LAB_BASE"
odd_dn="CN=odd*(x)\\5C,CN=Users,$LAB_BASE"
lab_exec ldbadd -H "$LAB_SAM" >>"$LAB_LOG" 2>&1 <<EOF || lab_fail "adding t0-nest" || exit 1
dn: $nest
objectClass: group
sAMAccountName: t0-nest
EOF
for u in oddname pgiduser plainuser hiddenuser tg_u1 tg_u2 tw_user tw_plain tw_owner tw_victim; do
    lab_samba_tool user create "$u" "$LAB_USER_PASS" >>"$LAB_LOG" 2>&1 ||
        lab_fail "samba-tool user create $u" || exit 1
done
lab_exec ldbrename -H "$LAB_SAM" "CN=oddname,CN=Users,$LAB_BASE" "$odd_dn" >>"$LAB_LOG" 2>&1 ||
    lab_fail "renaming oddname to $odd_dn" || exit 1
nest_rid=$(lab_exec ldbsearch -H "$LAB_SAM" -b "$nest" -s base objectSid 2>>"$LAB_LOG" |
    sed -n 's/^objectSid: S-1-5-21-.*-\([0-9]*\)$/\1/p')
[ -n "$nest_rid" ] || lab_fail "no RID for t0-nest" || exit 1
lab_exec ldbmodify -H "$LAB_SAM" >>"$LAB_LOG" 2>&1 <<EOF || lab_fail "memberships" || exit 1
dn: CN=Domain Admins,CN=Users,$LAB_BASE
changetype: modify
add: member
member: $nest
-

dn: $nest
changetype: modify
add: member
member: $odd_dn
member: CN=pgiduser,CN=Users,$LAB_BASE
-

dn: CN=pgiduser,CN=Users,$LAB_BASE
changetype: modify
replace: primaryGroupID
primaryGroupID: $nest_rid
-
EOF
# hidden membership: hid-r, in Domain Admins, denies authenticated users the reading of its
# member attribute (bf9679c0-...: the member attribute's schemaIDGUID)
lab_exec ldbadd -H "$LAB_SAM" >>"$LAB_LOG" 2>&1 <<EOF || lab_fail "adding hid-r" || exit 1
dn: CN=hid-r,CN=Users,$LAB_BASE
objectClass: group
sAMAccountName: hid-r
member: CN=hiddenuser,CN=Users,$LAB_BASE
EOF
lab_exec ldbmodify -H "$LAB_SAM" >>"$LAB_LOG" 2>&1 <<EOF || lab_fail "hid-r in Domain Admins" || exit 1
dn: CN=Domain Admins,CN=Users,$LAB_BASE
changetype: modify
add: member
member: CN=hid-r,CN=Users,$LAB_BASE
-
EOF
lab_exec samba-tool dsacl set -H "$LAB_SAM" -s "$LAB_SMBCONF" --objectdn="CN=hid-r,CN=Users,$LAB_BASE" \
    --sddl="(OD;;RP;bf9679c0-0de6-11d0-a285-00aa003049e2;;AU)" >>"$LAB_LOG" 2>&1 ||
    lab_fail "hiding hid-r's members" || exit 1
# an RBCD descriptor on OWNR01$ owned by plainuser, trusting WEB02$ (the owner is resolved
# in the finding's details: a SID the plan must look up). Writers and trustees the plan
# looks up by SID, then their groups' members: tg-rbcd, a group of plain users, is OWNR02$'s
# RBCD trustee; tw-grp (not tier 0) may write the DC's RBCD, its member tw_user a chain start;
# tw_plain has GenericWrite on TW01$ and on tw_victim, a user with no SPN (no service ticket:
# no rbcd-writable); tw_owner owns TW02$.
for c in OWNR01 OWNR02 TW01 TW02; do
    lab_samba_tool computer create "$c" >>"$LAB_LOG" 2>&1 || lab_fail "creating $c" || exit 1
done
lab_exec ldbadd -H "$LAB_SAM" >>"$LAB_LOG" 2>&1 <<EOF || lab_fail "adding tg-rbcd, tw-grp" || exit 1
dn: CN=tg-rbcd,CN=Users,$LAB_BASE
objectClass: group
sAMAccountName: tg-rbcd
member: CN=tg_u1,CN=Users,$LAB_BASE
member: CN=tg_u2,CN=Users,$LAB_BASE

dn: CN=tw-grp,CN=Users,$LAB_BASE
objectClass: group
sAMAccountName: tw-grp
member: CN=tw_user,CN=Users,$LAB_BASE
EOF
sid_of() {
    lab_exec ldbsearch -H "$LAB_SAM" -b "$LAB_BASE" "(sAMAccountName=$1)" objectSid 2>>"$LAB_LOG" |
        sed -n 's/^objectSid: //p'
}
rbcd_attr=3f78c3e5-f79a-46bd-a0b8-9d18116ddc79
dc_dn=$(lab_exec ldbsearch -H "$LAB_SAM" -b "$LAB_BASE" '(sAMAccountName=DC1$)' dn 2>>"$LAB_LOG" |
    sed -n 's/^dn: //p')
[ -n "$dc_dn" ] || lab_fail "no DN for DC1\$" || exit 1
for a in "$dc_dn|(OA;;WP;$rbcd_attr;;$(sid_of tw-grp))" \
    "CN=TW01,CN=Computers,$LAB_BASE|(A;;GW;;;$(sid_of tw_plain))" \
    "CN=tw_victim,CN=Users,$LAB_BASE|(A;;GW;;;$(sid_of tw_plain))"; do
    lab_exec samba-tool dsacl set -H "$LAB_SAM" -s "$LAB_SMBCONF" --objectdn="${a%%|*}" \
        --sddl="${a#*|}" >>"$LAB_LOG" 2>&1 || lab_fail "ACE ${a#*|} on ${a%%|*}" || exit 1
done
lab_exec /usr/bin/python3 - "$LAB_SMBCONF" "$LAB_BASE" <<'PY' >>"$LAB_LOG" 2>&1 ||
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack
from samba.param import LoadParm
from samba.samdb import SamDB

lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
base = sys.argv[2]


def sid(sam):
    res = db.search(base=base, expression="(sAMAccountName=%s)" % sam, attrs=["objectSid"])
    return str(db.schema_format_value("objectSid", res[0]["objectSid"][0]), "ascii")


dom = security.dom_sid(str(db.get_domain_sid()))
sd = security.descriptor.from_sddl("O:%sD:(A;;CR;;;%s)" % (sid("plainuser"), sid("WEB02$")), dom)
m = ldb.Message(ldb.Dn(db, "CN=OWNR01,CN=Computers," + base))
m["rbcd"] = ldb.MessageElement(ndr_pack(sd), ldb.FLAG_MOD_REPLACE,
                               "msDS-AllowedToActOnBehalfOfOtherIdentity")
db.modify(m)
m = ldb.Message(ldb.Dn(db, "CN=OWNR02,CN=Computers," + base))
m["rbcd"] = ldb.MessageElement(
    ndr_pack(security.descriptor.from_sddl("O:BAD:(A;;CR;;;%s)" % sid("tg-rbcd"), dom)),
    ldb.FLAG_MOD_REPLACE, "msDS-AllowedToActOnBehalfOfOtherIdentity")
db.modify(m)
m = ldb.Message(ldb.Dn(db, "CN=TW02,CN=Computers," + base))
m["sd"] = ldb.MessageElement(ndr_pack(security.descriptor.from_sddl("O:%s" % sid("tw_owner"), dom)),
                             ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
db.modify(m, controls=["sd_flags:1:%d" % security.SECINFO_OWNER])
PY
    lab_fail "the RBCD descriptors of OWNR01, OWNR02; TW02's owner" || exit 1
# the primary group is no member value: pgiduser is in t0-nest by primaryGroupID alone
lab_exec ldbsearch -H "$LAB_SAM" -b "$nest" -s base member 2>/dev/null | grep -qi 'member: CN=pgiduser' &&
    echo "note: the DC kept pgiduser's member value beside its primaryGroupID"

# ---- Administrator: --full, then the targeted plan over 1 and 3 connections ----
kd audit -H "$LAB_URI" --full -f json -o "$w/full.json"
ok "audit --full"
# the new cases are findings of the full collection: the comparison cannot pass empty
checks=$((checks + 1))
"$py" - "$w/full.json" <<'PY' || fail "the full collection lacks the look-up cases"
import json
import sys

d = json.load(open(sys.argv[1], encoding="utf-8"))
names = {(f["rule"], f["account"]["name"]) for f in d["findings"]}
want = {("privileged-delegable", "oddname"), ("privileged-delegable", "pgiduser"),
        ("privileged-delegable", "hiddenuser")}
missing = want - names
if missing:
    print("missing:", sorted(missing), file=sys.stderr)
    sys.exit(1)
owners = [(f["details"].get("owner") or {}).get("name") for f in d["findings"]
          if f["rule"] == "resource-based-delegation" and f["account"]["name"] == "OWNR01$"]
if owners != ["plainuser"]:
    print("OWNR01$'s RBCD owner:", owners, file=sys.stderr)
    sys.exit(1)


def writers(name):
    return sorted((w["name"], w["via"]) for f in d["findings"]
                  if f["rule"] == "rbcd-writable" and f["account"]["name"] == name
                  for w in f["details"]["writers"])


for acct, w in (("DC1$", ("tw-grp", "write-property-attribute")),
                ("TW01$", ("tw_plain", "write-all-properties")),
                ("TW02$", ("tw_owner", "owner"))):
    if w not in writers(acct):
        print("rbcd-writable on %s lacks %s: %s" % (acct, w, writers(acct)), file=sys.stderr)
        sys.exit(1)
if writers("tw_victim"):
    print("rbcd-writable on tw_victim (no SPN):", writers("tw_victim"), file=sys.stderr)
    sys.exit(1)
trustees = [sorted(t["name"] for t in f["details"]["effective_trustees"]) for f in d["findings"]
            if f["rule"] == "resource-based-delegation" and f["account"]["name"] == "OWNR02$"]
if trustees != [["tg_u1", "tg_u2"]]:
    print("OWNR02$'s trustees (tg-rbcd's members):", trustees, file=sys.stderr)
    sys.exit(1)
if len(d["findings"]) < 20:
    print("only", len(d["findings"]), "findings", file=sys.stderr)
    sys.exit(1)
PY
[ "$(field "$w/full.json" 'd["domain"]["coverage"]["plan"]')" = full ] || fail "--full: plan not 'full'"
for n in 1 3; do
    kd audit -H "$LAB_URI" --connections "$n" -f json -o "$w/t$n.json"
    ok "audit, targeted, $n connections"
    same_findings "targeted ($n connections) vs full" "$w/full.json" "$w/t$n.json"
    [ "$(field "$w/t$n.json" 'd["domain"]["coverage"]["plan"]')" = targeted ] ||
        fail "targeted, $n connections: plan not 'targeted'"
    full_entries=$(field "$w/full.json" 'd["counts"]["entries"]')
    t_entries=$(field "$w/t$n.json" 'd["counts"]["entries"]')
    [ "$t_entries" -lt "$full_entries" ] ||
        fail "targeted ($n connections) read $t_entries entries, full $full_entries"
done
kd audit -H "$LAB_URI"
ok "audit, targeted, text"
grep -q '^plan: *targeted' "$w/out" || fail "the text report does not say the plan"

# ---- an ordinary user: what it may read, both ways ----
lab_kinit "plainuser@$LAB_REALM" "$LAB_USER_PASS" "$LAB_DIR/user.ccache" || lab_fail "kinit plainuser" || exit 1
user_kd() {
    checks=$((checks + 1))
    lab_exec env KRB5CCNAME="$LAB_DIR/user.ccache" "$kdeleg" "$@" >"$w/out" 2>"$w/err" </dev/null
    rc=$?
}
user_kd audit -H "$LAB_URI" --full -f json -o "$w/ufull.json"
ok "ordinary user, --full"
# hid-r's members are hidden from this user: hiddenuser is tier 0 by its memberOf alone
checks=$((checks + 1))
lab_exec env KRB5CCNAME="$LAB_DIR/user.ccache" ldapsearch -Q -LLL -Y GSSAPI -H "$LAB_URI" \
    -b "CN=hid-r,CN=Users,$LAB_BASE" -s base member 2>/dev/null | grep -qi '^member:' &&
    fail "the ordinary user reads hid-r's members: the hidden-membership case tests nothing"
checks=$((checks + 1))
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(f["rule"] == "privileged-delegable" and f["account"]["name"] == "hiddenuser"
                 for f in d["findings"]))' "$w/ufull.json" ||
    fail "ordinary user, --full: no privileged-delegable on hiddenuser (tier 0 by memberOf)"
for n in 1 3; do
    user_kd audit -H "$LAB_URI" --connections "$n" -f json -o "$w/ut$n.json"
    ok "ordinary user, targeted, $n connections"
    same_findings "ordinary user: targeted ($n connections) vs full" "$w/ufull.json" "$w/ut$n.json"
    [ "$(field "$w/ut$n.json" 'd["counts"]["entries"]')" -lt "$(field "$w/ufull.json" 'd["counts"]["entries"]')" ] ||
        fail "ordinary user: targeted ($n connections) read no fewer entries than full"
done

# an ordinary user by simple bind over verified TLS, as test-parallel.sh binds
printf '%s\n' "$LAB_USER_PASS" >"$w/password"
chmod 600 "$w/password"
carol=(-H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" --simple-bind "carol@${LAB_REALM,,}"
    --password-file "$w/password" -f json)
kd audit "${carol[@]}" --full -o "$w/cfull.json"
ok "simple bind, --full"
kd audit "${carol[@]}" --connections 3 -o "$w/ct3.json"
ok "simple bind, targeted, 3 connections"
same_findings "simple bind: targeted (3 connections) vs full" "$w/cfull.json" "$w/ct3.json"

# ---- collect: the plan in the header, a subset of the entries, the same findings ----
kd collect -H "$LAB_URI" -o "$w/t.ldif"
ok "collect, targeted"
kd collect -H "$LAB_URI" --full -o "$w/f.ldif"
ok "collect --full"
grep -qx '# plan: targeted' "$w/t.ldif" || fail "targeted snapshot: no '# plan: targeted'"
grep -qx '# plan: full' "$w/f.ldif" || fail "full snapshot: no '# plan: full'"
# the plan line is in the header (before the first entry), after the source line
for p in t:targeted f:full; do
    checks=$((checks + 1))
    hdr=$(sed '/^dn:/q' "$w/${p%%:*}.ldif" | grep -e '^# source:' -e '^# plan:' | sed 's/: .*//')
    [ "$hdr" = "$(printf '# source\n# plan')" ] && [ "$(grep -c '^# plan:' "$w/${p%%:*}.ldif")" -eq 1 ] ||
        fail "${p%%:*}.ldif: not one '# plan: ${p#*:}' after '# source:' in the header"
done
dns() { grep '^dn' "$1" | tr '[:upper:]' '[:lower:]' | sort; }
extra=$(comm -23 <(dns "$w/t.ldif") <(dns "$w/f.ldif"))
[ -z "$extra" ] || fail "the targeted snapshot has entries the full one lacks: $(echo "$extra" | head -3)"
for p in t f; do
    "$kdeleg" audit --ldif "$w/$p.ldif" -f json -o "$w/$p-off.json" 2>"$w/err" ||
        fail "offline audit of $p.ldif: $(cat "$w/err")"
done
same_findings "offline: targeted vs full snapshot" "$w/f-off.json" "$w/t-off.json"
same_findings "offline targeted snapshot vs live" "$w/full.json" "$w/t-off.json"
[ "$(field "$w/t-off.json" 'd["domain"]["coverage"]["plan"]')" = targeted ] ||
    fail "offline audit of a targeted snapshot: plan not 'targeted'"

# ---- paths: the chains to tier 0 are the same; naming an account needs every account ----
kd paths -H "$LAB_URI" -f json
ok "paths, targeted"
cp "$w/out" "$w/paths-t.json"
kd paths -H "$LAB_URI" --full -f json
ok "paths --full"
cmp -s "$w/paths-t.json" "$w/out" || fail "paths differ: $(diff "$w/paths-t.json" "$w/out" | head -5)"
# tw_user, a plain member of tw-grp, starts a chain (to the DC's RBCD) in both
for p in "$w/paths-t.json" "$w/out"; do
    checks=$((checks + 1))
    grep -q '"text": "tw_user --member--> tw-grp --write-rbcd [^"]*--> DC1\$' "$p" ||
        fail "no chain from tw_user in $p"
done
kd paths --ldif "$w/t.ldif" --from pgiduser
[ "$rc" -eq 2 ] || fail "paths --from on a targeted snapshot: exit $rc"
grep -q 'targeted' "$w/err" || fail "paths --from on a targeted snapshot: $(head -c 300 "$w/err")"
kd paths --ldif "$w/f.ldif" --from pgiduser
[ "$rc" -eq 0 ] || fail "paths --from on a full snapshot: exit $rc: $(head -c 300 "$w/err")"
kd verify --ldif "$w/t.ldif" WEB02 cifs/dc1.lab.test
[ "$rc" -eq 2 ] || fail "verify on a targeted snapshot: exit $rc"

check_done targeted
