#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Populates the throwaway Samba AD DC of tests/integration/lab.sh with delegation scenarios.

Usage (inside the lab's network namespace, as root, normally through lab_populate):
    /usr/bin/python3 populate.py SMB_CONF MANIFEST_JSON

Mirrors docs/examples/make-lab.py on a live directory: every kdeleg rule fires at least
once, next to plain accounts that must not. Writes go to the DC's own sam.ldb with the
system session (what samba-tool does without -H), in one transaction: one process instead
of a samba-tool start per account (≈0.5 s each), and the only way to write what Samba 4.17
refuses over LDAP:

- msDS-AllowedToActOnBehalfOfOtherIdentity is systemOnly on 4.17 (LDAP answers
  "Constraint violation"); the system session may write it, malformed bytes included.
- Duplicate SPNs (exact or through the HOST alias table) are refused wherever samldb runs,
  so they are written last to the domain partition's file with no module stack
  (ldb option "modules:"), the DC running.

Write rights on accounts (who may configure RBCD) are ACEs added to objects' own
nTSecurityDescriptor with `samba-tool dsacl set --sddl`, after the transaction, the way an
administrator would; the objects keep the default ACEs Samba gave them, which no rule may
report.

The manifest maps each account this script made to its DN, SID and password, so tests can
assert on SIDs and kinit as the accounts.
"""
import json
import os
import subprocess
import sys
import time

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
TRUSTED_FOR_DELEGATION = 0x80000
NOT_DELEGATED = 0x100000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000

USER = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
WORKSTATION = WORKSTATION_TRUST_ACCOUNT

# A global security group (MS-ADTS 2.2.12: GROUP_TYPE_ACCOUNT_GROUP | SECURITY_ENABLED).
GLOBAL_SECURITY_GROUP = -2147483646

# A RID no account receives here (RIDs start near 1100): an "unresolvable" trustee, as a
# deleted account's SID looks in an RBCD descriptor.
DELETED_RID = 4242

# Windows writes RBCD ACEs with full control (0xF01FF); CR alone (0x100) is what counts.
FULL = "CCDCLCSWRPWPDTLOCRSDRCWDWO"

# Schema GUIDs of write rights (MS-ADA2, MS-ADTS 5.1.3.2.1): the RBCD attribute, and the
# User-Account-Restrictions property set, which Samba's schema gives that attribute as its
# attributeSecurityGUID.
RBCD_ATTR = "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"
USER_ACCOUNT_RESTRICTIONS = "4c164200-20c0-11d0-a768-00aa006e0529"

# trustAttributes (MS-ADTS 6.1.6.7.9), trustDirection and trustType values
TRUST_FOREST_TRANSITIVE = 0x8
TRUST_CROSS_ORGANIZATION_NO_TGT_DELEGATION = 0x200
TRUST_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION = 0x800
TRUST_BIDIRECTIONAL = 3
TRUST_TYPE_UPLEVEL = 2


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: populate.py SMB_CONF MANIFEST_JSON")
    conf, manifest_path = sys.argv[1], sys.argv[2]
    user_pass = os.environ.get("LAB_USER_PASS", "Kdeleg-User-Pass1!")
    machine_pass = os.environ.get("LAB_MACHINE_PASS", "Kdeleg-Machine-Pass1!")

    lp = LoadParm()
    lp.load(conf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    base = str(samdb.domain_dn())
    dns = samdb.domain_dns_name()
    domain_sid = str(samdb.get_domain_sid())
    manifest = {"base": base, "dns_name": dns, "domain_sid": domain_sid,
                "user_password": user_pass, "machine_password": machine_pass,
                "accounts": {}, "trusts": {},
                "expect": {"rbcd_writable": [], "stale_admin_count": [],
                           "trust_tgt_delegation": []}}

    def pwd(text):
        return ('"%s"' % text).encode("utf-16-le")

    def add(dn, attrs):
        msg = {"dn": dn}
        msg.update({k: v for k, v in attrs.items() if v not in (None, [])})
        samdb.add(msg)

    def sid_of(dn):
        res = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["objectSid"])
        return str(samdb.schema_format_value("objectSid", res[0]["objectSid"][0]), "ascii")

    def record(sam, dn, kind, password):
        manifest["accounts"][sam] = {"dn": dn, "sid": sid_of(dn), "kind": kind,
                                     "password": password}

    def ou(name):
        dn = "OU=%s,%s" % (name, base)
        add(dn, {"objectClass": "organizationalUnit"})
        return dn

    def user(cn, parent, sam, uac=USER, spns=(), a2d=(), **extra):
        dn = "CN=%s,%s" % (cn, parent)
        attrs = {"objectClass": "user", "sAMAccountName": sam,
                 "userAccountControl": str(uac), "unicodePwd": pwd(user_pass),
                 "servicePrincipalName": list(spns), "msDS-AllowedToDelegateTo": list(a2d)}
        attrs.update(extra)
        add(dn, attrs)
        record(sam, dn, "user", user_pass)
        return dn

    def computer(name, parent, uac=WORKSTATION, spns=(), a2d=(), object_class="computer",
                 **extra):
        fq = "%s.%s" % (name.lower(), dns)
        dn = "CN=%s,%s" % (name, parent)
        spn = ["HOST/%s" % fq, "HOST/%s" % name, "RestrictedKrbHost/%s" % fq,
               "RestrictedKrbHost/%s" % name]
        attrs = {"objectClass": object_class, "sAMAccountName": name + "$",
                 "userAccountControl": str(uac), "dNSHostName": fq,
                 "servicePrincipalName": spn + list(spns), "msDS-AllowedToDelegateTo": list(a2d)}
        password = machine_pass
        if object_class == "msDS-GroupManagedServiceAccount":
            # The KDS computes a gMSA's password; the class requires the interval (days).
            attrs["msDS-ManagedPasswordInterval"] = "30"
            password = None
        else:
            attrs["unicodePwd"] = pwd(machine_pass)
        attrs.update(extra)
        add(dn, attrs)
        record(name + "$", dn, object_class, password)
        return dn

    def group(name, members, parent=None):
        dn = "CN=%s,%s" % (name, parent or "CN=Users," + base)
        add(dn, {"objectClass": "group", "sAMAccountName": name,
                 "groupType": str(GLOBAL_SECURITY_GROUP)})
        add_members(dn, members)
        manifest["accounts"][name] = {"dn": dn, "sid": sid_of(dn), "kind": "group",
                                      "password": None}
        return dn

    def add_members(group_dn, members):
        if not members:
            return
        m = ldb.Message(ldb.Dn(samdb, group_dn))
        m["member"] = ldb.MessageElement(list(members), ldb.FLAG_MOD_ADD, "member")
        samdb.modify(m)

    def set_rbcd(dn, value):
        m = ldb.Message(ldb.Dn(samdb, dn))
        m["msDS-AllowedToActOnBehalfOfOtherIdentity"] = ldb.MessageElement(
            value, ldb.FLAG_MOD_REPLACE, "msDS-AllowedToActOnBehalfOfOtherIdentity")
        samdb.modify(m)

    def trust(partner, flat, trust_sid, attributes):
        dn = "CN=%s,CN=System,%s" % (partner, base)
        add(dn, {"objectClass": "trustedDomain", "trustPartner": partner, "flatName": flat,
                 "securityIdentifier": ndr_pack(security.dom_sid(trust_sid)),
                 "trustDirection": str(TRUST_BIDIRECTIONAL),
                 "trustType": str(TRUST_TYPE_UPLEVEL), "trustAttributes": str(attributes)})
        manifest["trusts"][partner] = {"dn": dn, "sid": trust_sid, "attributes": attributes}
        if attributes & TRUST_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION:
            manifest["expect"]["trust_tgt_delegation"].append(partner)

    def sddl(text):
        return ndr_pack(security.descriptor.from_sddl(text, security.dom_sid(domain_sid)))

    def sid(sam):
        return manifest["accounts"][sam]["sid"]

    users = "CN=Users," + base
    dcs = "OU=Domain Controllers," + base
    msa = "CN=Managed Service Accounts," + base
    dc = samdb.search(base=dcs, scope=ldb.SCOPE_ONELEVEL, expression="(objectClass=computer)",
                      attrs=["sAMAccountName"])[0]
    dc_dn, dc_sam = str(dc.dn), str(dc["sAMAccountName"][0])
    dc_fqdn = "%s.%s" % (samdb.host_dns_name().split(".")[0], dns)
    domain_admins = "CN=Domain Admins," + users
    protected_users = "CN=Protected Users," + users

    # Samba's default ms-DS-MachineAccountQuota (10): one machine-account-quota finding.
    manifest["machine_account_quota"] = int(samdb.search(
        base=base, scope=ldb.SCOPE_BASE, attrs=["ms-DS-MachineAccountQuota"])[0]
        ["ms-DS-MachineAccountQuota"][0])

    samdb.transaction_start()
    try:
        servers, svc, admins = ou("Servers"), ou("Service Accounts"), ou("Admins")

        # Administrators: Administrator (built in) can be delegated (privileged-delegable);
        # alice.admin is marked sensitive (must not fire); bob.admin is only in Protected
        # Users, which a 2008 R2 functional level does not honour (fires, with
        # protected_users true).
        alice = user("Alice Admin", admins, "alice.admin", USER | NOT_DELEGATED)
        bob = user("Bob Admin", admins, "bob.admin")
        # old.admin: adminCount=1 but in no privileged group (left behind by SDProp after a
        # removal): reported as stale, not as tier 0.
        user("Old Admin", admins, "old.admin", adminCount="1")
        manifest["expect"]["stale_admin_count"].append("old.admin")
        add_members(domain_admins, [alice, bob])
        add_members(protected_users, [bob])

        # Plain accounts: no finding may name them.
        carol = user("Carol", users, "carol")
        user("Dave", users, "dave", USER | ACCOUNTDISABLE)

        # Computers. WEB01 and OLD01 (disabled): unconstrained delegation.
        computer("WEB01", servers, WORKSTATION | TRUSTED_FOR_DELEGATION)
        web02 = computer("WEB02", servers)
        kiosk = computer("KIOSK01", servers)
        computer("OLD01", servers, WORKSTATION | TRUSTED_FOR_DELEGATION | ACCOUNTDISABLE)
        # APP01: constrained delegation to cifs/ on FS01, which only holds HOST/ (the HOST
        # alias table resolves it), with protocol transition.
        computer("APP01", servers, WORKSTATION | TRUSTED_TO_AUTH_FOR_DELEGATION,
                 a2d=["cifs/fs01.%s" % dns, "cifs/FS01"])
        computer("FS01", servers)
        computer("SQL01", servers)
        computer("PRINT01", servers)
        computer("TEST01", servers)
        computer("NUL01", servers)
        computer("FILE02", servers)                 # plain computer

        # Service users.
        user("svc_sql", svc, "svc_sql",
             spns=["MSSQLSvc/sql01.%s:1433" % dns, "MSSQLSvc/sql01.%s" % dns])
        user("svc_web", svc, "svc_web", spns=["HTTP/www.%s" % dns],
             a2d=["MSSQLSvc/sql01.%s:1433" % dns])
        user("svc_iis", svc, "svc_iis", USER | TRUSTED_FOR_DELEGATION,
             spns=["HTTP/intranet.%s" % dns])
        user("svc_oldweb", svc, "svc_oldweb", USER | TRUSTED_FOR_DELEGATION | ACCOUNTDISABLE,
             spns=["HTTP/old.%s" % dns])
        # Delegation to tier 0: a domain controller's services (ldap/ held, cifs/ through
        # HOST/) and a target nobody holds (orphan); krbtgt/REALM (a TGT).
        user("svc_backup", svc, "svc_backup",
             a2d=["ldap/%s" % dc_fqdn, "cifs/%s" % dc_fqdn, "cifs/oldfs.%s" % dns])
        user("svc_tgt", svc, "svc_tgt", a2d=["krbtgt/%s" % dns.upper()])
        # Protocol transition without targets: svc_legacy is trusted by FS01's RBCD,
        # svc_s4u by nothing.
        user("svc_legacy", svc, "svc_legacy", USER | TRUSTED_TO_AUTH_FOR_DELEGATION)
        user("svc_s4u", svc, "svc_s4u", USER | TRUSTED_TO_AUTH_FOR_DELEGATION)
        # RBCD on a user account (a service account with an SPN).
        rbcd_user = user("svc_rbcd", svc, "svc_rbcd", spns=["HTTP/reports.%s" % dns])
        user("svc_plain", svc, "svc_plain", spns=["HTTP/plain.%s" % dns])

        # A group managed service account (4.17 has no samba-tool command for it): plain,
        # and one with constrained delegation.
        computer("gmsa_app", msa, WORKSTATION, object_class="msDS-GroupManagedServiceAccount",
                 spns=["HTTP/app.%s" % dns])
        computer("gmsa_rpt", msa, WORKSTATION, object_class="msDS-GroupManagedServiceAccount",
                 spns=["HTTP/rpt.%s" % dns], a2d=["HTTP/reports.%s" % dns])

        # Delegation chains to tier 0 (issue 10), each of several hops:
        # chain_kcd --constrained+PT cifs/chainfs--> CHAINFS$ --rbcd--> the DC;
        # chain_writer --member--> chain-ops --write-rbcd--> CHAINW$ --rbcd--> the DC;
        # chain_front --rbcd--> UNC01$ --unconstrained--> the domain.
        computer("CHAINFS", servers)
        user("chain_kcd", svc, "chain_kcd", USER | TRUSTED_TO_AUTH_FOR_DELEGATION,
             spns=["HTTP/chainweb.%s" % dns], a2d=["cifs/chainfs.%s" % dns])
        computer("CHAINW", servers)
        group("chain-ops", [user("chain_writer", users, "chain_writer")])
        unc01 = computer("UNC01", servers, WORKSTATION | TRUSTED_FOR_DELEGATION)
        user("chain_front", svc, "chain_front", spns=["HTTP/chainfront.%s" % dns])

        group("Web Frontends", [web02, kiosk])
        group("Helpdesk", [carol])

        # Who may write RBCD (the ACEs themselves are set below, with samba-tool): a writer
        # per case, and computers to write on. rw-helper holds its right through the group
        # rw-helpdesk only.
        for name in ("rw-attr", "rw-propset", "rw-readonly", "rw-inherit", "rw-dc", "rw-owner",
                     "rw-owner-rights"):
            user(name, users, name)
        group("rw-helpdesk", [user("rw-helper", users, "rw-helper")])
        for i in range(1, 7):
            computer("wr-target%d" % i, servers)

        # Trusts (trustedDomain objects only: no partner answers, no trust account):
        # TGT delegation enabled across a forest trust, and one where it is disabled.
        trust("partner.test", "PARTNER", "S-1-5-21-1000000001-1000000002-1000000003",
              TRUST_FOREST_TRANSITIVE | TRUST_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION)
        trust("other.test", "OTHER", "S-1-5-21-1000000004-1000000005-1000000006",
              TRUST_FOREST_TRANSITIVE | TRUST_CROSS_ORGANIZATION_NO_TGT_DELEGATION)

        # RBCD descriptors (Samba's own NDR encoding of the SDDL).
        set_rbcd("CN=FS01," + servers, sddl(
            "O:BAD:"
            "(D;;CR;;;%s)" % sid("KIOSK01$") +              # deny KIOSK01$ first
            "(A;;%s;;;%s)" % (FULL, sid("svc_legacy")) +    # effective
            "(A;;CR;;;%s)" % sid("Web Frontends") +          # WEB02$ only (KIOSK01$ denied)
            "(A;;GA;;;%s)" % sid("Helpdesk") +               # GENERIC_ALL: inert
            "(A;IO;CR;;;%s)" % sid("carol") +                # inherit-only
            "(A;;CR;;;%s-%d)" % (domain_sid, DELETED_RID)))  # unresolvable
        set_rbcd("CN=SQL01," + servers, sddl("O:BAD:(A;;CR;;;AU)"))      # broad trustee
        set_rbcd("CN=TEST01," + servers, sddl("O:BAD:"))                # empty DACL
        # A NULL DACL (DACL present, no ACL: everyone); 4.17's SDDL parser has no
        # NO_ACCESS_CONTROL, so the flag is set on the parsed descriptor.
        null_dacl = security.descriptor.from_sddl("O:BA", security.dom_sid(domain_sid))
        null_dacl.type |= security.SEC_DESC_DACL_PRESENT
        set_rbcd("CN=NUL01," + servers, ndr_pack(null_dacl))
        set_rbcd(rbcd_user, sddl("O:BAD:(A;;CR;;;%s)" % sid("WEB02$")))
        set_rbcd(dc_dn, sddl("O:BAD:(A;;CR;;;%s)(A;;CR;;;%s)(A;;CR;;;%s)"   # tier 0
                             % (sid("WEB02$"), sid("CHAINFS$"), sid("CHAINW$"))))
        set_rbcd(unc01, sddl("O:BAD:(A;;CR;;;%s)" % sid("chain_front")))
        # Malformed: a valid descriptor cut 6 bytes short (inside its last SID).
        set_rbcd("CN=PRINT01," + servers,
                 sddl("O:BAD:(A;;CR;;;%s)" % sid("WEB02$"))[:-6])
    except BaseException:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()

    # Duplicate SPNs, below samldb (see the module docstring): HTTP/intranet exactly on
    # svc_iis and svc_web; http/web02 on svc_iis against WEB02's HOST/web02.
    partition = os.path.join(lp.private_path("sam.ldb.d"), "%s.ldb" % base.upper())
    raw = ldb.Ldb("tdb://" + partition, options=["modules:"])
    for sam, spn in (("svc_web", "HTTP/intranet.%s" % dns),
                     ("svc_iis", "http/web02.%s" % dns)):
        m = ldb.Message(ldb.Dn(raw, manifest["accounts"][sam]["dn"]))
        m["servicePrincipalName"] = ldb.MessageElement(spn, ldb.FLAG_MOD_ADD,
                                                        "servicePrincipalName")
        raw.modify(m)

    # Write rights on accounts, each ACE added with samba-tool dsacl set (which puts it first
    # in the DACL, before the defaults): (account, ACE, its trustee, what an audit must
    # report). "finding": rbcd-writable on the account naming the trustee as a writer, at
    # "severity" when given, with "via" the right that lets it write; "members": who writes
    # through the group trustee; "guid": the schema GUID the granting ACE carries; "owner":
    # the writer owns the account instead.
    # lab_expect_rights (lab.sh) checks a report against this list: exactly these writers,
    # nothing from the default ACEs.
    def dsacl_set(dn, ace):
        subprocess.run(["samba-tool", "dsacl", "set", "-H", lp.private_path("sam.ldb"),
                        "-s", conf, "--objectdn=%s" % dn, "--sddl=%s" % ace],
                       check=True, stdout=subprocess.DEVNULL)

    t = time.monotonic()
    rights = manifest["expect"]["rbcd_writable"]
    for target, ace, writer, expect in (
            # WRITE_PROPERTY on the RBCD attribute itself
            ("wr-target1$", "(OA;;WP;%s;;%s)", "rw-attr",
             {"finding": True, "guid": RBCD_ATTR, "via": "write-property-attribute"}),
            # WRITE_PROPERTY on the property set holding it
            ("wr-target2$", "(OA;;WP;%s;;%s)", "rw-propset",
             {"finding": True, "guid": USER_ACCOUNT_RESTRICTIONS, "via": "write-property-set"}),
            # GenericWrite to a group (the DC stores it mapped, as WPRCSW: WRITE_PROPERTY on
            # every property); rw-helper writes through it
            ("wr-target3$", "(A;;GW;;;%s)", "rw-helpdesk",
             {"finding": True, "members": ["rw-helper"], "via": "write-all-properties"}),
            # read only: no write right
            ("wr-target4$", "(A;;RP;;;%s)", "rw-readonly", {"finding": False}),
            # inherit-only: applies to children, not to the object
            ("wr-target4$", "(OA;CIIO;WP;%s;;%s)", "rw-inherit",
             {"finding": False, "guid": RBCD_ATTR}),
            # the write hop of a chain (issue 10): chain-ops writes CHAINW$'s RBCD
            ("CHAINW$", "(OA;;WP;%s;;%s)", "chain-ops",
             {"finding": True, "guid": RBCD_ATTR, "members": ["chain_writer"],
              "via": "write-property-attribute"}),
            # on the domain controller's account: critical
            (dc_sam, "(OA;;WP;%s;;%s)", "rw-dc",
             {"finding": True, "severity": "critical", "guid": RBCD_ATTR,
              "via": "write-property-attribute"})):
        dn = dc_dn if target == dc_sam else manifest["accounts"][target]["dn"]
        guid = expect.get("guid")
        ace = ace % ((guid, sid(writer)) if ace.startswith("(OA") else (sid(writer),))
        dsacl_set(dn, ace)
        expect.update({"account": target, "dn": dn, "ace": ace, "writer": writer,
                       "writer_sid": sid(writer)})
        rights.append(expect)
    # Owners: the owner of an object may always change its DACL (implicit WRITE_DAC), so it
    # may write RBCD, unless an OWNER RIGHTS (S-1-3-4) ACE says what the owner gets (here
    # READ_CONTROL only). On Windows the user who joins a computer through the
    # MachineAccountQuota owns it; Samba 4.17 lets no ordinary user create a computer over
    # LDAP (insufficient access), so the owner is set here, as the system.
    for target, writer, ace, finding in (("wr-target5$", "rw-owner", None, True),
                                         ("wr-target6$", "rw-owner-rights", "(A;;RC;;;OW)",
                                          False)):
        dn = manifest["accounts"][target]["dn"]
        m = ldb.Message(ldb.Dn(samdb, dn))
        m["nTSecurityDescriptor"] = ldb.MessageElement(
            sddl("O:%s" % sid(writer)), ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
        samdb.modify(m, controls=["sd_flags:1:%d" % security.SECINFO_OWNER])
        if ace:
            dsacl_set(dn, ace)
        rights.append({"account": target, "dn": dn, "ace": ace, "owner": True, "via": "owner",
                       "writer": writer, "writer_sid": sid(writer), "finding": finding})
    print("populate: %d write-rights cases set in %.1f s"
          % (len(rights), time.monotonic() - t))

    tmp = manifest_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.rename(tmp, manifest_path)
    print("populate: %d accounts and groups" % len(manifest["accounts"]))


if __name__ == "__main__":
    main()
