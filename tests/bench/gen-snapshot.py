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

Only the Python standard library is used; the output is a pure function of
(--accounts, --seed, --max-val-range). See tests/bench/README.md.

    gen-snapshot.py --accounts 100000 --seed 1 -o snap.ldif [--check] [--manifest m.json]
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


def lognormal_int(rng, lo, hi):
    """Log-uniform integer in [lo, hi] (mostly small groups, a tail of bigger ones)."""
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))


class Snapshot:
    def __init__(self, n, seed, max_val_range=0):
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
            out.append("ms-DS-MachineAccountQuota: 10\nmsDS-Behavior-Version: 7\n\n")
            return
        if k == "tdo":
            out.append("objectClass: top\nobjectClass: leaf\nobjectClass: trustedDomain\n\n")
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
        out.append("msDS-SupportedEncryptionTypes: 28\n\n")

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
        out.append("\n")

    def _emit_group(self, gid, out):
        name, cont = self.group_name(gid)
        out.append("dn: CN=%s,%s\nobjectClass: top\nobjectClass: group\n" % (name, cont))
        self._member_lines(gid, out)
        self._memberof_lines(gid, out)
        out.append(object_sid_line(FIRST_GENERATED_RID + gid))
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
        "ranged_member", "base64_values", "base64_dns", "a2d_values", "admincount"), 0)
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
        for m in e.get("member", ()):
            members.add(hash((m, dn)))
        for m in e.get("member;range", ()):
            members.add(hash((m, dn)))
        for g in e.get("memberOf", ()):
            memberofs.add(hash((dn, g)))

    BIN = ("objectSid", "msDS-AllowedToActOnBehalfOfOtherIdentity")
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
    snap = Snapshot(a.accounts, a.seed, a.max_val_range)
    t1 = time.time()
    if a.out:
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
