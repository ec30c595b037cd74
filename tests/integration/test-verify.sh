#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `kdeleg verify` proven against a real KDC (issue 11): for every case below, the Samba DC's
# own answer, from MIT `kvno -I USER -P SPN` run as the front end after `kinit -f` with the
# front end's password (S4U2Self, then S4U2Proxy: what a front end does for a user who
# arrived by forms, NTLM or a certificate), next to `kdeleg verify FRONT SPN --user USER
# --protocol any` on README's ldapsearch snapshot (and on the live DC for some cases, naming
# the front end by DN and the user by SID). The verdicts must agree.
#
# Usage: test-verify.sh KDELEG SOURCE_ROOT (root; exit 77, skipped, when this machine cannot
# run a lab, see lab.sh). Prints the table: case, kdeleg's verdict, the KDC's, agree or not
# confirmable (why). The accounts: populate-verify.py (OU=Verify).
#
# What the KDC says is asserted on its own first (the "kdc" column: the error, the step that
# failed and the reason in the DC's log), so that a change of Samba's behaviour shows as
# such, not as a kdeleg bug. The reasons come from the KDC's audit lines, which Samba logs at
# "log level = kerberos:3":
#   Kerberos: TGS-REQ ERR_BADOPTION ... VAPP01$@LAB.TEST cifs/vfile02.lab.test@LAB.TEST
#       impersonatee=v.user@LAB.TEST ... reason=Constrained delegation not allowed
#   Kerberos: tgs-req: sending error: -1765328371 to client     (KRB5KDC_ERR_BADOPTION, 13)
# A disabled front end's AS-REQ is logged as "AS-REQ UNKNOWN-0" with no reason; only its
# "as-req: sending error: -1765328366" (KDC_ERR_CLIENT_REVOKED, 18) says what happened.
#
# Case classes:
#   confirm  the KDC decides as Windows documents it (MS-SFU, MS-KILE): verdicts must agree.
#   rbcd     not confirmable by this KDC: Samba 4.17's KDC refuses every RBCD S4U2Proxy from
#            MIT's client. With a non-forwardable S4U2Self ticket (a front end without
#            protocol transition, which is what RBCD is for): "Missing forwardable flag on
#            ticket for constrained delegation"; with a forwardable one (VRFE04$): "Constrained
#            delegation not allowed". kdeleg's verdict is still asserted (the protocol
#            documents' answer, the "kdeleg" column) and so is the KDC's refusal: when a Samba
#            starts answering RBCD, this test fails and the case can become "confirm".
#   samba    not confirmable: Samba finds a host-alias SPN that no account holds (its name
#            cracking maps cifs/ to host/ and host/NAME... to the computer whose cn is
#            NAME's first label, port and domain ignored: source4/dsdb/samdb/cracknames.c);
#            Windows' SPN lookup (MS-ADTS 3.1.1.5.1.3 uniqueness, exact SPN + sPNMappings) does
#            not, and kdeleg follows Windows.
set -u
kdeleg=$1
top=$2
. "$top/tests/integration/lab.sh"
lab_check || exit $?
lab_trap
t0=$(date +%s)
# the KDC's reasons (audit lines) in log/samba.log
KD_LAB_OPTIONS="${KD_LAB_OPTIONS:-}"$'\n''log level = 1 kerberos:3'
lab_up || exit 1
lab_populate_verify || exit 1
. "$top/tests/check.sh" # fail and the counters; the lab keeps its own trap

w=$LAB_DIR/verify
mkdir -p "$w"
log=$LAB_DIR/log/samba.log
export LSAN_OPTIONS="suppressions=$top/tests/integration/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# The cases: id | front end | user | SPN as the client asks | class | the KDC's answer |
# kdeleg's verdict | live | a text some check's detail must hold | note
#   KDC: ok, or STEP:ERROR:REASON with STEP as (kinit of the front end), self (S4U2Self) or
#        proxy (S4U2Proxy), ERROR the KRB5KDC_ERR_ name, REASON a part of the audit line's
#        reason= (empty: none logged)
#   kdeleg: yes:MECHANISM, or no:TEXT with TEXT in the "error" of a failed check
#   live: 1 also runs it against the DC (-H), front end by DN, user by SID: same JSON
cat >"$w/cases" <<'EOF'
classic-pt|VAPP01$|v.user|cifs/vfs01.lab.test|confirm|ok|yes:classic|1|through its HOST SPN|classic KCD with protocol transition; cifs/ through HOST/ (sPNMappings)
classic-pt-user-backend|VAPP01$|v.user|MSSQLSvc/vsql01.lab.test:1433|confirm|ok|yes:classic|0|v_sql|the back end is a service user (an SPN with a port)
spn-case|VAPP01$|v.user|CIFS/VFS01.LAB.TEST|confirm|ok|yes:classic|0||SPNs compare case-insensitively, in the list and in the directory
not-in-list|VAPP01$|v.user|cifs/vfile02.lab.test|confirm|proxy:BADOPTION:Constrained delegation not allowed|no:0xC000015B|1||registered (HOST/ of VFILE02) but not in msDS-AllowedToDelegateTo
short-name-not-in-list|VAPP01$|v.user|cifs/VFS01|confirm|proxy:BADOPTION:Constrained delegation not allowed|no:0xC000015B|0||registered (HOST/VFS01) but the list has the FQDN form
unregistered-spn|VAPP01$|v.user|cifs/vgone.lab.test|confirm|proxy:S_PRINCIPAL_UNKNOWN:Service principal unknown|no:KDC_ERR_S_PRINCIPAL_UNKNOWN|0||in the list, held by no account
short-name-vs-fqdn|VAPP01$|v.user|MSSQLSvc/vsql01:1433|confirm|proxy:S_PRINCIPAL_UNKNOWN:Service principal unknown|no:KDC_ERR_S_PRINCIPAL_UNKNOWN|1|MSSQLSvc/vsql01.lab.test:1433|the short name is listed; only the FQDN form is registered (kdeleg names it)
port-not-registered|VAPP01$|v.user|cifs/vfs01.lab.test:445|confirm|proxy:BADOPTION:Constrained delegation not allowed|no:KDC_ERR_S_PRINCIPAL_UNKNOWN|0|HOST/vfs01.lab.test|errors differ: Samba finds VFS01 by its cn (see "samba"), then refuses by the list; Windows: unknown SPN
port-in-list|VAPP02$|v.user|cifs/vfs01.lab.test:445|samba|ok|no:KDC_ERR_S_PRINCIPAL_UNKNOWN|0|HOST/vfs01.lab.test|Samba resolves the unregistered cifs/vfs01.lab.test:445 to VFS01 by its cn (cracknames.c); Windows' lookup finds no account
sensitive-user|VAPP01$|v.sensitive|cifs/vfs01.lab.test|confirm|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|no:KDC_ERR_BADOPTION|0|NOT_DELEGATED|NOT_DELEGATED: S4U2Self answers, its ticket is not forwardable
protected-users-2008r2|VAPP01$|v.protected|cifs/vfs01.lab.test|confirm|ok|yes:classic|0|below 2012 R2|Protected Users at functional level 4 (2008 R2) does not block delegation
disabled-user|VAPP01$|v.disabled|cifs/vfs01.lab.test|confirm|self:POLICY:Principal may not act as client|no:KDC_ERR_CLIENT_REVOKED|0||errors differ: Samba refuses S4U2Self for a disabled user with KDC_ERR_POLICY, kdeleg names Windows' KDC_ERR_CLIENT_REVOKED
disabled-frontend|VOLD01$|v.user|cifs/vfs01.lab.test|confirm|as:CLIENT_REVOKED:|no:KDC_ERR_CLIENT_REVOKED|0||a disabled front end gets no TGT at all
classic-without-pt|v_web|v.user|cifs/vfs01.lab.test|confirm|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|no:KDC_ERR_BADOPTION|1||classic KCD without protocol transition, used through protocol transition
pt-without-targets|v_s4u|v.user|cifs/vfs01.lab.test|confirm|proxy:BADOPTION:Constrained delegation not allowed|no:STATUS_NOT_SUPPORTED|0||TRUSTED_TO_AUTH_FOR_DELEGATION and an empty msDS-AllowedToDelegateTo
rbcd-plain|VRFE01$|v.user|cifs/vrb01.lab.test|rbcd|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|yes:resource-based|1|grants control access|RBCD, the front end named in the descriptor (Windows' full-control mask)
rbcd-deny-ace|VRFE02$|v.user|cifs/vrb02.lab.test|rbcd|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|no:STATUS_NOT_FOUND|0|denies control access|a deny ACE on the front end before an allow on its group
rbcd-group-trustee|VRFE03$|v.user|cifs/vrb03.lab.test|rbcd|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|yes:resource-based|1|grants control access|the front end trusted through a group (V Frontends)
rbcd-user-account|VRFE01$|v.user|HTTP/vrbcd.lab.test|rbcd|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|yes:resource-based|0|grants control access|RBCD on a user account (a service account with an SPN)
rbcd-after-classic|v_web|v.user|cifs/vrb04.lab.test|rbcd|proxy:BADOPTION:Missing forwardable flag on ticket for constrained delegation|yes:resource-based|0|not forwardable|listed in classic KCD without protocol transition; the back end's RBCD also trusts the front end (MS-SFU 3.2.5.2: RBCD carries it)
rbcd-forwardable-evidence|VRFE04$|v.user|cifs/vrb05.lab.test|rbcd|proxy:BADOPTION:Constrained delegation not allowed|yes:resource-based|0|grants control access|RBCD from a front end with protocol transition: a forwardable S4U2Self ticket, refused all the same
EOF

# ---- README's snapshot (as test-snapshot.sh makes it) ----
snap=$w/snapshot.ldif
search=('(|(objectClass=user)(objectClass=computer)(objectClass=group)(objectClass=domain)(objectClass=trustedDomain))'
    objectClass sAMAccountName objectSid userAccountControl servicePrincipalName msDS-AllowedToDelegateTo
    msDS-AllowedToActOnBehalfOfOtherIdentity memberOf member primaryGroupID adminCount dNSHostName
    msDS-SupportedEncryptionTypes ms-DS-MachineAccountQuota msDS-Behavior-Version
    nTSecurityDescriptor sIDHistory trustPartner trustAttributes trustDirection trustType)
{
    lab_ldapsearch -E pr=1000/noprompt -E '1.2.840.113556.1.4.801=::MAMCAQU=' -b "$LAB_BASE" \
        "${search[@]}" &&
        lab_ldapsearch -b "CN=Directory Service,CN=Windows NT,CN=Services,$LAB_CONFIG_BASE" \
            -s base sPNMappings &&
        lab_ldapsearch -b "CN=Partitions,$LAB_CONFIG_BASE" -s one \
            "(&(objectClass=crossRef)(nCName=$LAB_BASE))" nCName nETBIOSName
} >"$snap" 2>"$w/ldapsearch.err" ||
    lab_fail "README's snapshot: $(cat "$w/ldapsearch.err")" || exit 1

# Does this kdeleg have the command? (Until it does, only the KDC's side is checked.)
have_verify=0
"$kdeleg" --help 2>/dev/null | grep -q '^  verify ' && have_verify=1

field() { # ACCOUNT KEY: its password, dn or sid, from the manifest
    /usr/bin/python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["accounts"][sys.argv[2]][sys.argv[3]])' \
        "$LAB_VERIFY_MANIFEST" "$1" "$2"
}
size() { stat -c %s "$log"; }
# wait_log OFFSET ERE: until a line after byte OFFSET of the DC's log matches (5 s at most)
wait_log() {
    for _ in $(seq 50); do
        tail -c +"$(($1 + 1))" "$log" | grep -Eq -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

t_kdc=0
t_kd=0
while IFS='|' read -r id front user spn _ _ _ live _; do
    d=$w/$id
    mkdir -p "$d"
    t=$(date +%s%N)
    # ---- the KDC: kinit -f as the front end (a cache of its own per case: nothing from an
    # earlier case is reused), then S4U2Self + S4U2Proxy ----
    off=$(size)
    pass=$(field "$front" password)
    printf '%s\n' "$pass" | lab_exec env KRB5CCNAME="$d/ccache" kinit -f "$front@$LAB_REALM" \
        >"$d/kinit.out" 2>&1
    echo $? >"$d/kinit.rc"
    if [ "$(cat "$d/kinit.rc")" = 0 ]; then
        lab_exec env KRB5CCNAME="$d/ccache" kvno -I "$user" -P "$spn" >"$d/kvno.out" 2>&1
        echo $? >"$d/kvno.rc"
        # the last request's audit line: S4U2Proxy's success names the impersonatee
        if [ "$(cat "$d/kvno.rc")" = 0 ]; then
            wait_log "$off" 'TGS-REQ SUCCESS .*impersonatee='
        else
            wait_log "$off" '(AS|TGS)-REQ (ERR_[A-Z_]+|UNKNOWN-[0-9]+) ' && sleep 0.1
        fi || echo "no audit line in the DC's log" >>"$d/kvno.out"
    else
        wait_log "$off" 'as-req: sending error' ||
            echo "no audit line in the DC's log" >>"$d/kinit.out"
    fi
    tail -c +"$((off + 1))" "$log" >"$d/kdc.log"
    t_kdc=$((t_kdc + $(date +%s%N) - t))
    # ---- kdeleg, on the snapshot; live with other names for the same accounts ----
    t=$(date +%s%N)
    if [ "$have_verify" = 1 ]; then
        "$kdeleg" verify "$front" "$spn" --user "$user" --protocol any --ldif "$snap" -f json \
            >"$d/verify.json" 2>"$d/verify.err" </dev/null
        echo $? >"$d/verify.rc"
        if [ "$live" = 1 ]; then
            lab_exec "$kdeleg" verify "$(field "$front" dn)" "$spn" --user "$(field "$user" sid)" \
                --protocol any -H "$LAB_URI" -f json >"$d/live.json" 2>"$d/live.err" </dev/null
            echo $? >"$d/live.rc"
        fi
    fi
    t_kd=$((t_kd + $(date +%s%N) - t))
done <"$w/cases"

# ---- the verdicts, side by side ----
checks=$((checks + 1))
/usr/bin/python3 - "$w" "$have_verify" "$LAB_REALM" "$kdeleg" <<'PY' ||
import json
import os
import re
import subprocess
import sys

w, have_verify, realm, kdeleg = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
# KRB5KDC_ERR_* by number (RFC 4120 7.5.9); Samba logs "sending error: -1765328384 - code"
KRB_ERRORS = {7: "S_PRINCIPAL_UNKNOWN", 12: "POLICY", 13: "BADOPTION", 18: "CLIENT_REVOKED"}
# what MIT's kinit and kvno print for them (com_err texts of krb5 1.20)
MIT_TEXTS = {"S_PRINCIPAL_UNKNOWN": "Server not found in Kerberos database",
             "POLICY": "KDC policy rejects request",
             "BADOPTION": "KDC can't fulfill requested option",
             "CLIENT_REVOKED": "Client's credentials have been revoked"}
NOT_CONFIRMABLE = {
    "rbcd": "Samba 4.17 refuses every RBCD S4U2Proxy from MIT's client",
    "samba": "Samba finds an SPN no account holds, by the computer's cn",
}
failures = []
rows = []
kd_codes = set()   # the codes kdeleg's failed checks start with
kdc_codes = set()  # the errors this KDC returned


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return default


def kdc_answer(d, front):
    """What the KDC said: (ok, step, error name, reason, client text)."""
    log = read(os.path.join(d, "kdc.log"))
    if read(os.path.join(d, "kinit.rc")).strip() != "0":
        m = re.findall(r"as-req: sending error: (-?\d+)", log)
        code = KRB_ERRORS.get(int(m[-1]) + 1765328384, "?%s" % m[-1]) if m else "?"
        return False, "as", code, "", read(os.path.join(d, "kinit.out")).strip()
    text = read(os.path.join(d, "kvno.out")).strip()
    if read(os.path.join(d, "kvno.rc")).strip() == "0":
        return True, None, None, None, text
    # the failing request's audit line: TGS-REQ ERR_x <addr> <client> <server> ... reason=...
    lines = [l for l in log.splitlines()
             if re.search(r"(AS|TGS)-REQ (ERR_[A-Z_]+|UNKNOWN-\d+) ", l)
             and "ERR_PREAUTH_REQUIRED" not in l]
    if not lines:
        return False, "?", "?", "", text
    line = lines[-1]
    m = re.search(r"TGS-REQ ERR_([A-Z_]+) \S+ (\S+) (\S+)", line)
    if not m:
        return False, "?", "?", "", text
    # S4U2Self asks the KDC for a ticket to the front end itself
    step = "self" if m.group(3).lower() == ("%s@%s" % (front, realm)).lower() else "proxy"
    reason = line.split(" reason=", 1)[1].strip() if " reason=" in line else ""
    return False, step, m.group(1), reason, text


def describe_kdc(ok, step, err, reason):
    if ok:
        return "yes"
    steps = {"as": "kinit", "self": "S4U2Self", "proxy": "S4U2Proxy"}
    return "no: %s%s (%s)" % (err, ", " + reason if reason else "", steps.get(step, step))


def kdeleg_answer(d):
    raw = read(os.path.join(d, "verify.json"))
    rc = read(os.path.join(d, "verify.rc")).strip()
    try:
        doc = json.loads(raw)
    except ValueError:
        return None, rc, read(os.path.join(d, "verify.err")).strip()[:300]
    return doc, rc, None


for line in read(os.path.join(w, "cases")).splitlines():
    (cid, front, user, spn, cls, want_kdc, want_kd, live, detail, note) = line.split("|")
    d = os.path.join(w, cid)
    where = "%s (%s -> %s for %s)" % (cid, front, spn, user)

    # -- the KDC on its own --
    ok, step, err, reason, text = kdc_answer(d, front)
    if want_kdc == "ok":
        if not ok:
            failures.append("%s: the KDC refused (%s), expected a ticket: %s"
                            % (where, describe_kdc(ok, step, err, reason), text[-300:]))
    else:
        wstep, werr, wreason = want_kdc.split(":", 2)
        got = (step, err)
        if ok or got != (wstep, werr) or wreason not in (reason or ""):
            failures.append("%s: the KDC answered %s, expected %s%s" % (
                where, describe_kdc(ok, step, err, reason), want_kdc,
                "; RBCD may work on this Samba now: make the case 'confirm'"
                if cls == "rbcd" and ok else ""))
        elif MIT_TEXTS.get(err, "\0") not in text:
            failures.append("%s: MIT's client did not say %r: %s" % (where, MIT_TEXTS[err], text))
    kdc_yes = ok
    if not ok and err in KRB_ERRORS.values():
        kdc_codes.add("KDC_ERR_" + err)

    # -- kdeleg --
    if not have_verify:
        rows.append((cid, "(no verify command)", describe_kdc(ok, step, err, reason),
                     "awaiting kdeleg verify"))
        continue
    doc, rc, problem = kdeleg_answer(d)
    if doc is None:
        failures.append("%s: kdeleg verify exit %s, no JSON: %s" % (where, rc, problem))
        rows.append((cid, "error (exit %s)" % rc, describe_kdc(ok, step, err, reason), "FAIL"))
        continue
    allowed = doc.get("allowed")
    failed = [c for c in doc.get("checks", []) if c.get("passed") is False]
    errors = [c.get("error") or "" for c in failed]
    for e in errors:
        m = re.match(r"(0x[0-9A-Fa-f]{8}|KDC_ERR_[A-Z_]+)", e)
        if m:
            kd_codes.add(m.group(1))
    kd_text = ("yes (%s)" % doc.get("mechanism")) if allowed else \
        "no: %s" % (next((e for e in errors if e), "?").split(";")[0])
    if rc != ("0" if allowed else "1"):
        failures.append("%s: exit %s with allowed=%s" % (where, rc, allowed))
    if doc.get("verdict") not in (("yes",) if allowed else ("no", "conditional", "uncertain")):
        failures.append("%s: verdict %r with allowed=%s" % (where, doc.get("verdict"), allowed))
    # kdeleg against the table (the protocol documents' answer)
    wv, wx = want_kd.split(":", 1)
    if wv == "yes":
        if not allowed or doc.get("mechanism") != wx:
            failures.append("%s: kdeleg says %s, expected yes (%s)" % (where, kd_text, wx))
    else:
        if allowed or doc.get("verdict") != "no":
            failures.append("%s: kdeleg says %s (verdict %s), expected no"
                            % (where, kd_text, doc.get("verdict")))
        elif not any(wx in e for e in errors):
            failures.append("%s: no failed check names %s: %s" % (where, wx, errors))
    if detail and not any(detail in (c.get("detail") or "") for c in doc.get("checks", [])):
        failures.append("%s: no check's detail mentions %r" % (where, detail))
    if doc.get("spn") != spn or doc.get("protocol") != "any" or \
            (doc.get("frontend") or {}).get("name") != front or \
            (doc.get("user") or {}).get("name") != user:
        failures.append("%s: the document names %s -> %s for %s, protocol %s" % (
            where, (doc.get("frontend") or {}).get("name"), doc.get("spn"),
            (doc.get("user") or {}).get("name"), doc.get("protocol")))
    # the live variant (front end by DN, user by SID) gives the same document
    if live == "1":
        live_raw = read(os.path.join(d, "live.json"))
        if read(os.path.join(d, "live.rc")).strip() != rc:
            failures.append("%s: live exit %s, snapshot %s: %s" % (
                where, read(os.path.join(d, "live.rc")).strip(), rc,
                read(os.path.join(d, "live.err"))[:300]))
        elif live_raw != read(os.path.join(d, "verify.json")):
            failures.append("%s: the live document differs from the snapshot's" % where)

    # -- side by side --
    kdc_text = describe_kdc(ok, step, err, reason)
    if cls == "confirm":
        if bool(allowed) == kdc_yes:
            verdict = "agree" + ("" if kdc_yes or not note.startswith("errors differ")
                                 else " (errors differ)")
        else:
            verdict = "DISAGREE"
            failures.append("%s: kdeleg says %s, the KDC %s" % (where, kd_text, kdc_text))
    else:
        verdict = "not confirmable (%s)" % NOT_CONFIRMABLE[cls]
    if live == "1":
        verdict += "; live = snapshot"
    rows.append((cid, kd_text, kdc_text, verdict))

widths = [max(len(r[i]) for r in rows + [("case", "kdeleg", "KDC", "")]) for i in range(3)]
print("%-*s  %-*s  %-*s  %s" % (widths[0], "case", widths[1], "kdeleg verify", widths[2],
                               "KDC (kvno -I USER -P SPN)", "result"))
for r in rows:
    print("%-*s  %-*s  %-*s  %s" % (widths[0], r[0], widths[1], r[1], widths[2], r[2], r[3]))
print("notes:")
for line in read(os.path.join(w, "cases")).splitlines():
    f = line.split("|")
    print("  %-26s %s" % (f[0], f[9]))
# "so a pasted error finds its cause": every code kdeleg printed is explained
unknown = []
for code in sorted(kd_codes | kdc_codes):
    r = subprocess.run([kdeleg, "verify", "--explain-error", code], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    if r.returncode != 0:
        unknown.append(code)
        if code in kd_codes:
            failures.append("kdeleg verify --explain-error %s: exit %d, though kdeleg printed it"
                            % (code, r.returncode))
if have_verify:
    print("--explain-error: %d codes kdeleg printed, %d errors this KDC returned%s" % (
        len(kd_codes), len(kdc_codes),
        "; not explained (note): " + ", ".join(unknown) if unknown else ", all explained"))
confirmed = sum(1 for r in rows if r[3].startswith("agree"))
print("%d cases: %d confirmed by the KDC, %d not confirmable by it (listed), %d failures"
      % (len(rows), confirmed, sum(1 for r in rows if r[3].startswith("not confirmable")),
         len(failures)))
for f in failures:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
    fail "verify vs the KDC (above)"

echo "timings (s): the KDC's side $(awk -v n=$t_kdc 'BEGIN { printf "%.1f", n / 1e9 }')," \
    "kdeleg $(awk -v n=$t_kd 'BEGIN { printf "%.1f", n / 1e9 }')"
# every verdict document against docs/schema, one type a field path (issue 14)
checks=$((checks + 1))
docs=()
for f in "$w"/*/verify.json "$w"/*/live.json; do [ -s "$f" ] && docs+=("verify:$f"); done
[ ${#docs[@]} -eq 0 ] || "$py" "$top/tests/cli/json-types.py" "$top/docs/schema" "${docs[@]}" ||
    fail "the verdicts break docs/schema or give a field two types"
if [ "$failures" -ne 0 ]; then
    lab_fail "$failures of $checks checks failed (the cases' files: $w)"
    exit 1
fi
if [ "$have_verify" = 0 ]; then
    echo "verify: the KDC's side passed; this kdeleg has no verify command: comparison skipped"
    lab_down 0
    exit 77
fi
echo "integration verify test passed in $(($(date +%s) - t0)) s"
