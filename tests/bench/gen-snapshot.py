#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a synthetic Active Directory LDIF snapshot for benchmarking kdeleg.

The output imitates what

    ldapsearch -LLL -o ldif-wrap=no -b DC=bench,DC=example \
      '(|(objectClass=user)(objectClass=computer)(objectClass=group)(objectClass=domain)(objectClass=trustedDomain))' \
      objectClass sAMAccountName objectSid userAccountControl servicePrincipalName \
      msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity memberOf member \
      primaryGroupID adminCount dNSHostName msDS-SupportedEncryptionTypes \
      ms-DS-MachineAccountQuota msDS-Behavior-Version

prints against a Windows DC of domain bench.example (realm BENCH.EXAMPLE, domain SID
S-1-5-21-1004336348-1177238915-682003330): "dn:" first, one "attr: value" per line,
binary and non-printable values as "attr:: base64", an empty line after every entry.

With --descriptors every entry also carries nTSecurityDescriptor (owner and DACL), as the
README's snapshot command reads it with the SD-flags control
(-E 1.2.840.113556.1.4.801=::MAMCAQU=); the rest of the file is the same as without it.

Only the Python standard library is used; the output is a pure function of
(--accounts, --seed, --max-val-range, --descriptors). See tests/bench/README.md.

    gen-snapshot.py --accounts 100000 --seed 1 -o snap.ldif [--check] [--manifest m.json]
    gen-snapshot.py --accounts 100000 --descriptors -o snap-sd.ldif
    gen-snapshot.py --verify snap.ldif      # validate an existing file, print its mix
"""

import argparse
import array
import base64
import json
import math
import os
import random
import struct
import sys
import time

DOMAIN_DN = "DC=bench,DC=example"
DNS_DOMAIN = "bench.example"
NETBIOS = "BENCH"
DOMAIN_SUBAUTH = (21, 1004336348, 1177238915, 682003330)
DOMAIN_SID_STR = "S-1-5-21-1004336348-1177238915-682003330"
FIRST_GENERATED_RID = 1104

# userAccountControl bits (LDAP values, ad-facts.md section 1)
UF_ACCOUNTDISABLE = 0x2
UF_PASSWD_NOTREQD = 0x20
UF_NORMAL_ACCOUNT = 0x200
UF_INTERDOMAIN_TRUST_ACCOUNT = 0x800
UF_WORKSTATION_TRUST_ACCOUNT = 0x1000
UF_SERVER_TRUST_ACCOUNT = 0x2000
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_TRUSTED_FOR_DELEGATION = 0x80000
UF_NOT_DELEGATED = 0x100000
UF_TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000

RBCD_MASK = 0x000F01FF
SE_SELF_RELATIVE = 0x8000
SE_DACL_PRESENT = 0x0004

# Default sPNMappings "host=" aliases (ad-facts.md section 6); used by --verify only.
HOST_ALIASES = frozenset((
    "alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,eventlog,eventsystem,"
    "policyagent,oakley,dmserver,dns,mcsvc,fax,msiserver,ias,messenger,netlogon,netman,netdde,"
    "netddedsm,nmagent,plugplay,protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,rsvp,"
    "samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,spooler,snmp,schedule,tapisrv,trksvr,trkwks,"
    "ups,time,wins,www,http,w3svc,iisadmin,msdtc").split(","))

SITES = ("HQ", "LON", "NYC", "PAR", "BER", "TYO", "SYD", "SAO")
DEPTS = ("Finance", "Sales", "HR", "IT", "Legal", "Ops", "RnD", "Support", "Marketing",
         "Facilities", "Procurement", "Audit")
# (display form, ASCII form for sAMAccountName). Three of 128 first names are not ASCII,
# so about 2% of user DNs need base64 ("dn::", "member::", "memberOf::").
FIRST_NAMES = [(n, n) for n in (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy "
    "Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
    "Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela "
    "Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory "
    "Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis "
    "Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry "
    "Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter "
    "Evelyn Noah Grace Dylan Judith").split()]
FIRST_NAMES[7] = ("Søren", "soren")
FIRST_NAMES[45] = ("José", "jose")
FIRST_NAMES[99] = ("Zoë", "zoe")
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Ford").split()
assert len(FIRST_NAMES) == 128 and len(LAST_NAMES) == 128

# Kinds of generated principals
K_USER, K_COMP, K_GROUP = 0, 1, 2
# User roles
U_NORMAL, U_SVC, U_ADMIN = 0, 1, 2
# Computer roles
C_WS, C_SRV, C_SQL, C_WEB = 0, 1, 2, 3
C_ROLE_NAME = ("WS", "SRV", "SQL", "WEB")
C_ROLE_OU = ("Workstations", "Servers", "Servers", "Servers")


def b64(data):
    return base64.b64encode(data).decode("ascii")


def needs_b64(s):
    """OpenLDAP's rule (ldif_must_b64_encode) made a little stricter: a leading space,
    ':' or '<', a trailing space, or any byte outside printable ASCII."""
    if not s:
        return False
    if s[0] in " :<" or s[-1] == " ":
        return True
    return not (s.isascii() and s.isprintable())


def attr_line(name, value):
    """One LDIF line (with newline) for a str or bytes value."""
    if isinstance(value, bytes):
        return "%s:: %s\n" % (name, b64(value))
    if needs_b64(value):
        return "%s:: %s\n" % (name, b64(value.encode("utf-8")))
    return "%s: %s\n" % (name, value)


def ref_suffix(dn):
    """The part after the attribute name for a DN-valued attribute: ': dn' or ':: b64'."""
    if needs_b64(dn):
        return ":: " + b64(dn.encode("utf-8"))
    return ": " + dn


def sid_bytes(auth, subs):
    return struct.pack("<BB", 1, len(subs)) + auth.to_bytes(6, "big") + \
        struct.pack("<%dI" % len(subs), *subs)


DOMAIN_SID = sid_bytes(5, DOMAIN_SUBAUTH)
ACCOUNT_SID_PREFIX = struct.pack("<BB", 1, 5) + (5).to_bytes(6, "big") + \
    struct.pack("<4I", *DOMAIN_SUBAUTH)
assert len(ACCOUNT_SID_PREFIX) == 24
ACCOUNT_SID_PREFIX_B64 = b64(ACCOUNT_SID_PREFIX)  # 24 bytes -> 32 chars, no padding
BA_SID = sid_bytes(5, (32, 544))  # S-1-5-32-544 BUILTIN\Administrators
DA_SID = ACCOUNT_SID_PREFIX + struct.pack("<I", 512)  # Domain Admins


def account_sid(rid):
    return ACCOUNT_SID_PREFIX + struct.pack("<I", rid)


def object_sid_line(rid):
    return "objectSid:: " + ACCOUNT_SID_PREFIX_B64 + b64(struct.pack("<I", rid)) + "\n"


def rbcd_sd(trustee_rids, acl_revision=4, layout="windows"):
    """msDS-AllowedToActOnBehalfOfOtherIdentity as Windows (Set-ADComputer
    -PrincipalsAllowedToDelegateToAccount) writes it: O:BAD:(A;;0xf01ff;;;trustee)...
    "windows" puts the owner right after the header (offset 20) and the DACL after it;
    "impacket" (rbcd.py) puts the DACL first and the owner after it."""
    aces = b""
    for rid in trustee_rids:
        sid = account_sid(rid)
        aces += struct.pack("<BBHI", 0, 0, 8 + len(sid), RBCD_MASK) + sid
    acl = struct.pack("<BBHHH", acl_revision, 0, 8 + len(aces), len(trustee_rids), 0) + aces
    control = SE_SELF_RELATIVE | SE_DACL_PRESENT
    if layout == "windows":
        return struct.pack("<BBHIIII", 1, 0, control, 20, 0, 0, 20 + len(BA_SID)) + BA_SID + acl
    return struct.pack("<BBHIIII", 1, 0, control, 20 + len(acl), 0, 0, 20) + acl + BA_SID


# ---- nTSecurityDescriptor (--descriptors) ---------------------------------------------------
#
# What `ldapsearch -E 1.2.840.113556.1.4.801=::MAMCAQU=` (SD flags OWNER|DACL) returns for
# nTSecurityDescriptor: a self-relative SD in Windows' order (header, DACL, owner; no group,
# no SACL), control SELF_RELATIVE|DACL_AUTO_INHERITED|DACL_PRESENT (|DACL_PROTECTED under
# AdminSDHolder). The DACLs are written in SDDL, copied from what Windows Server 2016 puts
# on new objects: the class's defaultSecurityDescriptor (CREATOR OWNER replaced by the
# owner, as AD does when it creates the object), then the ACEs its OU hands down (a site's
# helpdesk delegations), then those inherited from the domain head (split into an effective
# copy and an inherit-only one where the inherited object type matches the class, as AD
# does). So objects of one kind in one OU carry equal DACLs unless their owner differs.

SDDL_RIGHTS = {"CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40,
               "LO": 0x80, "CR": 0x100, "SD": 0x10000, "RC": 0x20000, "WD": 0x40000,
               "WO": 0x80000, "GA": 0x10000000, "GX": 0x20000000, "GW": 0x40000000,
               "GR": 0x80000000}
SDDL_FLAGS = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "ID": 0x10}
SDDL_TYPES = {"A": 0x00, "D": 0x01, "OA": 0x05, "OD": 0x06}
SDDL_SIDS = {
    "DA": DOMAIN_SID_STR + "-512", "DU": DOMAIN_SID_STR + "-513", "CA": DOMAIN_SID_STR + "-517",
    "SA": DOMAIN_SID_STR + "-518", "EA": DOMAIN_SID_STR + "-519", "DD": DOMAIN_SID_STR + "-516",
    "RO": DOMAIN_SID_STR + "-498", "KA": DOMAIN_SID_STR + "-526", "EK": DOMAIN_SID_STR + "-527",
    "RS": DOMAIN_SID_STR + "-553", "WD": "S-1-1-0", "CO": "S-1-3-0", "ED": "S-1-5-9",
    "PS": "S-1-5-10", "AU": "S-1-5-11", "SY": "S-1-5-18", "BA": "S-1-5-32-544",
    "AO": "S-1-5-32-548", "PO": "S-1-5-32-550", "RU": "S-1-5-32-554"}
SE_DACL_AUTO_INHERITED = 0x0400
SE_DACL_PROTECTED = 0x1000
RBCD_ATTR_GUID = "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"
FULL = "CCDCLCSWRPWPDTLOCRSDRCWDWO"  # 0xF01FF

# The class GUIDs that InheritedObjectType names below.
G_COMPUTER = "bf967a86-0de6-11d0-a285-00aa003049e2"
G_USER = "bf967aba-0de6-11d0-a285-00aa003049e2"
G_GROUP = "bf967a9c-0de6-11d0-a285-00aa003049e2"
G_INETORGPERSON = "4828cc14-1437-45bc-9b07-ad6f015e5f28"


def sid_from_string(text):
    parts = text.split("-")
    return sid_bytes(int(parts[2]), tuple(int(p) for p in parts[3:]))


def guid_bytes(text):
    h = text.replace("-", "")
    b = bytes.fromhex(h)
    return b[3::-1] + b[5:3:-1] + b[7:5:-1] + b[8:]  # Data1-3 little-endian


def sddl_aces(text):
    """'(OA;CIID;RPWP;guid;guid;SID)(A;;...)' -> list of (type, flags, mask, obj, inh, sid)
    tuples; sid is an alias, an S-1-... string or a placeholder (OWNER, HD) kept as is."""
    out = []
    for body in text.strip().lstrip("(").rstrip(")").split(")("):
        t, fl, rights, obj, inh, sid = body.split(";")
        flags = 0
        for i in range(0, len(fl), 2):
            flags |= SDDL_FLAGS[fl[i:i + 2]]
        if rights.startswith("0x"):
            mask = int(rights, 16)
        else:
            mask = 0
            for i in range(0, len(rights), 2):
                mask |= SDDL_RIGHTS[rights[i:i + 2]]
        out.append((SDDL_TYPES[t], flags, mask, obj or None, inh or None, sid))
    return out


def encode_ace(ace, subst):
    atype, flags, mask, obj, inh, sid = ace
    sid = subst.get(sid) or SDDL_SIDS.get(sid) or sid
    sidb = sid if isinstance(sid, bytes) else sid_from_string(sid)
    body = struct.pack("<I", mask)
    if atype in (5, 6):
        body += struct.pack("<I", (1 if obj else 0) | (2 if inh else 0))
        body += (guid_bytes(obj) if obj else b"") + (guid_bytes(inh) if inh else b"")
    body += sidb
    return struct.pack("<BBH", atype, flags, 4 + len(body)) + body


def ntsd(aces, owner, subst, protected=False):
    """A self-relative SD: header, DACL (revision 4), owner."""
    body = b"".join(encode_ace(a, subst) for a in aces)
    acl = struct.pack("<BBHHH", 4, 0, 8 + len(body), len(aces), 0) + body
    control = SE_SELF_RELATIVE | SE_DACL_AUTO_INHERITED | SE_DACL_PRESENT
    if protected:
        control |= SE_DACL_PROTECTED
    return struct.pack("<BBHIIII", 1, 0, control, 20 + len(acl), 0, 0, 20) + acl + owner


# defaultSecurityDescriptor of the classes (Windows Server 2016 schema), CREATOR OWNER
# written as OWNER: AD puts the owner's SID there when it creates the object.
SD_COMPUTER_DEFAULT = sddl_aces(
    "(A;;CCDC;;;PS)(A;;LCRPLORC;;;AU)(A;;%(F)s;;;SY)(A;;%(F)s;;;AO)(A;;%(F)s;;;DA)"
    "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"
    "(OA;;RPWP;77b5b886-944a-11d1-aebd-0000f80367c1;;PS)"
    "(OA;;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;;PS)"
    "(OA;;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;;PS)"
    "(OA;;CCDC;bf967aa8-0de6-11d0-a285-00aa003049e2;;PO)"
    "(OA;;RP;46a9b11d-60ae-405a-b7e8-ff8a58d456d2;;S-1-5-32-560)"
    "(OA;;WP;bf967953-0de6-11d0-a285-00aa003049e2;%(C)s;OWNER)"
    "(OA;;WP;4c164200-20c0-11d0-a768-00aa006e0529;;OWNER)"
    "(OA;;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;;OWNER)"
    "(OA;;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;;OWNER)"
    "(OA;;WP;3e0abfd0-126a-11d0-a060-00aa006c33ed;%(C)s;OWNER)"
    "(OA;;WP;bf967950-0de6-11d0-a285-00aa003049e2;%(C)s;OWNER)"
    "(OA;;WP;5f202010-79a5-11d0-9020-00c04fc2d4cf;%(C)s;OWNER)"
    "(A;;LCRPDTLOCRSDRC;;;OWNER)"
    "(OA;;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;CA)" % {"F": FULL, "C": G_COMPUTER})
SD_USER_DEFAULT = sddl_aces(
    "(A;;%(F)s;;;DA)(A;;%(F)s;;;SY)(A;;%(F)s;;;AO)(A;;RPLCLORC;;;PS)"
    "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)"
    "(OA;;CR;ab721a54-1e2f-11d0-9819-00aa0040529b;;PS)"
    "(OA;;CR;ab721a56-1e2f-11d0-9819-00aa0040529b;;PS)"
    "(OA;;RPWP;77b5b886-944a-11d1-aebd-0000f80367c1;;PS)"
    "(OA;;RPWP;e45795b2-9455-11d1-aebd-0000f80367c1;;PS)"
    "(OA;;RPWP;e45795b3-9455-11d1-aebd-0000f80367c1;;PS)"
    "(OA;;RP;037088f8-0ae1-11d2-b422-00a0c968f939;;RS)"
    "(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;RS)"
    "(OA;;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;;RS)(A;;RC;;;AU)"
    "(OA;;RP;59ba2f42-79a2-11d0-9020-00c04fc2d3cf;;AU)"
    "(OA;;RP;77b5b886-944a-11d1-aebd-0000f80367c1;;AU)"
    "(OA;;RP;e45795b3-9455-11d1-aebd-0000f80367c1;;AU)"
    "(OA;;RP;e48d0154-bcf8-11d1-8702-00c04fb96050;;AU)"
    "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"
    "(OA;;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;;RS)"
    "(OA;;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;CA)"
    "(OA;;RP;46a9b11d-60ae-405a-b7e8-ff8a58d456d2;;S-1-5-32-560)"
    "(OA;;RPWP;6db69a1c-9422-11d1-aebd-0000f80367c1;;S-1-5-32-561)"
    "(OA;;RPWP;5805bc62-bdc9-4428-a5e2-856a0f4c185e;;S-1-5-32-561)" % {"F": FULL})
SD_GROUP_DEFAULT = sddl_aces(
    "(A;;%(F)s;;;DA)(A;;%(F)s;;;SY)(A;;RPLCLORC;;;AU)(A;;%(F)s;;;AO)(A;;RPLCLORC;;;PS)"
    "(OA;;CR;ab721a55-1e2f-11d0-9819-00aa0040529b;;AU)"
    "(OA;;RP;46a9b11d-60ae-405a-b7e8-ff8a58d456d2;;S-1-5-32-560)" % {"F": FULL})
# AdminSDHolder's DACL, stamped on adminCount=1 accounts and groups (protected: no
# inherited ACEs).
SD_ADMINSDHOLDER = sddl_aces(
    "(A;;LCRPLORC;;;AU)(A;;%(F)s;;;SY)(A;;CCDCLCSWRPWPLOCRSDRCWDWO;;;BA)"
    "(A;;CCDCLCSWRPWPLOCRSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPLOCRSDRCWDWO;;;EA)"
    "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"
    "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)"
    "(OA;;RP;037088f8-0ae1-11d2-b422-00a0c968f939;;S-1-5-32-560)"
    "(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;S-1-5-32-560)"
    "(OA;;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;;S-1-5-32-560)"
    "(OA;;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;;S-1-5-32-560)"
    "(OA;;RP;46a9b11d-60ae-405a-b7e8-ff8a58d456d2;;S-1-5-32-560)"
    "(OA;;RPWP;bf967a7f-0de6-11d0-a285-00aa003049e2;;CA)"
    "(OA;;RP;037088f8-0ae1-11d2-b422-00a0c968f939;;RS)"
    "(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;RS)"
    "(OA;;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;;RS)"
    "(OA;;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;;RS)"
    "(OA;;RPWP;6db69a1c-9422-11d1-aebd-0000f80367c1;;S-1-5-32-561)"
    "(OA;;RPWP;5805bc62-bdc9-4428-a5e2-856a0f4c185e;;S-1-5-32-561)"
    "(OA;;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;KA)"
    "(OA;;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;EK)" % {"F": FULL})

# The domain head's inheritable ACEs (Windows Server 2016), as (sddl, inherited object type
# or None); inherited() turns them into what an object of a given class carries.
DOMAIN_INHERITABLE = [
    ("(OA;CIIO;RP;4c164200-20c0-11d0-a768-00aa006e0529;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;RP;4c164200-20c0-11d0-a768-00aa006e0529;%s;RU)" % G_USER, G_USER),
    ("(OA;CIIO;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;RP;5f202010-79a5-11d0-9020-00c04fc2d4cf;%s;RU)" % G_USER, G_USER),
    ("(OA;CIIO;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;RP;bc0ac240-79a9-11d0-9020-00c04fc2d4cf;%s;RU)" % G_USER, G_USER),
    ("(OA;CIIO;RP;59ba2f42-79a2-11d0-9020-00c04fc2d3cf;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;RP;59ba2f42-79a2-11d0-9020-00c04fc2d3cf;%s;RU)" % G_USER, G_USER),
    ("(OA;CIIO;RP;037088f8-0ae1-11d2-b422-00a0c968f939;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;RP;037088f8-0ae1-11d2-b422-00a0c968f939;%s;RU)" % G_USER, G_USER),
    ("(OA;CI;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;KA)", None),
    ("(OA;CI;RPWP;5b47d60f-6090-40b2-9f37-2a4de88f3063;;EK)", None),
    ("(OA;CIIO;SW;9b026da6-0d3c-465c-8bee-5199d7165cba;%s;CO)" % G_COMPUTER, G_COMPUTER),
    ("(OA;CIIO;SW;9b026da6-0d3c-465c-8bee-5199d7165cba;%s;PS)" % G_COMPUTER, G_COMPUTER),
    ("(OA;CIIO;RP;b7c69e6d-2cc7-11d2-854e-00a0c983f608;%s;ED)" % G_COMPUTER, G_COMPUTER),
    ("(OA;CIIO;RP;b7c69e6d-2cc7-11d2-854e-00a0c983f608;%s;ED)" % G_GROUP, G_GROUP),
    ("(OA;CIIO;RP;b7c69e6d-2cc7-11d2-854e-00a0c983f608;%s;ED)" % G_USER, G_USER),
    ("(OA;CIIO;WP;ea1b7b93-5e48-46d5-bc6c-4df4fda78a35;%s;PS)" % G_COMPUTER, G_COMPUTER),
    ("(OA;CIIO;LCRPLORC;;%s;RU)" % G_INETORGPERSON, G_INETORGPERSON),
    ("(OA;CIIO;LCRPLORC;;%s;RU)" % G_GROUP, G_GROUP),
    ("(OA;CIIO;LCRPLORC;;%s;RU)" % G_USER, G_USER),
    ("(OA;OICI;RPWP;%s;;PS)" % RBCD_ATTR_GUID, None),
    ("(OA;CI;RPWPCR;91e647de-d96f-4b70-9557-d63ff4f3ccd8;;PS)", None),
    ("(A;CI;%s;;;EA)" % FULL, None),
    ("(A;CI;LC;;;RU)", None),
    ("(A;CI;CCLCSWRPWPLOCRSDRCWDWO;;;BA)", None),
]


def inherited(inheritable, cls):
    """The ACEs an object of class @cls receives from @inheritable (container-inherit ACEs of
    its parent): every one again with ID; one that applies to @cls stays effective (IO off),
    and one naming CREATOR OWNER is split into an effective copy for the owner (no inherited
    object type) and the inheritable original."""
    out = []
    for text, iot in inheritable:
        (atype, flags, mask, obj, inh, sid), = sddl_aces(text)
        applies = iot is None or iot == cls
        if applies and sid == "CO":
            out.append((atype, 0x10, mask, obj, None, "OWNER"))
            out.append((atype, flags | 0x10, mask, obj, inh, sid))
        elif applies:
            out.append((atype, (flags & ~0x08) | 0x10, mask, obj, inh, sid))
        else:
            out.append((atype, flags | 0x08 | 0x10, mask, obj, inh, sid))
    return out


# A site's helpdesk delegations on its OUs (HD: the site's helpdesk group): reset passwords
# and unlock users, rename and re-join workstations, manage group members. None of them
# writes msDS-AllowedToActOnBehalfOfOtherIdentity.
OU_DELEGATION = {
    "user": [("(OA;CI;CR;00299570-246d-11d0-a768-00aa006e0529;%s;HD)" % G_USER, G_USER),
             ("(OA;CI;RPWP;28630ebf-41d5-11d1-a9c1-0000f80367c1;%s;HD)" % G_USER, G_USER),
             ("(OA;CI;RPWP;bf967a0a-0de6-11d0-a285-00aa003049e2;%s;HD)" % G_USER, G_USER)],
    "ws": [("(OA;CI;CR;00299570-246d-11d0-a768-00aa006e0529;%s;HD)" % G_COMPUTER, G_COMPUTER),
           ("(OA;CI;WP;bf967950-0de6-11d0-a285-00aa003049e2;%s;HD)" % G_COMPUTER, G_COMPUTER),
           ("(OA;CI;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;%s;HD)" % G_COMPUTER, G_COMPUTER),
           ("(OA;CI;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;%s;HD)" % G_COMPUTER, G_COMPUTER)],
    "group": [("(OA;CI;WP;bf9679c0-0de6-11d0-a285-00aa003049e2;%s;HD)" % G_GROUP, G_GROUP)],
}
# The extra ACE on a few computers: the site's helpdesk may write RBCD (rbcd-writable).
RBCD_WRITE_ACE = sddl_aces("(OA;;WP;%s;;HD)" % RBCD_ATTR_GUID)
# The domain head's own DACL (Samba's get_domain_descriptor, as a 2016 DC has it): the
# replication rights (DCSync) of DCs, Enterprise DCs and Administrators among them.
SD_DOMAIN = sddl_aces(
    "(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;RO)"
    "(OA;;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;DD)"
    "(OA;;CR;89e95b76-444d-4c62-991a-0facbeda640c;;BA)"
    "(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;BA)"
    "(OA;;CR;1131f6ab-9c07-11d1-f79f-00c04fc2dcd2;;BA)"
    "(OA;;CR;1131f6ac-9c07-11d1-f79f-00c04fc2dcd2;;BA)"
    "(OA;;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;BA)"
    "(OA;;CR;1131f6ae-9c07-11d1-f79f-00c04fc2dcd2;;BA)"
    "(OA;;CR;e2a36dc9-ae17-47c3-b58b-be34c55ba633;;S-1-5-32-557)"
    "(OA;;RP;c7407360-20bf-11d0-a768-00aa006e0529;;RU)"
    "(OA;;RP;b8119fd0-04f6-4762-ab7a-4986c76b3f9a;;RU)"
    "(OA;;CR;05c74c5e-4deb-43b4-bd9f-86664c2a7fd5;;AU)"
    "(OA;;CR;89e95b76-444d-4c62-991a-0facbeda640c;;ED)"
    "(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;AU)"
    "(OA;;CR;280f369c-67c7-438e-ae98-1d46f3c6f541;;AU)"
    "(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
    "(OA;;CR;1131f6ab-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
    "(OA;;CR;1131f6ac-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
    "(OA;;CR;1131f6ae-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
    "(OA;;RP;b8119fd0-04f6-4762-ab7a-4986c76b3f9a;;AU)"
    "(A;;RPWPCRCCLCLORCWOWDSW;;;DA)(A;;RPRC;;;RU)(A;;RP;;;WD)(A;;RPLCLORC;;;ED)"
    "(A;;RPLCLORC;;;AU)(A;;%s;;;SY)" % FULL) + \
    sddl_aces("".join(t for t, _ in DOMAIN_INHERITABLE))
SD_TDO = sddl_aces("(A;;%s;;;DA)(A;;%s;;;SY)(A;;RPLCLORC;;;AU)" % (FULL, FULL)) + \
    inherited(DOMAIN_INHERITABLE, None)


def lognormal_int(rng, lo, hi):
    """Log-uniform integer in [lo, hi] (mostly small groups, a tail of bigger ones)."""
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))


class Snapshot:
    def __init__(self, n, seed, max_val_range=0, descriptors=False):
        if n < 100:
            raise SystemExit("gen-snapshot: --accounts must be at least 100")
        self.n = n
        self.max_val_range = max_val_range
        self.rng = rng = random.Random(seed)
        self.manifest = {"accounts": n, "seed": seed}

        n_comp = round(n * 0.30)
        n_grp = round(n * 0.05)
        n_user = n - n_comp - n_grp
        self.n_user, self.n_comp, self.n_grp = n_user, n_comp, n_grp

        # Kinds interleaved in a deterministic random order (AD returns objects roughly in
        # creation order, so groups come before and after their members).
        kinds = bytearray([K_USER]) * n_user + bytearray([K_COMP]) * n_comp + \
            bytearray([K_GROUP]) * n_grp
        rng.shuffle(kinds)
        self.kind = kinds
        serial = array.array("I", bytes(4 * n))
        ids_by_kind = ([], [], [])
        for i, k in enumerate(kinds):
            lst = ids_by_kind[k]
            serial[i] = len(lst)
            lst.append(i)
        self.serial = serial
        self.user_ids, self.comp_ids, self.grp_ids = ids_by_kind

        # Roles. Each role has its own numbering (role_serial) for names.
        n_svc = max(2, round(n_user * 0.02))
        n_adm = max(3, round(n_user * 0.0005))
        urole = bytearray([U_SVC]) * n_svc + bytearray([U_ADMIN]) * n_adm + \
            bytearray([U_NORMAL]) * (n_user - n_svc - n_adm)
        rng.shuffle(urole)
        # SQL hosts: ~3% of computers register MSSQLSvc themselves (SQL runs as the
        # machine), plus one host per SQL service user (SPN registered on the user).
        self.n_sql_self = max(2, round(n_comp * 0.03))
        n_sql = self.n_sql_self + (n_svc + 1) // 2
        n_web = max(2, round(n_comp * 0.03))
        n_srv = max(4, round(n_comp * 0.12))
        crole = bytearray([C_SQL]) * n_sql + bytearray([C_WEB]) * n_web + \
            bytearray([C_SRV]) * n_srv + bytearray([C_WS]) * (n_comp - n_sql - n_web - n_srv)
        rng.shuffle(crole)
        self.urole, self.crole = urole, crole
        self.urserial = self._role_serials(urole, 3)
        self.crserial = self._role_serials(crole, 4)
        self.ids_by_urole = [[], [], []]
        for s, r in enumerate(urole):
            self.ids_by_urole[r].append(self.user_ids[s])
        self.ids_by_crole = [[], [], [], []]
        for s, r in enumerate(crole):
            self.ids_by_crole[r].append(self.comp_ids[s])

        self._fixed_entities()
        self._memberships()
        self._accounts()
        self._delegation()
        self._duplicates()
        self.descriptors = descriptors
        if descriptors:
            self._descriptors(seed)

    @staticmethod
    def _role_serials(roles, nroles):
        counters = [0] * nroles
        out = array.array("I", bytes(4 * len(roles)))
        for s, r in enumerate(roles):
            out[s] = counters[r]
            counters[r] += 1
        return out

    # ---- names -------------------------------------------------------------------------

    def user_names(self, uid):
        """(cn, sAMAccountName, container) for generated user id."""
        s = self.serial[uid]
        role = self.urole[s]
        r = self.urserial[s]
        if role == U_SVC:
            sam = "svc_%s%04d" % ("sql" if r % 2 == 0 else "app", r)
            return sam, sam, "OU=Service Accounts," + DOMAIN_DN
        if role == U_ADMIN:
            sam = "adm%04d" % r
            return sam, sam, "OU=Admins,OU=Tier0," + DOMAIN_DN
        f = r % 128
        l = (r >> 7) % 128
        k = r >> 14
        first, first_ascii = FIRST_NAMES[f]
        last = LAST_NAMES[l]
        sam = (first_ascii[0] + last).lower()[:16] + (str(k) if k else "")
        if r % 53 == 7:  # "Last, First" CNs need an escaped comma in the DN
            cn = "%s\\, %s" % (last, first)
        else:
            cn = "%s %s" % (first, last)
        if k:
            cn += " %d" % k
        return cn, sam, "OU=Users,OU=%s,%s" % (SITES[r % 8], DOMAIN_DN)

    def comp_name(self, cid):
        s = self.serial[cid]
        role = self.crole[s]
        r = self.crserial[s]
        name = "%s%0*d" % (C_ROLE_NAME[role], 6 if role == C_WS else 5, r)
        return name, "OU=%s,OU=%s,%s" % (C_ROLE_OU[role], SITES[r % 8], DOMAIN_DN)

    def group_name(self, gid):
        r = self.serial[gid]
        if r < self.n_large:
            name = "GG-AllStaff-%s-%02d" % (SITES[r % 8], r)
        else:
            name = "GG-%s-%05d" % (DEPTS[r % len(DEPTS)], r)
        return name, "OU=Groups,OU=%s,%s" % (SITES[r % 8], DOMAIN_DN)

    def dn(self, eid):
        if eid >= self.n:
            return self.fixed[eid - self.n]["dn"]
        k = self.kind[eid]
        if k == K_USER:
            cn, _, cont = self.user_names(eid)
        elif k == K_COMP:
            cn, cont = self.comp_name(eid)
        else:
            cn, cont = self.group_name(eid)
        return "CN=%s,%s" % (cn, cont)

    def ref(self, eid):
        r = self.ref_cache.get(eid)
        if r is None:
            r = ref_suffix(self.dn(eid))
        return r

    def fqdn(self, cid):
        return self.comp_name(cid)[0].lower() + "." + DNS_DOMAIN

    # ---- fixed (well-known) entities -----------------------------------------------------

    def _fixed_entities(self):
        n = self.n
        fixed = []
        byname = {}

        def add(key, **kw):
            kw["key"] = key
            byname[key] = n + len(fixed)
            fixed.append(kw)

        users = "CN=Users," + DOMAIN_DN
        builtin = "CN=Builtin," + DOMAIN_DN
        add("domain", dn=DOMAIN_DN, kind="domain")
        add("Administrator", dn="CN=Administrator," + users, kind="user", rid=500,
            uac=UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD, admin=True)
        add("Guest", dn="CN=Guest," + users, kind="user", rid=501, pgid=514,
            uac=UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_NOTREQD | UF_ACCOUNTDISABLE)
        add("krbtgt", dn="CN=krbtgt," + users, kind="user", rid=502,
            uac=UF_NORMAL_ACCOUNT | UF_ACCOUNTDISABLE, admin=True, spns=["kadmin/changepw"])
        for name, rid, admin in (
                ("Domain Admins", 512, True), ("Domain Users", 513, False),
                ("Domain Guests", 514, False), ("Domain Computers", 515, False),
                ("Domain Controllers", 516, True), ("Cert Publishers", 517, False),
                ("Schema Admins", 518, True), ("Enterprise Admins", 519, True),
                ("Group Policy Creator Owners", 520, False),
                ("Read-only Domain Controllers", 521, True),
                ("Cloneable Domain Controllers", 522, False), ("Protected Users", 525, False),
                ("Key Admins", 526, True), ("Enterprise Key Admins", 527, True),
                ("Allowed RODC Password Replication Group", 571, False),
                ("Denied RODC Password Replication Group", 572, False)):
            add(name, dn="CN=%s,%s" % (name, users), kind="group", rid=rid, admin=admin)
        for name, rid, admin in (
                ("Administrators", 544, True), ("Users", 545, False), ("Guests", 546, False),
                ("Account Operators", 548, True), ("Server Operators", 549, True),
                ("Print Operators", 550, True), ("Backup Operators", 551, True),
                ("Pre-Windows 2000 Compatible Access", 554, False)):
            add(name, dn="CN=%s,%s" % (name, builtin), kind="group", sid=sid_bytes(5, (32, rid)),
                admin=admin)
        # Foreign security principals: referenced by member, never returned by the query.
        fsp = "CN=ForeignSecurityPrincipals," + DOMAIN_DN
        add("FSP-Interactive", dn="CN=S-1-5-4," + fsp, kind="fsp")
        add("FSP-AuthUsers", dn="CN=S-1-5-11," + fsp, kind="fsp")
        n_dc = 2 if n < 50000 else 3
        for i in range(n_dc):
            name = "DC%02d" % (i + 1)
            add(name, dn="CN=%s,OU=Domain Controllers,%s" % (name, DOMAIN_DN), kind="dc",
                rid=1000 + i, name=name, guid_dsa=self._guid(), guid_dfsr=self._guid())
        add("trust-account", dn="CN=PARTNER$," + users, kind="user", rid=1103,
            sam="PARTNER$", uac=UF_INTERDOMAIN_TRUST_ACCOUNT | UF_PASSWD_NOTREQD)
        add("trustedDomain", dn="CN=partner.example,CN=System," + DOMAIN_DN, kind="tdo")
        self.fixed = fixed
        self.fixed_id = byname
        self.n_dc = n_dc
        self.dc_ids = [byname["DC%02d" % (i + 1)] for i in range(n_dc)]
        self.total = n + len(fixed)
        self.manifest["domain_controllers"] = n_dc

    def _guid(self):
        b = self.rng.getrandbits(128).to_bytes(16, "big")
        h = b.hex().upper()
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    # ---- nTSecurityDescriptor (--descriptors) ---------------------------------------------

    def _descriptors(self, seed):
        """Owners and the few accounts whose DACL differs from their OU's. A stream of its
        own, so that the rest of the snapshot is the same with or without descriptors."""
        rng = random.Random("descriptors-%d" % seed)
        F = self.fixed_id
        grps = self.grp_ids
        # The helpdesk group of each site: its first department group (not an AllStaff
        # one; in tiny snapshots any group of the site, else the first group).
        hd = []
        for site in range(len(SITES)):
            pick = next((r for r in range(self.n_large, len(grps)) if r % len(SITES) == site),
                        None)
            if pick is None:
                pick = next((r for r in range(len(grps)) if r % len(SITES) == site), 0)
            hd.append(grps[pick])
        self.sd_hd_sid = [account_sid(FIRST_GENERATED_RID + g) for g in hd]
        # Owners that are not tier 0: enabled ordinary users outside the privileged groups.
        privileged = set()
        for gname in ("Account Operators", "Backup Operators", "Server Operators"):
            if F[gname] in self.grange:
                a, b = self.grange[F[gname]]
                privileged.update(self.pm[a:b])
        ser = self.serial

        def plain_user(uid):
            s = ser[uid]
            return (self.urole[s] == U_NORMAL and uid not in privileged
                    and not (self.user_uac[s] | self.uac_or.get(uid, 0)) & UF_ACCOUNTDISABLE)
        normal = [u for u in self.ids_by_urole[U_NORMAL] if plain_user(u)]
        hd_members = []
        for g in hd:
            a, b = self.grange.get(g, (0, 0))
            m = [x for x in self.pm[a:b] if x < self.n and self.kind[x] == K_USER and plain_user(x)]
            hd_members.append(m or normal)
        # 5% of computers were joined by the user who owns them (MachineAccountQuota): the
        # defaultSecurityDescriptor's CREATOR OWNER ACEs name that user, WP on
        # User-Account-Restrictions among them. 1% carry an explicit ACE letting the site's
        # helpdesk write msDS-AllowedToActOnBehalfOfOtherIdentity. 1% of ordinary users were
        # created by a helpdesk member, who owns them. Everything else: owner Domain Admins.
        owner = {}
        rbcd_ace = set()
        for cid in self.comp_ids:
            if rng.random() < 0.05:
                owner[cid] = rng.choice(normal)
            if rng.random() < 0.01:
                rbcd_ace.add(cid)
        users_owned = 0
        for uid in self.ids_by_urole[U_NORMAL]:
            if rng.random() < 0.01:
                site = self.urserial[ser[uid]] % len(SITES)
                o = rng.choice(hd_members[site])
                if o != uid:
                    owner[uid] = o
                    users_owned += 1
        self.sd_owner = owner
        self.sd_rbcd_ace = rbcd_ace
        self.sd_cache = {}
        self.sd_aces = {}
        self.sd_stats = {"values": 0, "bytes": 0}
        comps_owned = sum(1 for c in owner if self.kind[c] == K_COMP)
        self.manifest["descriptors"] = {
            "helpdesk_groups": [self.group_name(g)[0] for g in hd],
            "computers_owned_by_users": comps_owned,
            "users_owned_by_helpdesk": users_owned,
            "rbcd_write_aces": len(rbcd_ace),
            "rbcd_writable_objects": len(set(owner) | rbcd_ace),
        }

    def _template(self, kind, site, rbcd):
        key = (kind, site, rbcd)
        aces = self.sd_aces.get(key)
        if aces is None:
            if kind in ("ws", "srv", "dc"):
                aces = list(SD_COMPUTER_DEFAULT)
                if rbcd:
                    aces += RBCD_WRITE_ACE
                if kind == "ws":
                    aces += inherited(OU_DELEGATION["ws"], G_COMPUTER)
                aces += inherited(DOMAIN_INHERITABLE, G_COMPUTER)
            elif kind in ("user", "svc", "fixeduser"):
                aces = list(SD_USER_DEFAULT)
                if kind == "user":
                    aces += inherited(OU_DELEGATION["user"], G_USER)
                aces += inherited(DOMAIN_INHERITABLE, G_USER)
            elif kind in ("group", "fixedgroup"):
                aces = list(SD_GROUP_DEFAULT)
                if kind == "group":
                    aces += inherited(OU_DELEGATION["group"], G_GROUP)
                aces += inherited(DOMAIN_INHERITABLE, G_GROUP)
            elif kind == "admin":
                aces = SD_ADMINSDHOLDER
            elif kind == "domain":
                aces = SD_DOMAIN
            else:
                assert kind == "tdo"
                aces = SD_TDO
            self.sd_aces[key] = aces
        return aces

    def _sd_line(self, kind, site=0, eid=None):
        """The nTSecurityDescriptor line of an entry; values owned by Domain Admins (or
        BUILTIN\\Administrators) are the same for every entry of a template, kept encoded."""
        o = self.sd_owner.get(eid) if eid is not None else None
        rbcd = eid in self.sd_rbcd_ace
        key = (kind, site, rbcd)
        line = None if o is not None else self.sd_cache.get(key)
        if line is None:
            if o is not None:
                owner = account_sid(FIRST_GENERATED_RID + o)
            elif kind in ("domain", "tdo"):
                owner = BA_SID
            else:
                owner = DA_SID
            sd = ntsd(self._template(kind, site, rbcd), owner,
                      {"OWNER": owner, "HD": self.sd_hd_sid[site]}, protected=kind == "admin")
            line = "nTSecurityDescriptor:: " + b64(sd) + "\n"
            if o is None:
                self.sd_cache[key] = line
        self.sd_stats["values"] += 1
        return line

    # ---- group membership ----------------------------------------------------------------

    def _memberships(self):
        rng = self.rng
        rnd = rng.random
        F = self.fixed_id
        users, comps, grps = self.user_ids, self.comp_ids, self.grp_ids
        nu, nc, ng = len(users), len(comps), len(grps)
        pm = array.array("I")  # member id
        self.grange = {}  # group id -> (start, end) in pm

        self.n_large = min(ng, max(2, self.n // 100000))
        large_sizes = []
        for gs, gid in enumerate(grps):
            start = len(pm)
            seen = set()
            if gs < self.n_large:
                # capped at a quarter of the users so tiny snapshots keep some variety
                size = min(rng.randint(1000, 5000), max(1, nu // 4))
                large_sizes.append(size)
                while len(seen) < size:
                    seen.add(users[int(rnd() * nu)])
            else:
                size = lognormal_int(rng, 5, 50)
                while len(seen) < size:
                    x = rnd()
                    if x < 0.90:
                        seen.add(users[int(rnd() * nu)])
                    elif x < 0.97 or gs == 0:
                        seen.add(comps[int(rnd() * nc)])
                    else:  # nested: only groups with a lower serial, so nesting is acyclic
                        seen.add(grps[int(rnd() * gs)])
            pm.extend(seen)
            self.grange[gid] = (start, len(pm))

        admins = self.ids_by_urole[U_ADMIN]
        fixed_members = {
            "Administrators": ["Administrator", "Enterprise Admins", "Domain Admins"],
            "Users": ["FSP-Interactive", "FSP-AuthUsers", "Domain Users"],
            "Guests": ["Guest", "Domain Guests"],
            "Pre-Windows 2000 Compatible Access": ["FSP-AuthUsers"],
            "Domain Admins": ["Administrator"] + admins,
            "Enterprise Admins": ["Administrator"] + admins[:2],
            "Schema Admins": ["Administrator"],
            "Group Policy Creator Owners": ["Administrator"],
            "Protected Users": admins[::2],
            "Denied RODC Password Replication Group": [
                "Read-only Domain Controllers", "Group Policy Creator Owners", "Domain Admins",
                "Cert Publishers", "Enterprise Admins", "Schema Admins", "Domain Controllers",
                "krbtgt"],
        }
        for gname, members in fixed_members.items():
            gid = F[gname]
            start = len(pm)
            pm.extend(F[m] if isinstance(m, str) else m for m in members)
            self.grange[gid] = (start, len(pm))
        # A few computers and users sit in fixed groups too.
        for gname, pool, cnt in (("Server Operators", self.ids_by_crole[C_SRV], 0),
                                 ("Backup Operators", self.ids_by_urole[U_SVC], 2),
                                 ("Account Operators", self.ids_by_urole[U_NORMAL], 3)):
            if cnt:
                start = len(pm)
                pm.extend(rng.sample(pool, min(cnt, len(pool))))
                self.grange[F[gname]] = (start, len(pm))

        # memberOf index: counting sort of (member, group) pairs by member.
        gof = array.array("I", bytes(4 * len(pm)))
        for gid, (s, e) in self.grange.items():
            for j in range(s, e):
                gof[j] = gid
        total = self.total
        cnt = array.array("I", bytes(4 * (total + 1)))
        for m in pm:
            cnt[m + 1] += 1
        acc = 0
        for i in range(total + 1):
            acc += cnt[i]
            cnt[i] = acc
        pos = array.array("I", cnt)
        mo = array.array("I", bytes(4 * len(pm)))
        for j, m in enumerate(pm):
            p = pos[m]
            mo[p] = gof[j]
            pos[m] = p + 1
        self.pm, self.mo_start, self.mo = pm, cnt, mo
        self.ref_cache = {g: ref_suffix(self.dn(g)) for g in self.grange}
        self.manifest["memberships"] = len(pm)
        self.manifest["large_groups"] = large_sizes

    # ---- per-account attributes ----------------------------------------------------------

    def _accounts(self):
        rng = self.rng
        rnd = rng.random
        nu = self.n_user
        # userAccountControl of generated users (by user serial)
        uac = array.array("I", bytes(4 * nu))
        disabled = 0
        for s in range(nu):
            role = self.urole[s]
            if role == U_SVC:
                v = UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD
            elif role == U_ADMIN:
                v = UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD
                if self.urserial[s] % 3 == 0:
                    v |= UF_NOT_DELEGATED
            else:
                v = UF_NORMAL_ACCOUNT if rnd() < 0.6 else UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD
                if rnd() < 0.03:
                    v |= UF_ACCOUNTDISABLE
                    disabled += 1
            uac[s] = v
        self.user_uac = uac
        cuac = array.array("I", [UF_WORKSTATION_TRUST_ACCOUNT]) * self.n_comp
        self.comp_noenc = set()
        for s in range(self.n_comp):
            x = rnd()
            if x < 0.01:
                cuac[s] |= UF_ACCOUNTDISABLE
            elif x < 0.05:
                self.comp_noenc.add(s)  # pre-2008 machines: no msDS-SupportedEncryptionTypes
        self.comp_uac = cuac
        self.manifest["disabled_users"] = disabled

        # SPNs. Service users register SPNs of SQL hosts (for half the SQL servers) or of
        # application names that are not computers (HTTP/appNNNN, a DNS alias).
        self.spns = {}  # id -> list of extra SPNs (users: all SPNs)
        sqls = self.ids_by_crole[C_SQL]
        sql_by_user = sqls[self.n_sql_self:]
        self.sql_self_list = sqls[:self.n_sql_self]
        self.sql_self = set(self.sql_self_list)
        for cid in self.sql_self:
            h = self.fqdn(cid)
            self.spns[cid] = ["MSSQLSvc/%s:1433" % h, "MSSQLSvc/%s" % h]
        for cid in self.ids_by_crole[C_WEB]:
            self.spns[cid] = ["HTTP/%s" % self.fqdn(cid)]
        self.svc_enc = {}
        si = 0
        for uid in self.ids_by_urole[U_SVC]:
            r = self.urserial[self.serial[uid]]
            if r % 2 == 0 and si < len(sql_by_user):
                h = self.fqdn(sql_by_user[si])
                si += 1
                self.spns[uid] = ["MSSQLSvc/%s:1433" % h, "MSSQLSvc/%s" % h]
            else:
                self.spns[uid] = ["HTTP/app%04d.%s" % (r, DNS_DOMAIN), "HTTP/app%04d" % r]
            x = rnd()
            if x < 0.1:
                self.svc_enc[uid] = 4   # RC4 only
            elif x < 0.2:
                self.svc_enc[uid] = 24  # AES only
        self.manifest["service_users"] = len(self.ids_by_urole[U_SVC])
        self.manifest["admin_users"] = len(self.ids_by_urole[U_ADMIN])

    def _delegation(self):
        rng = self.rng
        n = self.n
        servers = self.ids_by_crole[C_SRV] + self.ids_by_crole[C_SQL] + self.ids_by_crole[C_WEB]
        svcs = self.ids_by_urole[U_SVC]
        n_unc = max(1, round(n * 0.003))
        n_kcd = max(2, round(n * 0.004))
        n_t2a = max(2, round(n * 0.003))
        pool_c = rng.sample(servers, min(len(servers), n_unc + n_kcd + n_t2a))
        pool_u = rng.sample(svcs, min(len(svcs), n_kcd + n_t2a))
        ci = ui = 0

        def take(prefer_user):
            nonlocal ci, ui
            if (prefer_user and ui < len(pool_u)) or ci >= len(pool_c):
                ui += 1
                return pool_u[ui - 1]
            ci += 1
            return pool_c[ci - 1]

        self.uac_or = {}      # id -> extra UAC bits
        self.a2d = {}         # id -> [targets]
        unc_users = 0
        for i in range(n_unc):
            if i % 20 == 19 and self.ids_by_urole[U_NORMAL]:
                uid = rng.choice(self.ids_by_urole[U_NORMAL])
                if uid in self.uac_or:
                    continue
                unc_users += 1
                self.uac_or[uid] = UF_TRUSTED_FOR_DELEGATION
            else:
                self.uac_or[take(False)] = UF_TRUSTED_FOR_DELEGATION

        # Delegation targets: explicit SPNs of servers, SQL and web hosts, service users,
        # DCs, cifs/ (a HOST alias) and now and then an SPN that nobody holds.
        sql_user = [u for u in svcs if self.spns[u][0].startswith("MSSQLSvc/")]
        dc_hosts = ["%s.%s" % (self.fixed[d - n]["name"].lower(), DNS_DOMAIN)
                    for d in self.dc_ids]
        orphans = 0

        def target():
            nonlocal orphans
            x = rng.random()
            if x < 0.02:
                orphans += 1
                return "cifs/decom%04d.%s" % (rng.randrange(10000), DNS_DOMAIN)
            if x < 0.03:
                orphans += 1
                return "MSSQLSvc/oldsql%02d.%s:1433" % (rng.randrange(100), DNS_DOMAIN)
            if x < 0.30:
                return "cifs/%s" % self.fqdn(rng.choice(servers))
            if x < 0.50:
                return "HOST/%s" % self.fqdn(rng.choice(servers))
            if x < 0.52:
                return "HOST/%s" % self.comp_name(rng.choice(servers))[0]
            if x < 0.75 and sql_user:
                return self.spns[rng.choice(sql_user)][0]
            if x < 0.85:
                return self.spns[rng.choice(self.ids_by_crole[C_WEB])][0]
            if x < 0.95:
                return self.spns[rng.choice(self.sql_self_list)][0]
            return rng.choice(("ldap/%s", "cifs/%s", "HOST/%s")) % rng.choice(dc_hosts)

        def targets():
            return list(dict.fromkeys(target() for _ in range(rng.randint(1, 4))))

        kcd_users = 0
        for i in range(n_kcd):
            eid = take(i % 5 < 2)
            kcd_users += eid < n and self.kind[eid] == K_USER
            self.a2d[eid] = targets()
        t2a_no_targets = 0
        for i in range(n_t2a):
            eid = take(i % 2 == 0)
            self.uac_or[eid] = self.uac_or.get(eid, 0) | UF_TRUSTED_TO_AUTH_FOR_DELEGATION
            if i % 5 == 4:
                t2a_no_targets += 1
            else:
                self.a2d[eid] = targets()

        # RBCD on ~0.5% of computers; trustees are other computers.
        comps = self.comp_ids
        n_rbcd = max(1, round(self.n_comp * 0.005))
        self.rbcd = {}
        rev2 = impacket = trustees = 0
        for k, cid in enumerate(rng.sample(comps, n_rbcd)):
            tr = []
            while len(tr) < (1 if rng.random() < 0.7 else 2):
                t = rng.choice(comps)
                if t != cid and t not in tr:
                    tr.append(t)
            trustees += len(tr)
            rids = [FIRST_GENERATED_RID + t for t in tr]
            rev = 2 if k % 4 == 3 else 4
            layout = "impacket" if k % 5 == 2 else "windows"
            rev2 += rev == 2
            impacket += layout == "impacket"
            self.rbcd[cid] = rbcd_sd(rids, rev, layout)

        m = self.manifest
        n_unc = sum(1 for v in self.uac_or.values() if v & UF_TRUSTED_FOR_DELEGATION)
        m["unconstrained_non_dc"] = {"total": n_unc, "users": unc_users}
        m["constrained_without_pt"] = {"total": n_kcd, "users": kcd_users}
        m["protocol_transition"] = {"total": n_t2a, "without_targets": t2a_no_targets,
                                    "users": sum(1 for e, v in self.uac_or.items()
                                                 if v & UF_TRUSTED_TO_AUTH_FOR_DELEGATION
                                                 and self.kind[e] == K_USER)}
        m["orphan_targets_planted"] = orphans
        m["rbcd"] = {"computers": n_rbcd, "trustees": trustees, "acl_revision_2": rev2,
                     "impacket_layout": impacket}

    def _duplicates(self):
        """A handful of duplicate SPNs: an SPN on two accounts (SQL computer + service user;
        two web servers, one with a different case) and HTTP/x on a user while computer x has
        HOST/x (a conflict through the default sPNMappings)."""
        sql_self = self.sql_self_list
        svcs = [u for u in self.ids_by_urole[U_SVC] if self.spns[u][0].startswith("HTTP/")]
        webs = self.ids_by_crole[C_WEB]
        srv = self.ids_by_crole[C_SRV]
        exact, alias = [], []
        for i in range(min(2, len(sql_self), len(svcs))):
            spn = self.spns[sql_self[i]][0]
            self.spns[svcs[i]] = self.spns[svcs[i]] + [spn]
            exact.append(spn)
        if len(webs) >= 2:
            spn = self.spns[webs[0]][0]
            self.spns[webs[1]] = self.spns[webs[1]] + ["http/" + spn[5:].upper()]
            exact.append(spn)
        for i in range(min(3, len(srv), max(0, len(svcs) - 2))):
            spn = "HTTP/%s" % self.fqdn(srv[i])
            u = svcs[2 + i]
            self.spns[u] = self.spns[u] + [spn]
            alias.append(spn)
        self.manifest["duplicate_spns_planted"] = {"same_spn": exact, "http_vs_host": alias}

    # ---- output --------------------------------------------------------------------------

    def _memberof_lines(self, eid, out):
        s, e = self.mo_start[eid], self.mo_start[eid + 1]
        if s != e:
            rc = self.ref_cache
            mo = self.mo
            for j in range(s, e):
                out.append("memberOf" + rc[mo[j]] + "\n")

    def _member_lines(self, gid, out):
        rng_ = self.grange.get(gid)
        if not rng_:
            return
        s, e = rng_
        name = "member"
        mvr = self.max_val_range
        if mvr and e - s > mvr:
            # AD returns only the first MaxValRange values, as member;range=0-(N-1).
            name = "member;range=0-%d" % (mvr - 1)
            e = s + mvr
        ref = self.ref
        pm = self.pm
        for j in range(s, e):
            out.append(name + ref(pm[j]) + "\n")

    def _emit_fixed(self, f, eid, out):
        k = f["kind"]
        if k == "fsp":
            return
        out.append("dn" + ref_suffix(f["dn"]) + "\n")
        if k == "domain":
            out.append("objectClass: top\nobjectClass: domain\nobjectClass: domainDNS\n")
            out.append(attr_line("objectSid", DOMAIN_SID))
            out.append("ms-DS-MachineAccountQuota: 10\nmsDS-Behavior-Version: 7\n")
            if self.descriptors:
                out.append(self._sd_line("domain"))
            out.append("\n")
            return
        if k == "tdo":
            out.append("objectClass: top\nobjectClass: leaf\nobjectClass: trustedDomain\n")
            if self.descriptors:
                out.append(self._sd_line("tdo"))
            out.append("\n")
            return
        sid = f.get("sid") or account_sid(f["rid"])
        if k == "group":
            out.append("objectClass: top\nobjectClass: group\n")
            self._member_lines(eid, out)
            self._memberof_lines(eid, out)
            out.append(attr_line("objectSid", sid))
            if f.get("admin"):
                out.append("adminCount: 1\n")
            out.append(attr_line("sAMAccountName", f["dn"][3:f["dn"].index(",")]))
            if self.descriptors:
                out.append(self._sd_line("admin" if f.get("admin") else "fixedgroup"))
            out.append("\n")
            return
        if k == "user":
            out.append(OC_USER)
            self._memberof_lines(eid, out)
            out.append("userAccountControl: %d\n" % f["uac"])
            out.append("primaryGroupID: %d\n" % f.get("pgid", 513))
            out.append(attr_line("objectSid", sid))
            if f.get("admin"):
                out.append("adminCount: 1\n")
            out.append("sAMAccountName: %s\n" % f.get("sam", f["key"]))
            for spn in f.get("spns", ()):
                out.append("servicePrincipalName: %s\n" % spn)
            if self.descriptors:
                out.append(self._sd_line("admin" if f.get("admin") else "fixeduser"))
            out.append("\n")
            return
        assert k == "dc"
        name = f["name"]
        h = "%s.%s" % (name.lower(), DNS_DOMAIN)
        out.append(OC_COMPUTER)
        out.append("userAccountControl: %d\n" % (UF_SERVER_TRUST_ACCOUNT | UF_TRUSTED_FOR_DELEGATION))
        out.append("primaryGroupID: 516\n")
        out.append(attr_line("objectSid", sid))
        out.append("sAMAccountName: %s$\n" % name)
        out.append("dNSHostName: %s\n" % h)
        d = DNS_DOMAIN
        for spn in (
                "Dfsr-12F9A27C-BF97-4787-9364-D31B6C55EB04/%s" % h,
                "ldap/%s/ForestDnsZones.%s" % (h, d), "ldap/%s/DomainDnsZones.%s" % (h, d),
                "DNS/%s" % h, "GC/%s/%s" % (h, d), "RestrictedKrbHost/%s" % h,
                "RestrictedKrbHost/%s" % name, "RPC/%s._msdcs.%s" % (f["guid_dsa"], d),
                "HOST/%s/%s" % (name, NETBIOS), "HOST/%s/%s" % (h, NETBIOS), "HOST/%s" % name,
                "HOST/%s" % h, "HOST/%s/%s" % (h, d),
                "E3514235-4B06-11D1-AB04-00C04FC2DCD2/%s/%s" % (f["guid_dsa"], d),
                "ldap/%s/%s" % (name, NETBIOS), "ldap/%s._msdcs.%s" % (f["guid_dsa"], d),
                "ldap/%s/%s" % (h, NETBIOS), "ldap/%s" % name, "ldap/%s" % h,
                "ldap/%s/%s" % (h, d)):
            out.append("servicePrincipalName: %s\n" % spn)
        out.append("msDS-SupportedEncryptionTypes: 28\n")
        if self.descriptors:
            out.append(self._sd_line("dc"))
        out.append("\n")

    def _emit_user(self, uid, out):
        cn, sam, cont = self.user_names(uid)
        out.append("dn" + ref_suffix("CN=%s,%s" % (cn, cont)) + "\n")
        out.append(OC_USER)
        self._memberof_lines(uid, out)
        s = self.serial[uid]
        uac = self.user_uac[s] | self.uac_or.get(uid, 0)
        out.append("userAccountControl: %d\nprimaryGroupID: 513\n" % uac)
        out.append(object_sid_line(FIRST_GENERATED_RID + uid))
        role = self.urole[s]
        if role == U_ADMIN:
            out.append("adminCount: 1\n")
        out.append(attr_line("sAMAccountName", sam))
        if role == U_SVC:
            for spn in self.spns[uid]:
                out.append("servicePrincipalName: " + spn + "\n")
            enc = self.svc_enc.get(uid)
            if enc:
                out.append("msDS-SupportedEncryptionTypes: %d\n" % enc)
        a2d = self.a2d.get(uid)
        if a2d:
            for t in a2d:
                out.append("msDS-AllowedToDelegateTo: " + t + "\n")
        if self.descriptors:
            if role == U_ADMIN:
                out.append(self._sd_line("admin"))
            elif role == U_SVC:
                out.append(self._sd_line("svc"))
            else:
                out.append(self._sd_line("user", self.urserial[s] % len(SITES), uid))
        out.append("\n")

    def _emit_comp(self, cid, out):
        name, cont = self.comp_name(cid)
        out.append("dn: CN=%s,%s\n" % (name, cont))
        out.append(OC_COMPUTER)
        self._memberof_lines(cid, out)
        s = self.serial[cid]
        uac = self.comp_uac[s] | self.uac_or.get(cid, 0)
        h = name.lower() + "." + DNS_DOMAIN
        out.append("userAccountControl: %d\nprimaryGroupID: 515\n%ssAMAccountName: %s$\n"
                   "dNSHostName: %s\nservicePrincipalName: RestrictedKrbHost/%s\n"
                   "servicePrincipalName: HOST/%s\nservicePrincipalName: RestrictedKrbHost/%s\n"
                   "servicePrincipalName: HOST/%s\n"
                   % (uac, object_sid_line(FIRST_GENERATED_RID + cid), name, h, name, name, h, h))
        extra = self.spns.get(cid)
        if extra:
            for spn in extra:
                out.append("servicePrincipalName: " + spn + "\n")
        if s not in self.comp_noenc:
            out.append("msDS-SupportedEncryptionTypes: 28\n")
        a2d = self.a2d.get(cid)
        if a2d:
            for t in a2d:
                out.append("msDS-AllowedToDelegateTo: " + t + "\n")
        sd = self.rbcd.get(cid)
        if sd:
            out.append("msDS-AllowedToActOnBehalfOfOtherIdentity:: " + b64(sd) + "\n")
        if self.descriptors:
            r = self.crserial[s]
            out.append(self._sd_line("ws" if self.crole[s] == C_WS else "srv", r % len(SITES), cid))
        out.append("\n")

    def _emit_group(self, gid, out):
        name, cont = self.group_name(gid)
        out.append("dn: CN=%s,%s\nobjectClass: top\nobjectClass: group\n" % (name, cont))
        self._member_lines(gid, out)
        self._memberof_lines(gid, out)
        out.append(object_sid_line(FIRST_GENERATED_RID + gid))
        if self.descriptors:
            out.append("sAMAccountName: %s\n" % name)
            out.append(self._sd_line("group", self.serial[gid] % len(SITES)))
            out.append("\n")
        else:
            out.append("sAMAccountName: %s\n\n" % name)

    def write(self, fh, chunk_entries=20000):
        """Write the snapshot to a binary file object; returns (entries, bytes)."""
        out = []
        written = 0
        entries = 0
        # The domain head first, then the well-known and generated objects.
        for i, f in enumerate(self.fixed):
            if f["kind"] != "fsp":
                entries += 1
            self._emit_fixed(f, self.n + i, out)
        emit = (self._emit_user, self._emit_comp, self._emit_group)
        kind = self.kind
        for eid in range(self.n):
            emit[kind[eid]](eid, out)
            if eid % chunk_entries == chunk_entries - 1:
                data = "".join(out).encode("utf-8")
                fh.write(data)
                written += len(data)
                out.clear()
        data = "".join(out).encode("utf-8")
        fh.write(data)
        written += len(data)
        entries += self.n
        self.manifest["entries"] = entries
        self.manifest["bytes"] = written
        return entries, written


OC_USER = "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n" \
    "objectClass: user\n"
OC_COMPUTER = OC_USER + "objectClass: computer\n"


# ---- validation ----------------------------------------------------------------------------

class CheckError(Exception):
    pass


def parse_sid(buf, off, limit):
    """Returns (sid string, size); raises CheckError."""
    if off + 8 > limit:
        raise CheckError("SID header at %d past end %d" % (off, limit))
    rev, cnt = buf[off], buf[off + 1]
    if rev != 1 or cnt > 15:
        raise CheckError("SID at %d: revision %d, %d sub-authorities" % (off, rev, cnt))
    size = 8 + 4 * cnt
    if off + size > limit:
        raise CheckError("SID at %d: %d bytes past end %d" % (off, size, limit))
    auth = int.from_bytes(buf[off + 2:off + 8], "big")
    subs = struct.unpack_from("<%dI" % cnt, buf, off + 8)
    return "S-1-%d%s" % (auth, "".join("-%d" % x for x in subs)), size


def check_sd(buf):
    """Decode a self-relative SD holding an RBCD DACL; assert every offset and size.
    Returns the list of trustee SID strings of ACCESS_ALLOWED ACEs."""
    n = len(buf)
    if n < 20:
        raise CheckError("SD shorter than 20 bytes")
    rev, sbz1, control, o_owner, o_group, o_sacl, o_dacl = struct.unpack_from("<BBHIIII", buf)
    if rev != 1 or sbz1 != 0:
        raise CheckError("SD revision %d sbz1 %d" % (rev, sbz1))
    if control != SE_SELF_RELATIVE | SE_DACL_PRESENT:
        raise CheckError("SD control 0x%04x" % control)
    if o_group or o_sacl:
        raise CheckError("SD has group/SACL offsets %d/%d" % (o_group, o_sacl))
    if not (20 <= o_owner < n) or not (20 <= o_dacl < n):
        raise CheckError("SD offsets owner %d dacl %d out of range (size %d)" % (o_owner, o_dacl, n))
    owner, osize = parse_sid(buf, o_owner, n)
    if owner != "S-1-5-32-544":
        raise CheckError("SD owner %s" % owner)
    if o_dacl + 8 > n:
        raise CheckError("ACL header past end")
    arev, asbz1, asize, acount, asbz2 = struct.unpack_from("<BBHHH", buf, o_dacl)
    if arev not in (2, 4) or asbz1 or asbz2:
        raise CheckError("ACL revision %d sbz %d/%d" % (arev, asbz1, asbz2))
    if asize < 8 or o_dacl + asize > n:
        raise CheckError("ACL size %d at %d exceeds SD size %d" % (asize, o_dacl, n))
    regions = sorted([(0, 20), (o_owner, o_owner + osize), (o_dacl, o_dacl + asize)])
    for (s1, e1), (s2, e2) in zip(regions, regions[1:]):
        if e1 != s2:
            raise CheckError("SD regions overlap or leave a gap: %r" % regions)
    if regions[-1][1] != n:
        raise CheckError("SD has %d trailing bytes" % (n - regions[-1][1]))
    if acount < 1:
        raise CheckError("ACL has no ACE")
    pos, end = o_dacl + 8, o_dacl + asize
    trustees = []
    for i in range(acount):
        if pos + 8 > end:
            raise CheckError("ACE %d header past ACL end" % i)
        atype, aflags, acsize, mask = struct.unpack_from("<BBHI", buf, pos)
        if atype != 0 or aflags != 0 or mask != RBCD_MASK:
            raise CheckError("ACE %d type %d flags %d mask 0x%x" % (i, atype, aflags, mask))
        if acsize < 16 or acsize % 4 or pos + acsize > end:
            raise CheckError("ACE %d size %d at %d (ACL end %d)" % (i, acsize, pos, end))
        sid, ssize = parse_sid(buf, pos + 8, pos + acsize)
        if 8 + ssize != acsize:
            raise CheckError("ACE %d size %d but SID is %d bytes" % (i, acsize, ssize))
        trustees.append(sid)
        pos += acsize
    if pos != end:
        raise CheckError("ACL has %d bytes after its ACEs" % (end - pos))
    return trustees


RBCD_ATTR_GUID_BYTES = guid_bytes(RBCD_ATTR_GUID)
ADMIN_OWNERS = ("S-1-5-32-544", DOMAIN_SID_STR + "-512")


def check_ntsd(buf):
    """Decode an nTSecurityDescriptor as read with SD flags OWNER|DACL; assert every offset
    and size. Returns (owner SID string, number of ACEs, DACL bytes, number of ACEs that
    grant WRITE_PROPERTY on msDS-AllowedToActOnBehalfOfOtherIdentity to someone other than
    SELF on the object itself)."""
    n = len(buf)
    if n < 20:
        raise CheckError("SD shorter than 20 bytes")
    rev, sbz1, control, o_owner, o_group, o_sacl, o_dacl = struct.unpack_from("<BBHIIII", buf)
    if rev != 1 or sbz1 != 0:
        raise CheckError("SD revision %d sbz1 %d" % (rev, sbz1))
    if control & ~SE_DACL_PROTECTED != SE_SELF_RELATIVE | SE_DACL_AUTO_INHERITED | SE_DACL_PRESENT:
        raise CheckError("SD control 0x%04x" % control)
    if o_group or o_sacl:
        raise CheckError("SD has group/SACL offsets %d/%d (SD flags asked for owner and DACL)"
                         % (o_group, o_sacl))
    if not (20 <= o_owner < n) or not (20 <= o_dacl < n):
        raise CheckError("SD offsets owner %d dacl %d out of range (size %d)" % (o_owner, o_dacl, n))
    owner, osize = parse_sid(buf, o_owner, n)
    if o_dacl + 8 > n:
        raise CheckError("ACL header past end")
    arev, asbz1, asize, acount, asbz2 = struct.unpack_from("<BBHHH", buf, o_dacl)
    if arev != 4 or asbz1 or asbz2:
        raise CheckError("ACL revision %d sbz %d/%d" % (arev, asbz1, asbz2))
    if asize < 8 or o_dacl + asize > n:
        raise CheckError("ACL size %d at %d exceeds SD size %d" % (asize, o_dacl, n))
    regions = sorted([(0, 20), (o_owner, o_owner + osize), (o_dacl, o_dacl + asize)])
    for (s1, e1), (s2, e2) in zip(regions, regions[1:]):
        if e1 != s2:
            raise CheckError("SD regions overlap or leave a gap: %r" % regions)
    if regions[-1][1] != n:
        raise CheckError("SD has %d trailing bytes" % (n - regions[-1][1]))
    pos, end = o_dacl + 8, o_dacl + asize
    rbcd_writes = 0
    for i in range(acount):
        if pos + 8 > end:
            raise CheckError("ACE %d header past ACL end" % i)
        atype, aflags, acsize, mask = struct.unpack_from("<BBHI", buf, pos)
        if atype not in (0, 1, 5, 6) or aflags & ~0x1F:
            raise CheckError("ACE %d type %d flags 0x%x" % (i, atype, aflags))
        if acsize % 4 or pos + acsize > end:
            raise CheckError("ACE %d size %d at %d (ACL end %d)" % (i, acsize, pos, end))
        off = pos + 8
        obj = None
        if atype in (5, 6):
            (oflags,) = struct.unpack_from("<I", buf, off)
            if oflags & ~3:
                raise CheckError("ACE %d object flags 0x%x" % (i, oflags))
            off += 4
            if oflags & 1:
                obj = bytes(buf[off:off + 16])
                off += 16
            if oflags & 2:
                off += 16
        sid, ssize = parse_sid(buf, off, pos + acsize)
        if off + ssize != pos + acsize:
            raise CheckError("ACE %d size %d but its body is %d bytes"
                             % (i, acsize, off + ssize - pos))
        if (atype == 5 and not aflags & 0x08 and mask & 0x20 and obj == RBCD_ATTR_GUID_BYTES
                and sid != "S-1-5-10"):
            rbcd_writes += 1
        pos += acsize
    if pos != end:
        raise CheckError("ACL has %d bytes after its ACEs" % (end - pos))
    return owner, acount, bytes(buf[o_dacl:o_dacl + asize]), rbcd_writes


def verify(path, manifest=None):
    """Validate a snapshot file; print its mix to stderr; return 0 or 1."""
    t0 = time.time()
    b64d = base64.b64decode
    entries = 0
    dns = set()
    sids = {}
    oc_count = {}
    stats = dict.fromkeys((
        "users", "computers", "groups", "dcs", "disabled", "unconstrained_non_dc",
        "constrained", "protocol_transition", "protocol_transition_no_targets", "rbcd",
        "rbcd_trustees", "with_spn", "spn_values", "member_values", "memberof_values",
        "ranged_member", "base64_values", "base64_dns", "a2d_values", "admincount",
        "descriptors", "descriptor_bytes", "descriptor_aces", "descriptor_rbcd_write_aces",
        "descriptor_non_admin_owners", "accounts_without_descriptor"), 0)
    dacls = set()
    ntsd_checked = {}
    members = set()
    memberofs = set()
    spn_owner = {}
    dup_exact = []
    a2d_targets = []
    rbcd_trustees = []
    lineno = 0
    entry = None

    def finish(e):
        nonlocal entries
        entries += 1
        dn = e["dn"]
        if dn in dns:
            raise CheckError("duplicate DN %r" % dn)
        dns.add(dn)
        ocs = e.get("objectClass", [])
        key = ",".join(ocs)
        oc_count[key] = oc_count.get(key, 0) + 1
        sid = e.get("objectSid")
        if sid:
            if len(sid) != 1:
                raise CheckError("%s: %d objectSid values" % (dn, len(sid)))
            s, size = parse_sid(sid[0], 0, len(sid[0]))
            if size != len(sid[0]):
                raise CheckError("%s: objectSid has trailing bytes" % dn)
            if s in sids:
                raise CheckError("%s: objectSid %s also on %s" % (dn, s, sids[s]))
            sids[s] = dn
        if "group" in ocs:
            stats["groups"] += 1
        if "user" in ocs:
            if "computer" in ocs:
                stats["computers"] += 1
            else:
                stats["users"] += 1
            if "sAMAccountName" not in e or "objectSid" not in e:
                raise CheckError("%s: account without sAMAccountName/objectSid" % dn)
        if "adminCount" in e:
            stats["admincount"] += 1
        uacs = e.get("userAccountControl")
        if uacs:
            uac = int(uacs[0])
            if uac & UF_ACCOUNTDISABLE:
                stats["disabled"] += 1
            if uac & UF_SERVER_TRUST_ACCOUNT:
                stats["dcs"] += 1
                if e.get("primaryGroupID") != ["516"]:
                    raise CheckError("%s: DC with primaryGroupID %r" % (dn, e.get("primaryGroupID")))
            elif uac & UF_TRUSTED_FOR_DELEGATION:
                stats["unconstrained_non_dc"] += 1
            if uac & UF_TRUSTED_TO_AUTH_FOR_DELEGATION:
                stats["protocol_transition"] += 1
                if "msDS-AllowedToDelegateTo" not in e:
                    stats["protocol_transition_no_targets"] += 1
        spns = e.get("servicePrincipalName", ())
        if spns:
            stats["with_spn"] += 1
            seen = set()
            for v in spns:
                lv = v.lower()
                if lv in seen:
                    continue
                seen.add(lv)
                stats["spn_values"] += 1
                other = spn_owner.get(lv)
                if other is not None and other != dn:
                    dup_exact.append((v, other, dn))
                else:
                    spn_owner[lv] = dn
        a2d = e.get("msDS-AllowedToDelegateTo")
        if a2d:
            stats["constrained"] += 1
            stats["a2d_values"] += len(a2d)
            a2d_targets.extend(a2d)
        sd = e.get("msDS-AllowedToActOnBehalfOfOtherIdentity")
        if sd:
            stats["rbcd"] += 1
            try:
                tr = check_sd(sd[0])
            except CheckError as ex:
                raise CheckError("%s: msDS-AllowedToActOnBehalfOfOtherIdentity: %s" % (dn, ex))
            stats["rbcd_trustees"] += len(tr)
            rbcd_trustees.extend((dn, t) for t in tr)
        ntsd_values = e.get("nTSecurityDescriptor")
        if ntsd_values:
            if len(ntsd_values) != 1:
                raise CheckError("%s: %d nTSecurityDescriptor values" % (dn, len(ntsd_values)))
            checked = ntsd_checked.get(ntsd_values[0])  # most values repeat
            if checked is None:
                try:
                    checked = check_ntsd(ntsd_values[0])
                except CheckError as ex:
                    raise CheckError("%s: nTSecurityDescriptor: %s" % (dn, ex))
                ntsd_checked[ntsd_values[0]] = checked
            owner, naces, dacl, rbcd_writes = checked
            stats["descriptors"] += 1
            stats["descriptor_bytes"] += len(ntsd_values[0])
            stats["descriptor_aces"] += naces
            dacls.add(hash(dacl))
            if rbcd_writes:
                stats["descriptor_rbcd_write_aces"] += 1
            if owner not in ADMIN_OWNERS:
                stats["descriptor_non_admin_owners"] += 1
                if owner == dn:
                    raise CheckError("%s owns itself" % dn)
        elif "user" in ocs or "group" in ocs:
            stats["accounts_without_descriptor"] += 1
        for m in e.get("member", ()):
            members.add(hash((m, dn)))
        for m in e.get("member;range", ()):
            members.add(hash((m, dn)))
        for g in e.get("memberOf", ()):
            memberofs.add(hash((dn, g)))

    BIN = ("objectSid", "msDS-AllowedToActOnBehalfOfOtherIdentity", "nTSecurityDescriptor")
    with open(path, "rb") as fh:
        for raw in fh:
            lineno += 1
            if not raw.endswith(b"\n"):
                raise CheckError("line %d: no final newline" % lineno)
            line = raw[:-1].decode("utf-8")
            if line == "":
                if entry is None:
                    raise CheckError("line %d: empty line outside an entry" % lineno)
                try:
                    finish(entry)
                except CheckError as ex:
                    raise CheckError("entry ending at line %d: %s" % (lineno, ex))
                entry = None
                continue
            if line[0] in " #-":
                raise CheckError("line %d: continuation/comment/changetype line" % lineno)
            colon = line.find(":")
            if colon <= 0:
                raise CheckError("line %d: no attribute name" % lineno)
            name = line[:colon]
            if line.startswith("::", colon):
                if not line.startswith(":: ", colon):
                    raise CheckError("line %d: '::' not followed by a space" % lineno)
                try:
                    val = b64d(line[colon + 3:], validate=True)
                except Exception as ex:
                    raise CheckError("line %d: bad base64: %s" % (lineno, ex))
                stats["base64_values"] += 1
                if name not in BIN and not name.startswith("msDS-AllowedToAct"):
                    val = val.decode("utf-8")
                    if not needs_b64(val):
                        raise CheckError("line %d: %s base64-encoded without need" % (lineno, name))
                    if name == "dn":
                        stats["base64_dns"] += 1
            else:
                if not line.startswith(": ", colon):
                    raise CheckError("line %d: ':' not followed by a space" % lineno)
                val = line[colon + 2:]
                if needs_b64(val):
                    raise CheckError("line %d: value needs base64: %r" % (lineno, val))
                if name in BIN:
                    raise CheckError("line %d: binary attribute %s not base64" % (lineno, name))
            if entry is None:
                if name != "dn":
                    raise CheckError("line %d: entry does not start with dn" % lineno)
                entry = {"dn": val}
                continue
            if name == "dn":
                raise CheckError("line %d: dn inside an entry (missing empty line)" % lineno)
            if name.startswith("member;range="):
                stats["ranged_member"] += 1
                name = "member;range"
            entry.setdefault(name, []).append(val)
            if name == "member":
                stats["member_values"] += 1
            elif name == "memberOf":
                stats["memberof_values"] += 1
        if entry is not None:
            raise CheckError("file does not end with an empty line after the last entry")

    # Cross-checks.
    problems = []
    fsp = ",CN=ForeignSecurityPrincipals," + DOMAIN_DN
    # member -> memberOf: every member value that names an object in the file has the
    # matching memberOf (foreign security principals are not in the file).
    # With --max-val-range, memberOf legitimately names groups whose member list was cut.
    if memberofs - members and not stats["ranged_member"]:
        problems.append("%d memberOf values without the matching member value" % len(memberofs - members))
    extra = members - memberofs
    # Members whose DN is an FSP (not in the file) legitimately have no memberOf.
    n_fsp_members = 0
    for s in ("S-1-5-4", "S-1-5-11"):
        n_fsp_members += sum(1 for g in ("CN=Users,CN=Builtin," + DOMAIN_DN,
                                          "CN=Pre-Windows 2000 Compatible Access,CN=Builtin," + DOMAIN_DN)
                             if hash(("CN=%s%s" % (s, fsp), g)) in extra)
    missing_mo = len(extra) - n_fsp_members
    if missing_mo and not stats["ranged_member"]:
        problems.append("%d member values without the matching memberOf" % missing_mo)
    # Delegation targets: exact SPN, HOST alias through sPNMappings, or orphan.
    exact = alias = orphan = 0
    for t in a2d_targets:
        lt = t.lower()
        if lt in spn_owner:
            exact += 1
            continue
        svc, _, rest = lt.partition("/")
        if svc in HOST_ALIASES and ("host/" + rest) in spn_owner:
            alias += 1
        else:
            orphan += 1
    # HTTP-vs-HOST conflicts: an explicit alias-class SPN whose host/ twin is elsewhere.
    alias_dups = []
    for lv, owner in spn_owner.items():
        svc, _, rest = lv.partition("/")
        if svc != "host" and svc in HOST_ALIASES:
            h = spn_owner.get("host/" + rest)
            if h is not None and h != owner:
                alias_dups.append((lv, owner, h))
    for dn, t in rbcd_trustees:
        if t not in sids:
            problems.append("%s: RBCD trustee %s is not an object in the file" % (dn, t))
    for key in ("CN=Administrator,CN=Users,", "CN=krbtgt,CN=Users,", "CN=Domain Admins,CN=Users,"):
        if key + DOMAIN_DN not in dns:
            problems.append("missing %s" % key)
    if DOMAIN_SID_STR not in sids:
        problems.append("domain object SID missing")

    size = 0
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
    report = {
        "file_bytes": size, "entries": entries, "bytes_per_entry": round(size / max(entries, 1)),
        "object_classes": oc_count, "stats": stats,
        "a2d_targets": {"exact_spn": exact, "host_alias": alias, "orphan": orphan},
        "duplicate_spns": {"same_spn": len(dup_exact), "http_vs_host": len(alias_dups),
                           "examples": [list(x) for x in (dup_exact + alias_dups)[:8]]},
        "check_seconds": round(time.time() - t0, 1),
    }
    if stats["descriptors"]:
        report["descriptors"] = {
            "values": stats["descriptors"], "distinct_dacls": len(dacls),
            "mean_bytes": round(stats["descriptor_bytes"] / stats["descriptors"]),
            "mean_aces": round(stats["descriptor_aces"] / stats["descriptors"], 1)}
    if manifest:
        dp = manifest["duplicate_spns_planted"]
        if len(dup_exact) != len(dp["same_spn"]) or len(alias_dups) != len(dp["http_vs_host"]):
            problems.append("duplicate SPNs found %d/%d, planted %d/%d" % (
                len(dup_exact), len(alias_dups), len(dp["same_spn"]), len(dp["http_vs_host"])))
        if orphan != manifest["orphan_targets_planted"]:
            problems.append("orphan targets found %d, planted %d" % (
                orphan, manifest["orphan_targets_planted"]))
        pt = manifest["protocol_transition"]
        for what, found, planted in (
                ("unconstrained (non-DC)", stats["unconstrained_non_dc"],
                 manifest["unconstrained_non_dc"]["total"]),
                ("protocol transition", stats["protocol_transition"], pt["total"]),
                ("msDS-AllowedToDelegateTo holders", stats["constrained"],
                 manifest["constrained_without_pt"]["total"] + pt["total"] - pt["without_targets"]),
                ("domain controllers", stats["dcs"], manifest["domain_controllers"]),
                ("entries", entries, manifest["entries"]),
                ("member values", stats["member_values"] + stats["ranged_member"],
                 manifest["memberships"] if not stats["ranged_member"] else
                 stats["member_values"] + stats["ranged_member"])):
            if found != planted:
                problems.append("%s: found %d, planted %d" % (what, found, planted))
        sdm = manifest.get("descriptors")
        if sdm:
            for what, found, planted in (
                    ("accounts without nTSecurityDescriptor",
                     stats["accounts_without_descriptor"], 0),
                    ("nTSecurityDescriptor values", stats["descriptors"], entries),
                    ("descriptors granting RBCD writes", stats["descriptor_rbcd_write_aces"],
                     sdm["rbcd_write_aces"]),
                    ("descriptors owned by users", stats["descriptor_non_admin_owners"],
                     sdm["computers_owned_by_users"] + sdm["users_owned_by_helpdesk"])):
                if found != planted:
                    problems.append("%s: found %d, planted %d" % (what, found, planted))
        elif stats["descriptors"]:
            problems.append("%d nTSecurityDescriptor values, none planted" % stats["descriptors"])
        if stats["rbcd"] != manifest["rbcd"]["computers"]:
            problems.append("RBCD objects found %d, planted %d" % (
                stats["rbcd"], manifest["rbcd"]["computers"]))
    json.dump(report, sys.stderr, indent=1)
    sys.stderr.write("\n")
    for p in problems:
        sys.stderr.write("gen-snapshot: check: %s\n" % p)
    return 1 if problems else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", "-n", type=int, default=1000,
                    help="users + computers + groups to generate (default 1000; the ~35 "
                         "well-known objects, DCs and the trust come on top)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", "-o", metavar="FILE", help="write here instead of stdout")
    ap.add_argument("--check", action="store_true",
                    help="after writing --out, re-read and validate it (base64, SDs, "
                         "member/memberOf, planted findings)")
    ap.add_argument("--verify", metavar="FILE", help="only validate an existing snapshot")
    ap.add_argument("--manifest", metavar="FILE",
                    help="write what was planted (counts of each delegation kind, duplicate "
                         "SPNs, orphan targets) as JSON")
    ap.add_argument("--max-val-range", type=int, default=0, metavar="N",
                    help="emulate AD's MaxValRange: groups with more than N members print "
                         "only member;range=0-(N-1) (AD default 1500; default 0 = off)")
    ap.add_argument("--descriptors", action="store_true",
                    help="give every entry an nTSecurityDescriptor (owner and DACL, as read "
                         "with the SD-flags control): per-OU templates shaped like Windows "
                         "Server 2016's, per-account owners, a few RBCD write grants; the "
                         "rest of the snapshot is unchanged")
    ap.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    a = ap.parse_args(argv)

    if a.verify:
        try:
            return verify(a.verify)
        except CheckError as ex:
            sys.stderr.write("gen-snapshot: check failed: %s\n" % ex)
            return 1
    if a.check and not a.out:
        ap.error("--check needs --out FILE")

    t0 = time.time()
    snap = Snapshot(a.accounts, a.seed, a.max_val_range, a.descriptors)
    t1 = time.time()
    if a.out and os.path.exists(a.out) and not os.path.isfile(a.out):
        # A device, FIFO or the like (-o /dev/null): written in place. Renaming a temp
        # file over /dev/null would replace the device with a regular file.
        with open(a.out, "wb", buffering=1 << 20) as fh:
            entries, size = snap.write(fh)
    elif a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "wb", buffering=1 << 20) as fh:
            entries, size = snap.write(fh)
        os.replace(tmp, a.out)
    else:
        try:
            entries, size = snap.write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # e.g. | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
    t2 = time.time()
    m = snap.manifest
    m["generate_seconds"] = {"plan": round(t1 - t0, 2), "write": round(t2 - t1, 2)}
    if a.manifest:
        with open(a.manifest, "w") as mf:
            json.dump(m, mf, indent=1)
            mf.write("\n")
    if not a.quiet:
        sys.stderr.write("gen-snapshot: %d entries, %.1f MB (%d bytes/entry) in %.1f s "
                         "(plan %.1f s, write %.1f s)\n"
                         % (entries, size / 1e6, size // entries, t2 - t0, t1 - t0, t2 - t1))
    if a.check:
        try:
            return verify(a.out, m)
        except CheckError as ex:
            sys.stderr.write("gen-snapshot: check failed: %s\n" % ex)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
