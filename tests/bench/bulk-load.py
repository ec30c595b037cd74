#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bulk-loads synthetic accounts into the stopped Samba AD DC of tests/integration/lab.sh.

Usage (inside the lab's namespace, as root, the DC stopped; run-live-bench.sh does this):
    /usr/bin/python3 bulk-load.py SMB_CONF --start 0 --count 10000 [--seed 1]
        [--batch 10000] [--manifest FILE]

Writes go straight to the DC's sam.ldb with the system session, the fastest path
/work/shared/samba-lab.md measured (225-320 accounts/s): ldb options batch_mode:1 and
transaction_index_cache_size, one transaction per --batch accounts, the DC stopped (a
running DC contends for the same tdb files). The system session is also the only way to
write msDS-AllowedToActOnBehalfOfOtherIdentity on Samba 4.17 (systemOnly over LDAP).

Account number i (from --start) is drawn from its own random stream (seed, i), so a later
call with --start 10000 extends a 10k domain to a bigger one with the same first 10k, and
groups and delegation targets can name earlier accounts without asking the database. The
mix follows tests/bench/gen-snapshot.py (the offline benchmark), scaled to what Samba
loads in minutes:

- 65% users (2% service users with MSSQLSvc/ or HTTP/ SPNs, 0.05% tier-0 admins in Domain
  Admins), 30% computers (HOST/ and RestrictedKrbHost/ SPNs, dNSHostName; web and SQL
  servers add HTTP/ and MSSQLSvc/), 5% global groups of 5-50 earlier accounts (3% of the
  members nested groups);
- about 1% delegation: TRUSTED_FOR_DELEGATION (0.3%), msDS-AllowedToDelegateTo (0.4%),
  protocol transition with targets or without (0.3%), and RBCD descriptors on 0.5% of
  computers (one or two earlier computers as trustees; one in ten Authenticated Users).

No passwords: hashing one costs more than the rest of the entry (Kerberos keys), so
accounts carry PASSWD_NOTREQD; the collectors read the same attributes either way.
"""
import argparse
import json
import math
import os
import random
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
PASSWD_NOTREQD = 0x20
NORMAL_ACCOUNT = 0x200
WORKSTATION_TRUST_ACCOUNT = 0x1000
DONT_EXPIRE_PASSWORD = 0x10000
TRUSTED_FOR_DELEGATION = 0x80000
NOT_DELEGATED = 0x100000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000

GLOBAL_SECURITY_GROUP = -2147483646
FULL = "CCDCLCSWRPWPDTLOCRSDRCWDWO"  # 0xF01FF, as Windows writes RBCD ACEs

OUS = ("Bench Users", "Bench Computers", "Bench Servers", "Bench Groups", "Bench Services")


def rng(seed, i):
    return random.Random(seed * 1000003 + i)


def kind_of(seed, i):
    """(kind, role) of account i; the first draws of its stream, shared with make()."""
    r = rng(seed, i)
    x = r.random()
    if x < 0.05:
        return r, "group", None
    if x < 0.35:
        y = r.random()
        role = "ws" if y < 0.80 else "srv" if y < 0.92 else "web" if y < 0.95 else "sql"
        return r, "computer", role
    y = r.random()
    role = "sql" if y < 0.01 else "app" if y < 0.02 else "adm" if y < 0.0205 else "user"
    return r, "user", role


COMPUTER_PREFIX = {"ws": "WS", "srv": "SRV", "web": "WEB", "sql": "SQL"}
OU_OF_ROLE = {"ws": "Bench Computers", "srv": "Bench Servers", "web": "Bench Servers",
              "sql": "Bench Servers"}


def name_of(kind, role, i):
    if kind == "computer":
        return "%s%06d" % (COMPUTER_PREFIX[role], i)
    if kind == "group":
        return "grp%06d" % i
    return {"sql": "svc_sql%06d", "app": "svc_app%06d", "adm": "adm%06d",
            "user": "user%06d"}[role] % i


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("smb_conf")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--manifest", help="JSON counts; merged with an earlier call's")
    args = ap.parse_args()
    if args.start < 0 or args.count < 1 or args.batch < 1:
        ap.error("--start >= 0, --count >= 1, --batch >= 1")
    seed = args.seed

    lp = LoadParm()
    lp.load(args.smb_conf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp,
                  options=["batch_mode:1", "transaction_index_cache_size:%d"
                           % max(200000, 20 * args.batch)])
    base = str(samdb.domain_dn())
    dns = samdb.domain_dns_name()
    domain_sid = security.dom_sid(str(samdb.get_domain_sid()))
    dc_fqdn = "%s.%s" % (samdb.host_dns_name().split(".")[0], dns)
    ou_dn = {o: "OU=%s,%s" % (o, base) for o in OUS}
    domain_admins = "CN=Domain Admins,CN=Users," + base

    counts = {}
    if args.manifest and os.path.exists(args.manifest):
        with open(args.manifest, encoding="utf-8") as f:
            counts = json.load(f).get("counts", {})

    def bump(key, n=1):
        counts[key] = counts.get(key, 0) + n

    def dn_of(j):
        _, kind, role = kind_of(seed, j)
        name = name_of(kind, role, j)
        if kind == "computer":
            return "CN=%s,%s" % (name, ou_dn[OU_OF_ROLE[role]]), kind, role, name
        if kind == "group":
            return "CN=%s,%s" % (name, ou_dn["Bench Groups"]), kind, role, name
        parent = "Bench Services" if role in ("sql", "app") else "Bench Users"
        return "CN=%s,%s" % (name, ou_dn[parent]), kind, role, name

    def earlier(r, i, want, tries=40):
        """An earlier account of a kind in want, or None."""
        for _ in range(tries):
            if i == 0:
                return None
            j = r.randrange(0, i)
            dn, kind, role, name = dn_of(j)
            if kind in want:
                return j, dn, kind, role, name
        return None

    def sid_of(name):
        res = samdb.search(base=base, scope=ldb.SCOPE_SUBTREE,
                           expression="(sAMAccountName=%s)" % ldb.binary_encode(name),
                           attrs=["objectSid"])
        if len(res) != 1:
            return None
        return str(samdb.schema_format_value("objectSid", res[0]["objectSid"][0]), "ascii")

    def targets(r, i):
        out = []
        for _ in range(r.choice((1, 1, 2, 2, 3, 4))):
            x = r.random()
            if x < 0.03:
                out.append("cifs/decom%06d.%s" % (r.randrange(10 ** 6), dns))
                bump("orphan_targets")
                continue
            if x < 0.08:
                out.append(r.choice(("ldap/%s", "cifs/%s", "HOST/%s")) % dc_fqdn)
                bump("tier0_targets")
                continue
            e = earlier(r, i, ("computer",))
            if e is None:
                continue
            _, _, _, role, name = e
            fq = "%s.%s" % (name.lower(), dns)
            if role == "sql":
                out.append("MSSQLSvc/%s:1433" % fq)
            elif role == "web":
                out.append("HTTP/%s" % fq)
            else:
                out.append(r.choice(("cifs/%s" % fq, "HOST/%s" % fq, "HOST/%s" % name)))
        return sorted(set(out))

    def make(i):
        """The add message of account i, plus (admin?) for Domain Admins."""
        r, kind, role = kind_of(seed, i)
        dn, _, _, name = dn_of(i)
        msg = {"dn": dn}
        is_admin = False
        if kind == "group":
            n = int(math.exp(r.uniform(math.log(5), math.log(50))))
            members = set()
            for _ in range(n):
                want = ("group",) if r.random() < 0.03 else ("user", "computer")
                e = earlier(r, i, want)
                if e:
                    members.add(e[1])
            msg.update({"objectClass": "group", "sAMAccountName": name,
                        "groupType": str(GLOBAL_SECURITY_GROUP)})
            if members:
                msg["member"] = sorted(members)
            bump("groups")
            bump("member_values", len(members))
            return msg, False
        spns, a2d = [], []
        if kind == "computer":
            fq = "%s.%s" % (name.lower(), dns)
            uac = WORKSTATION_TRUST_ACCOUNT | PASSWD_NOTREQD
            spns = ["HOST/%s" % fq, "HOST/%s" % name, "RestrictedKrbHost/%s" % fq,
                    "RestrictedKrbHost/%s" % name]
            if role == "web":
                spns.append("HTTP/%s" % fq)
            elif role == "sql":
                spns += ["MSSQLSvc/%s:1433" % fq, "MSSQLSvc/%s" % fq]
            msg.update({"objectClass": "computer", "sAMAccountName": name + "$",
                        "dNSHostName": fq})
            if r.random() < 0.96:
                msg["msDS-SupportedEncryptionTypes"] = "28"
            if r.random() < 0.01:
                uac |= ACCOUNTDISABLE
            bump("computers")
        else:
            uac = NORMAL_ACCOUNT | PASSWD_NOTREQD
            if r.random() < 0.6:
                uac |= DONT_EXPIRE_PASSWORD
            if r.random() < 0.03:
                uac |= ACCOUNTDISABLE
            if role == "sql":
                host = "sql%06d.%s" % (i, dns)
                spns = ["MSSQLSvc/%s:1433" % host, "MSSQLSvc/%s" % host]
            elif role == "app":
                spns = ["HTTP/app%06d.%s" % (i, dns), "HTTP/app%06d" % i]
            elif role == "adm":
                is_admin = True
                msg["adminCount"] = "1"
                if r.random() < 1 / 3:
                    uac |= NOT_DELEGATED
                bump("tier0_admins")
            if role in ("sql", "app"):
                bump("service_users")
                if r.random() < 0.2:
                    msg["msDS-SupportedEncryptionTypes"] = r.choice(("4", "24"))
            msg.update({"objectClass": "user", "sAMAccountName": name})
            bump("users")

        # Delegation: about 1% of all accounts.
        d = r.random()
        if d < 0.003:
            uac |= TRUSTED_FOR_DELEGATION
            bump("unconstrained")
        elif 0.003 <= d < 0.007:
            a2d = targets(r, i)
            if a2d:
                bump("constrained")
        elif 0.007 <= d < 0.010:
            uac |= TRUSTED_TO_AUTH_FOR_DELEGATION
            a2d = [] if r.random() < 0.2 else targets(r, i)
            bump("protocol_transition")
        if kind == "computer" and r.random() < 0.005:
            trustees = []
            if r.random() < 0.1:
                trustees.append("AU")
                bump("rbcd_broad")
            for _ in range(r.choice((1, 1, 1, 2))):
                e = earlier(r, i, ("computer",))
                if e:
                    s = sid_of(e[4] + "$")
                    if s:
                        trustees.append(s)
            if trustees:
                sddl = "O:BAD:" + "".join("(A;;%s;;;%s)" % (FULL, t) for t in trustees)
                msg["msDS-AllowedToActOnBehalfOfOtherIdentity"] = ndr_pack(
                    security.descriptor.from_sddl(sddl, domain_sid))
                bump("rbcd")
        msg["userAccountControl"] = str(uac)
        if spns:
            msg["servicePrincipalName"] = spns
            bump("spn_values", len(spns))
        if a2d:
            msg["msDS-AllowedToDelegateTo"] = a2d
        return msg, is_admin

    t0 = time.monotonic()
    samdb.transaction_start()
    try:
        for o in OUS:
            if not samdb.search(base=base, scope=ldb.SCOPE_ONELEVEL,
                                expression="(ou=%s)" % ldb.binary_encode(o), attrs=["dn"]):
                samdb.add({"dn": ou_dn[o], "objectClass": "organizationalUnit"})
    except Exception:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()

    end = args.start + args.count
    i = args.start
    while i < end:
        stop = min(end, i + args.batch)
        tb = time.monotonic()
        admins = []
        samdb.transaction_start()
        try:
            for k in range(i, stop):
                msg, is_admin = make(k)
                samdb.add(msg)
                if is_admin:
                    admins.append(msg["dn"])
            if admins:
                m = ldb.Message(ldb.Dn(samdb, domain_admins))
                m["member"] = ldb.MessageElement(admins, ldb.FLAG_MOD_ADD, "member")
                samdb.modify(m)
        except Exception:
            samdb.transaction_cancel()
            raise
        samdb.transaction_commit()
        now = time.monotonic()
        print("bulk-load: %d-%d: %d accounts in %.1f s (%.0f/s)"
              % (i, stop - 1, stop - i, now - tb, (stop - i) / (now - tb)),
              file=sys.stderr, flush=True)
        i = stop
    total = time.monotonic() - t0
    counts["accounts"] = end
    print("bulk-load: %d accounts in %.1f s (%.0f/s); totals %s"
          % (args.count, total, args.count / total, json.dumps(counts, sort_keys=True)),
          file=sys.stderr)
    if args.manifest:
        with open(args.manifest + ".new", "w", encoding="utf-8") as f:
            json.dump({"seed": seed, "counts": counts}, f, indent=1, sort_keys=True)
        os.replace(args.manifest + ".new", args.manifest)


if __name__ == "__main__":
    main()
