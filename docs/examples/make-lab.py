#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes lab.ldif: a small corp.example domain as `ldapsearch -LLL -o ldif-wrap=no` prints it.

Every kdeleg rule fires at least once, next to plain accounts that must not.
Run: python3 docs/examples/make-lab.py > docs/examples/lab.ldif
"""
import base64
import struct
import sys

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
BASE = "DC=corp,DC=example"
DNS = "corp.example"


def sid_bytes(text):
    parts = text.split("-")
    assert parts[0] == "S" and parts[1] == "1"
    auth = int(parts[2])
    subs = [int(p) for p in parts[3:]]
    return struct.pack("<BB", 1, len(subs)) + auth.to_bytes(6, "big") + b"".join(
        struct.pack("<I", s) for s in subs)


def rid(n):
    return f"{DOMAIN_SID}-{n}"


def ace(sid, mask=0x000F01FF, ace_type=0, flags=0):
    body = struct.pack("<I", mask) + sid_bytes(sid)
    return struct.pack("<BBH", ace_type, flags, 4 + len(body)) + body


def secdesc(aces, owner="S-1-5-32-544", dacl_present=True, acl_revision=4):
    """Self-relative SD as Windows writes RBCD values: owner, then the DACL."""
    owner_b = sid_bytes(owner)
    acl_body = b"".join(aces)
    acl = struct.pack("<BBHHH", acl_revision, 0, 8 + len(acl_body), len(aces), 0) + acl_body
    control = 0x8000 | (0x0004 if dacl_present else 0)
    off_owner = 20
    off_dacl = 20 + len(owner_b) if dacl_present else 0
    head = struct.pack("<BBHIIII", 1, 0, control, off_owner, 0, 0, off_dacl)
    return head + owner_b + (acl if dacl_present else b"")


entries = []


def entry(dn, attrs):
    entries.append((dn, attrs))


def b64(value):
    return base64.b64encode(value).decode()


def account(cn, ou, sam, rid_n, classes, uac, pgid, **extra):
    attrs = [("objectClass", c) for c in classes]
    attrs += [("sAMAccountName", sam), ("objectSid", sid_bytes(rid(rid_n))),
              ("userAccountControl", str(uac)), ("primaryGroupID", str(pgid))]
    for key, values in extra.items():
        key = {"spn": "servicePrincipalName", "a2d": "msDS-AllowedToDelegateTo",
               "rbcd": "msDS-AllowedToActOnBehalfOfOtherIdentity", "dns": "dNSHostName",
               "admin": "adminCount", "etypes": "msDS-SupportedEncryptionTypes",
               "memberof": "memberOf"}[key]
        if not isinstance(values, list):
            values = [values]
        attrs += [(key, v) for v in values]
    dn = f"CN={cn},{ou}"
    entry(dn, attrs)
    return dn


USER = ["top", "person", "organizationalPerson", "user"]
COMPUTER = USER + ["computer"]
USERS = f"CN=Users,{BASE}"
SERVERS = f"OU=Servers,{BASE}"
DCS = f"OU=Domain Controllers,{BASE}"
SVC = f"OU=Service Accounts,{BASE}"
ADMINS = f"OU=Admins,{BASE}"


def g(name):
    return f"CN={name},{USERS}" if name not in ("Administrators", "Account Operators",
                                               "Backup Operators") else f"CN={name},CN=Builtin,{BASE}"


entry(BASE, [("objectClass", "top"), ("objectClass", "domain"), ("objectClass", "domainDNS"),
             ("objectSid", sid_bytes(DOMAIN_SID)), ("ms-DS-MachineAccountQuota", "10"),
             ("msDS-Behavior-Version", "7")])

# Accounts. uac: 512 normal, 514 disabled, 66048 normal+dont-expire, 4096 workstation,
# 532480 DC (SERVER_TRUST|TRUSTED_FOR_DELEGATION), 0x80000 unconstrained,
# 0x1000000 protocol transition, 0x100000 not delegated.
account("Administrator", USERS, "Administrator", 500, USER, 66048, 513, admin="1",
        memberof=[g("Domain Admins"), g("Administrators")])
account("krbtgt", USERS, "krbtgt", 502, USER, 514, 513, spn="kadmin/changepw", admin="1")
account("Alice Admin", ADMINS, "alice.admin", 1105, USER, 512 | 0x100000, 513, admin="1",
        memberof=[g("Domain Admins")])
account("Bob Admin", ADMINS, "bob.admin", 1106, USER, 512, 513, admin="1",
        memberof=[g("Domain Admins"), g("Protected Users")])
account("Old Admin", ADMINS, "old.admin", 1119, USER, 66048, 513, admin="1")
account("Carol", USERS, "carol", 1107, USER, 512, 513, memberof=[g("Helpdesk")])
account("Dave", USERS, "dave", 1108, USER, 514, 513)

for n, (name, r) in enumerate([("DC01", 1000), ("DC02", 1001)]):
    fq = f"{name}.{DNS}"
    extra = {}
    if name == "DC02":
        # RBCD on a domain controller: delegation-to-tier0
        extra["rbcd"] = secdesc([ace(rid(1111))])
    account(name, DCS, f"{name}$", r, COMPUTER, 532480, 516, dns=fq.lower(),
            spn=[f"ldap/{fq}", f"ldap/{fq}/{DNS}", f"ldap/{name}", f"HOST/{fq}", f"HOST/{name}",
                 f"GC/{fq}/{DNS}", f"RestrictedKrbHost/{fq}",
                 f"E3514235-4B06-11D1-AB04-00C04FC2DCD2/1b4f5a1e-0000-4000-8000-00000000000{n}/{DNS}"],
            etypes="28", **extra)


def computer(name, r, uac=4096, spns=None, **extra):
    fq = f"{name}.{DNS}"
    spn = [f"HOST/{fq}", f"HOST/{name}", f"RestrictedKrbHost/{fq}", f"RestrictedKrbHost/{name}"]
    return account(name, SERVERS, f"{name}$", r, COMPUTER, uac, 515, dns=fq.lower(),
                   spn=spn + (spns or []), etypes="28", **extra)


computer("WEB01", 1110, uac=4096 | 0x80000)                 # unconstrained
computer("WEB02", 1111, memberof=[g("Web Frontends")])
computer("KIOSK01", 1121, memberof=[g("Web Frontends")])
computer("APP01", 1112, uac=4096 | 0x1000000,                 # constrained + protocol transition
         a2d=[f"cifs/FS01.{DNS}", "cifs/FS01"])
computer("FS01", 1113, rbcd=secdesc([
    ace(rid(1121), ace_type=1),                                # deny KIOSK01$ first
    ace(rid(1118)),                                            # svc_legacy: effective
    ace(rid(1120)),                                            # Web Frontends: WEB02$ only
    ace(rid(1122), mask=0x10000000),                           # Helpdesk, GENERIC_ALL: inert
    ace(rid(1107), flags=0x08),                                # inherit-only
    ace(rid(4242)),                                            # deleted account: unresolved
]))
computer("SQL01", 1114, rbcd=secdesc([ace("S-1-5-11")]))    # Authenticated Users: broad
computer("OLD01", 1123, uac=4096 | 0x80000 | 2)             # disabled, unconstrained
bad = bytearray(secdesc([ace(rid(1111))]))
bad = bytes(bad[:-6])                                           # cut inside the ACE's SID
computer("PRINT01", 1124, rbcd=bad)                           # malformed descriptor
computer("TEST01", 1125, rbcd=secdesc([]))                    # empty DACL: grants nobody

account("svc_sql", SVC, "svc_sql", 1115, USER, 66048, 513,
        spn=[f"MSSQLSvc/sql01.{DNS}:1433", f"MSSQLSvc/sql01.{DNS}"])
account("svc_web", SVC, "svc_web", 1116, USER, 66048, 513,
        spn=[f"HTTP/intranet.{DNS}"], a2d=[f"MSSQLSvc/sql01.{DNS}:1433"])
account("svc_backup", SVC, "svc_backup", 1117, USER, 66048, 513,
        a2d=[f"ldap/DC01.{DNS}", f"cifs/DC01.{DNS}", f"cifs/oldfs.{DNS}"])
account("svc_legacy", SVC, "svc_legacy", 1118, USER, 66048 | 0x1000000, 513)
account("svc_iis", SVC, "svc_iis", 1126, USER, 66048 | 0x80000, 513,
        spn=[f"HTTP/intranet.{DNS}", f"http/web02.{DNS}"])
entry(f"CN=gmsa_app,CN=Managed Service Accounts,{BASE}",
      [("objectClass", c) for c in COMPUTER + ["msDS-GroupManagedServiceAccount"]] +
      [("sAMAccountName", "gmsa_app$"), ("objectSid", sid_bytes(rid(1127))),
       ("userAccountControl", "4096"), ("primaryGroupID", "515"),
       ("servicePrincipalName", f"HTTP/app.{DNS}"), ("dNSHostName", f"app.{DNS}")])
account("PARTNER$", USERS, "PARTNER$", 1128, USER, 2048, 513)

# Groups (member values as AD returns them: DNs).
GROUP = ["top", "group"]


def group(name, sid, members):
    attrs = [("objectClass", c) for c in GROUP] + [("sAMAccountName", name),
                                                   ("objectSid", sid_bytes(sid))]
    attrs += [("member", m) for m in members]
    entry(g(name), attrs)


group("Domain Admins", rid(512), [f"CN=Administrator,{USERS}", f"CN=Alice Admin,{ADMINS}",
                                  f"CN=Bob Admin,{ADMINS}"])
group("Domain Users", rid(513), [])
group("Domain Computers", rid(515), [])
group("Domain Controllers", rid(516), [])
group("Schema Admins", rid(518), [f"CN=Administrator,{USERS}"])
group("Enterprise Admins", rid(519), [f"CN=Administrator,{USERS}"])
group("Protected Users", rid(525), [f"CN=Bob Admin,{ADMINS}"])
group("Web Frontends", rid(1120), [f"CN=WEB02,{SERVERS}", f"CN=KIOSK01,{SERVERS}"])
group("Helpdesk", rid(1122), [f"CN=Carol,{USERS}"])
group("Administrators", "S-1-5-32-544", [g("Domain Admins"), g("Enterprise Admins"),
                                          f"CN=Administrator,{USERS}"])
group("Account Operators", "S-1-5-32-548", [])
group("Backup Operators", "S-1-5-32-551", [])

SAFE_INIT = set(range(0x01, 0x80)) - {0x0a, 0x0d, 0x20, 0x3a, 0x3c}
SAFE = set(range(0x01, 0x80)) - {0x0a, 0x0d}


def line(key, value):
    raw = value if isinstance(value, bytes) else value.encode()
    if raw and (raw[0] in SAFE_INIT) and all(b in SAFE for b in raw) and raw[-1] != 0x20:
        return f"{key}: {raw.decode()}"
    if not raw:
        return f"{key}:"
    return f"{key}:: {b64(raw)}"


out = sys.stdout
for dn, attrs in entries:
    out.write(line("dn", dn) + "\n")
    for key, value in attrs:
        out.write(line(key, value) + "\n")
    out.write("\n")
# The forest's sPNMappings, from a second ldapsearch of the configuration partition.
out.write(f"dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,{BASE}\n")
out.write("objectClass: top\nobjectClass: nTDSService\n")
out.write("sPNMappings: host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,"
          "eventlog,eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,msiserver,ias,"
          "messenger,netlogon,netman,netdde,netddedsm,nmagent,plugplay,protectedstorage,rasman,"
          "rpclocator,rpc,rpcss,remoteaccess,rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,"
          "spooler,snmp,schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,iisadmin,"
          "msdtc\n\n")
