#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The accounts of `kdeleg verify`'s cases (tests/integration/test-verify.sh).

Usage (inside the lab's network namespace, as root, normally through lab_populate_verify):
    /usr/bin/python3 populate-verify.py SMB_CONF MANIFEST_JSON

Apart from populate.py (the audit's scenarios, whose findings test-snapshot.sh counts
exactly): these accounts live under OU=Verify and only test-verify.sh makes them. Every
account has a known password (the manifest's "password"), so that the test can kinit as a
front end and ask the KDC itself with MIT `kvno -I USER -P SPN`. Accounts made this way
(system session, unicodePwd given at creation) have keys at once, unlike
`samba-tool computer create`'s ("KDC has no support for encryption type" until a password
is set).

The manifest: "accounts" (name -> dn, sid, kind, password) as populate.py writes it.
"""
import json
import os
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack
from samba.param import LoadParm
from samba.samdb import SamDB

# userAccountControl bits (MS-ADTS 2.2.16)
ACCOUNTDISABLE = 0x2
NORMAL_ACCOUNT = 0x200
WORKSTATION_TRUST_ACCOUNT = 0x1000
DONT_EXPIRE_PASSWORD = 0x10000
NOT_DELEGATED = 0x100000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000

USER = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
WORKSTATION = WORKSTATION_TRUST_ACCOUNT | DONT_EXPIRE_PASSWORD

GLOBAL_SECURITY_GROUP = -2147483646

# The mask Windows (Set-ADComputer -PrincipalsAllowedToDelegateToAccount) writes; the KDC
# needs only CR (0x100) of it.
FULL = "CCDCLCSWRPWPDTLOCRSDRCWDWO"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: populate-verify.py SMB_CONF MANIFEST_JSON")
    conf, manifest_path = sys.argv[1], sys.argv[2]
    user_pass = os.environ.get("LAB_USER_PASS", "Kdeleg-User-Pass1!")
    machine_pass = os.environ.get("LAB_MACHINE_PASS", "Kdeleg-Machine-Pass1!")

    lp = LoadParm()
    lp.load(conf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    base = str(samdb.domain_dn())
    dns = samdb.domain_dns_name()
    domain_sid = str(samdb.get_domain_sid())
    manifest = {"base": base, "dns_name": dns, "domain_sid": domain_sid, "accounts": {}}

    def pwd(text):
        return ('"%s"' % text).encode("utf-16-le")

    def sid_of(dn):
        res = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["objectSid"])
        return str(samdb.schema_format_value("objectSid", res[0]["objectSid"][0]), "ascii")

    def add(dn, attrs, sam, kind, password):
        msg = {"dn": dn}
        msg.update({k: v for k, v in attrs.items() if v not in (None, [])})
        samdb.add(msg)
        manifest["accounts"][sam] = {"dn": dn, "sid": sid_of(dn), "kind": kind,
                                     "password": password}
        return dn

    def user(sam, uac=USER, spns=(), a2d=()):
        return add("CN=%s,%s" % (sam, ou), {
            "objectClass": "user", "sAMAccountName": sam, "userAccountControl": str(uac),
            "unicodePwd": pwd(user_pass), "servicePrincipalName": list(spns),
            "msDS-AllowedToDelegateTo": list(a2d)}, sam, "user", user_pass)

    def computer(name, uac=WORKSTATION, spns=(), a2d=()):
        fq = "%s.%s" % (name.lower(), dns)
        return add("CN=%s,%s" % (name, ou), {
            "objectClass": "computer", "sAMAccountName": name + "$",
            "userAccountControl": str(uac), "dNSHostName": fq, "unicodePwd": pwd(machine_pass),
            "servicePrincipalName": ["HOST/%s" % fq, "HOST/%s" % name] + list(spns),
            "msDS-AllowedToDelegateTo": list(a2d)}, name + "$", "computer", machine_pass)

    def group(name, members):
        dn = add("CN=%s,%s" % (name, ou), {"objectClass": "group", "sAMAccountName": name,
                                            "groupType": str(GLOBAL_SECURITY_GROUP)},
                 name, "group", None)
        add_members(dn, members)
        return dn

    def add_members(group_dn, members):
        m = ldb.Message(ldb.Dn(samdb, group_dn))
        m["member"] = ldb.MessageElement(list(members), ldb.FLAG_MOD_ADD, "member")
        samdb.modify(m)

    def sid(sam):
        return manifest["accounts"][sam]["sid"]

    def set_rbcd(dn, text):
        # systemOnly on 4.17: only the system session writes it (not LDAP)
        m = ldb.Message(ldb.Dn(samdb, dn))
        m["msDS-AllowedToActOnBehalfOfOtherIdentity"] = ldb.MessageElement(
            ndr_pack(security.descriptor.from_sddl(text, security.dom_sid(domain_sid))),
            ldb.FLAG_MOD_REPLACE, "msDS-AllowedToActOnBehalfOfOtherIdentity")
        samdb.modify(m)

    ou = "OU=Verify,%s" % base
    samdb.transaction_start()
    try:
        samdb.add({"dn": ou, "objectClass": "organizationalUnit"})

        # The users to impersonate: plain; sensitive (NOT_DELEGATED); in Protected Users,
        # which a 2008 R2 functional level does not make undelegable; disabled.
        user("v.user")
        user("v.sensitive", USER | NOT_DELEGATED)
        add_members("CN=Protected Users,CN=Users,%s" % base, [user("v.protected")])
        user("v.disabled", USER | ACCOUNTDISABLE)

        # Back ends of classic delegation: a file server (cifs/ through its HOST/ SPNs),
        # another one nobody delegates to, and a SQL service account whose only SPNs are
        # the FQDN forms (with and without the port).
        computer("VFS01")
        computer("VFILE02")
        user("v_sql", spns=["MSSQLSvc/vsql01.%s:1433" % dns, "MSSQLSvc/vsql01.%s" % dns])

        # Classic delegation with protocol transition. Its targets: the file server; the
        # SQL service; a name nobody registered; the SQL service by its short name, which
        # no account holds (only the FQDN forms above).
        computer("VAPP01", WORKSTATION | TRUSTED_TO_AUTH_FOR_DELEGATION,
                 a2d=["cifs/vfs01.%s" % dns, "MSSQLSvc/vsql01.%s:1433" % dns,
                      "cifs/vgone.%s" % dns, "MSSQLSvc/vsql01:1433"])
        # A target with a port nobody registered (cifs/ has no port on VFS01): Samba's KDC
        # still finds VFS01 (below), Windows' documented lookup does not.
        computer("VAPP02", WORKSTATION | TRUSTED_TO_AUTH_FOR_DELEGATION,
                 a2d=["cifs/vfs01.%s:445" % dns])
        # The same delegation on a disabled front end.
        computer("VOLD01", WORKSTATION | TRUSTED_TO_AUTH_FOR_DELEGATION | ACCOUNTDISABLE,
                 a2d=["cifs/vfs01.%s" % dns])
        # Classic delegation without protocol transition (a service user).
        # Its second target is also an RBCD back end that trusts it (VRB04 below).
        user("v_web", spns=["HTTP/vweb.%s" % dns],
             a2d=["cifs/vfs01.%s" % dns, "cifs/vrb04.%s" % dns])
        # The protocol-transition flag and no targets at all.
        user("v_s4u", USER | TRUSTED_TO_AUTH_FOR_DELEGATION, spns=["HTTP/vs4u.%s" % dns])

        # RBCD. Front ends (no delegation of their own): VRFE01 trusted by name, VRFE02
        # denied by name before a group ACE that includes it, VRFE03 through that group.
        computer("VRFE01")
        computer("VRFE02")
        computer("VRFE03")
        group("V Frontends", [manifest["accounts"][n]["dn"]
                                          for n in ("VRFE02$", "VRFE03$")])
        # Back ends: plain (the mask Windows writes), a deny ACE first, a group trustee,
        # a user account (a service account with an SPN), and one that trusts v_web, whose
        # classic delegation to it has no protocol transition (MS-SFU 3.2.5.2: the KDC
        # then tries RBCD, which accepts the non-forwardable S4U2Self ticket).
        set_rbcd(computer("VRB01"), "O:BAD:(A;;%s;;;%s)" % (FULL, sid("VRFE01$")))
        set_rbcd(computer("VRB02"), "O:BAD:(D;;CR;;;%s)(A;;CR;;;%s)"
                 % (sid("VRFE02$"), sid("V Frontends")))
        set_rbcd(computer("VRB03"), "O:BAD:(A;;CR;;;%s)" % sid("V Frontends"))
        set_rbcd(user("v_rbcd", spns=["HTTP/vrbcd.%s" % dns]),
                 "O:BAD:(A;;CR;;;%s)" % sid("VRFE01$"))
        set_rbcd(computer("VRB04"), "O:BAD:(A;;CR;;;%s)" % sid("v_web"))
        # A front end with protocol transition and no targets: its S4U2Self ticket is
        # forwardable, so the KDC's refusal of RBCD cannot be blamed on the flag.
        computer("VRFE04", WORKSTATION | TRUSTED_TO_AUTH_FOR_DELEGATION)
        set_rbcd(computer("VRB05"), "O:BAD:(A;;CR;;;%s)" % sid("VRFE04$"))
    except BaseException:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()

    tmp = manifest_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.rename(tmp, manifest_path)
    print("populate-verify: %d accounts and groups" % len(manifest["accounts"]))


if __name__ == "__main__":
    main()
