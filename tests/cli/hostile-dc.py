#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted hostile (or merely broken) LDAP/LDAPS domain controller, and a runner
that measures a command, for tests/cli/test-hostile.sh.

  hostile-dc.py serve SCENARIO --port-file F --log F [--tls none|ldaps|starttls]
                [--cert C --key K] [--tls-max 1.1]
      Listens on a free local port (written to --port-file once listening) and
      answers every connection as SCENARIO says, with hand-made BER. What the
      client sent that matters (binds and their passwords, searches) goes to --log.

  hostile-dc.py run --stats F [--signal SIG --after S] -- COMMAND...
      Runs COMMAND with its stdin, stdout and stderr under GNU time, sends it SIG
      after S seconds if asked, SIGKILL after --limit seconds (30), and writes "exit WALL_S CPU_S MAXRSS_KB" to F (exit
      is -N when killed by signal N; CPU is user + system).

A well-behaved DC ("normal") serves a three-account domain under DC=lab,DC=test
with paging and ranged member values; every other scenario changes one thing.
"""
import argparse
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time

BASE = "DC=lab,DC=test"
CONFIG = "CN=Configuration," + BASE
SPN_BASE = "CN=Directory Service,CN=Windows NT,CN=Services," + CONFIG
PARTITIONS = "CN=Partitions," + CONFIG
PAGED_OID = "1.2.840.113556.1.4.319"
STARTTLS_OID = "1.3.6.1.4.1.1466.20037"

# ---- BER (X.690) -------------------------------------------------------------------


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + ber_len(len(content)) + content


def integer(v, tag=0x02):
    n = 1
    while not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        n += 1
    return tlv(tag, v.to_bytes(n, "big", signed=True))


def octets(s, tag=0x04):
    return tlv(tag, s if isinstance(s, bytes) else s.encode())


def seq(*items, tag=0x30):
    return tlv(tag, b"".join(items))


def read_tlv(buf, pos):
    """(tag, start, end) of the element at pos."""
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, pos, pos + n


def elements(buf, start, end):
    out = []
    while start < end:
        t, s, e = read_tlv(buf, start)
        out.append((t, s, e))
        start = e
    return out


def sid(*subs, authority=5):
    return struct.pack("<BB", 1, len(subs)) + authority.to_bytes(6, "big") + b"".join(
        struct.pack("<I", s) for s in subs)


DOMAIN_SID = (21, 1111, 2222, 3333)

# ---- the directory a normal DC serves ----------------------------------------------


def account(cn, rid, uac, classes=("top", "person", "organizationalPerson", "user"), **more):
    dn = "CN=%s,CN=Users,%s" % (cn, BASE)
    attrs = [("objectClass", list(classes)), ("sAMAccountName", [cn]),
             ("objectSid", [sid(*DOMAIN_SID, rid)]), ("userAccountControl", [str(uac)])]
    attrs += [(k, v) for k, v in more.items()]
    return dn, attrs


DOMAIN = (BASE, [("objectClass", ["top", "domain", "domainDNS"]),
                 ("objectSid", [sid(*DOMAIN_SID)]), ("msDS-Behavior-Version", ["7"])])
USERS = [
    account("Administrator", 500, 66048, adminCount=["1"]),
    account("alice", 1104, 512),
    account("web01", 1105, 0x1000 | 0x80000,
            classes=("top", "person", "organizationalPerson", "user", "computer")),
]
GROUP_DN = "CN=Helpdesk,CN=Users," + BASE
MEMBERS = [USERS[1][0], USERS[2][0], USERS[0][0], USERS[1][0] + "x", USERS[2][0] + "y"]
GROUP = (GROUP_DN, [("objectClass", ["top", "group"]), ("sAMAccountName", ["Helpdesk"]),
                    ("objectSid", [sid(*DOMAIN_SID, 1200)])])
SPN_ENTRY = (SPN_BASE, [("sPNMappings", ["host=alerter,http,cifs"])])

# ---- LDAP messages -------------------------------------------------------------------


def message(msgid, op, controls=b""):
    return seq(integer(msgid), op, tlv(0xA0, controls) if controls else b"")


def result(tag, code=0, matched="", diag="", extra=b""):
    return tlv(tag, integer(code, 0x0A) + octets(matched) + octets(diag) + extra)


def entry_op(dn, attrs):
    parts = []
    for name, vals in attrs:
        parts.append(seq(octets(name), seq(*(octets(v) for v in vals), tag=0x31)))
    return tlv(0x64, octets(dn) + seq(*parts))


def paged_control(cookie):
    return seq(octets(PAGED_OID), octets(seq(integer(0), octets(cookie))))


class Request:
    def __init__(self, data):
        t, s, e = read_tlv(data, 0)
        body = elements(data, s, e)
        self.msgid = int.from_bytes(data[body[0][1]:body[0][2]], "big", signed=True)
        self.tag, os_, oe = body[1]
        self.op = data[os_:oe]
        self.cookie = None
        self.page_size = None
        for t, cs, ce in body[2:]:
            if t != 0xA0:
                continue
            for _, s2, e2 in elements(data, cs, ce):
                parts = elements(data, s2, e2)
                oid = data[parts[0][1]:parts[0][2]].decode()
                if oid == PAGED_OID:
                    val = parts[-1]
                    inner = elements(data, val[1], val[2])
                    pv = elements(data, inner[0][1], inner[0][2])
                    self.page_size = int.from_bytes(data[pv[0][1]:pv[0][2]], "big")
                    self.cookie = data[pv[1][1]:pv[1][2]]
        if self.tag == 0x63:  # SearchRequest
            f = elements(self.op, 0, len(self.op))
            self.base = self.op[f[0][1]:f[0][2]].decode()
            self.scope = self.op[f[1][1]] if f[1][2] > f[1][1] else 0
            self.attrs = [self.op[s:e].decode() for _, s, e in
                          elements(self.op, f[7][1], f[7][2])]
        elif self.tag == 0x60:  # BindRequest
            f = elements(self.op, 0, len(self.op))
            self.name = self.op[f[1][1]:f[1][2]].decode(errors="replace")
            self.auth_tag = f[2][0]
            self.password = self.op[f[2][1]:f[2][2]].decode(errors="replace")
        elif self.tag == 0x77:  # ExtendedRequest
            f = elements(self.op, 0, len(self.op))
            self.oid = self.op[f[0][1]:f[0][2]].decode()


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def read_message(sock):
    head = recv_exact(sock, 2)
    extra = b""
    n = head[1]
    if n & 0x80:
        extra = recv_exact(sock, n & 0x7F)
        n = int.from_bytes(extra, "big")
    return Request(head + extra + recv_exact(sock, n))


# ---- the server ----------------------------------------------------------------------


class Session:
    """One client connection; scenario methods override the normal DC's answers."""

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.sc = server.scenario
        self.pages = 0
        with server.lock:  # which connection this is, from 1 (usn-* scenarios)
            server.connections += 1
            self.index = server.connections

    def log(self, text):
        self.server.log(text)

    def send(self, data):
        self.sock.sendall(data)

    def forever(self, fn):
        """Sends fn(i) for i = 0, 1, ... until the client goes away."""
        i = 0
        try:
            while True:
                self.send(fn(i))
                i += 1
        except OSError:
            self.log("flood ended after %d messages" % i)
            raise EOFError

    def silence(self):
        """Accept, read and say nothing until the client leaves."""
        self.log("silent")
        while self.sock.recv(65536):
            pass
        raise EOFError

    def run(self):
        try:
            if self.server.tls == "ldaps":
                if self.sc == "tls-silent":
                    self.silence()
                if self.sc == "tls-drip":
                    self.sock.recv(65536)  # the ClientHello
                    hello = bytes.fromhex("160303004a020000460303") + bytes(64)
                    for b in hello:
                        self.send(bytes([b]))
                        time.sleep(1)
                    self.silence()
                self.sock = self.server.ctx.wrap_socket(self.sock, server_side=True)
                self.log("tls %s" % self.sock.version())
            while True:
                req = read_message(self.sock)
                if req.tag == 0x42:  # unbind
                    self.log("unbind")
                    return
                if req.tag == 0x50:  # abandon
                    self.log("abandon")
                    continue
                if req.tag == 0x60:
                    self.bind(req)
                elif req.tag == 0x77:
                    self.extended(req)
                elif req.tag == 0x63:
                    self.search(req)
        except (EOFError, ConnectionError, ssl.SSLError, OSError) as e:
            self.log("closed: %s" % type(e).__name__)
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def extended(self, req):
        self.log("extended %s" % req.oid)
        if req.oid != STARTTLS_OID:
            self.send(message(req.msgid, result(0x78, 2)))
            return
        self.send(message(req.msgid, result(0x78, 0, extra=octets(STARTTLS_OID, 0x8A))))
        if self.sc == "starttls-silent":
            self.silence()
        self.sock = self.server.ctx.wrap_socket(self.sock, server_side=True)
        self.log("tls %s" % self.sock.version())

    def bind(self, req):
        self.log("bind %s password=%s" % (req.name, req.password))
        if self.sc == "bind-flood":
            self.forever(lambda i: message(req.msgid, entry_op("CN=x%d,%s" % (i, BASE), [
                ("cn", ["x" * 1000])])))
        if self.sc == "echo-password":
            import base64
            pw = req.password
            diag = ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext "
                    "error, data 52e, v4563, you sent '%s' (%s) [%s]" % (
                        pw, base64.b64encode(pw.encode()).decode(), pw.upper()))
            self.send(message(req.msgid, result(0x61, 49, diag=diag)))
            return
        if self.sc == "bind-silent":
            self.silence()
        if self.sc == "usn-peer-refused" and self.index > 1:
            self.send(message(req.msgid, result(0x61, 49)))
            return
        if self.sc == "usn-peer-drop" and self.index > 1:
            raise EOFError
        self.send(message(req.msgid, result(0x61, 0)))

    def search(self, req):
        self.log("search base=%s scope=%d attrs=%s cookie=%r" % (
            req.base, req.scope, ",".join(req.attrs), req.cookie))
        if req.base == "" and req.scope == 0:
            return self.root_dse(req)
        if req.base == SPN_BASE:
            self.send(message(req.msgid, entry_op(*SPN_ENTRY)))
            self.send(message(req.msgid, result(0x65)))
            return
        if req.base == PARTITIONS:  # the domain's crossRef (its NetBIOS name)
            self.send(message(req.msgid, entry_op("CN=LAB," + PARTITIONS, [
                ("objectClass", [b"top", b"crossRef"]), ("nCName", [BASE.encode()]),
                ("nETBIOSName", [b"LAB"])])))
            self.send(message(req.msgid, result(0x65)))
            return
        if req.scope == 0:
            return self.range_request(req)
        return self.accounts(req)

    def root_dse(self, req):
        if self.sc == "rootdse-flood":
            self.forever(lambda i: message(req.msgid, entry_op("", [
                ("defaultNamingContext", [BASE]), ("x", ["y" * 1000])])))
        attrs = [("defaultNamingContext", [BASE]), ("configurationNamingContext", [CONFIG])]
        if self.sc.startswith("usn-"):
            # enough for several connections; this DC ignores the uSNChanged filters
            server = "CN=NTDS Settings,CN=DC%d" % (
                self.index if self.sc == "usn-peer-other-dc" else 1)
            # usn-overlap-slow-peer: four ranges, so the first connection reads a second
            # one while the others' first answers are late
            usn = "100" if self.sc == "usn-overlap-slow-peer" else "1"
            attrs += [("dsServiceName", [server]), ("highestCommittedUSN", [usn])]
        self.send(message(req.msgid, entry_op("", attrs)))
        self.send(message(req.msgid, result(0x65)))

    def asked_step(self, attrs):
        """The range step a request asks for ("member;range=LO-HI"), None for all."""
        for a in attrs:
            if a.lower().startswith("member;range="):
                lo, hi = a.split("=")[1].split("-")
                return None if hi == "*" else int(hi) - int(lo) + 1
        return None

    def group_entry(self, req):
        """The group, its members split as the search asked (or all of them)."""
        dn, attrs = GROUP
        step = self.asked_step(req.attrs)
        if self.sc == "range-trickle":
            return entry_op(dn, attrs + [("member;range=0-0", MEMBERS[:1])])
        if step is None:
            return entry_op(dn, attrs + [("member", MEMBERS)])
        return entry_op(dn, attrs + [("member;range=0-%d" % (step - 1), MEMBERS[:step])])

    def range_request(self, req):
        want = req.attrs[0] if req.attrs else ""
        lo = int(want.split("range=")[1].split("-")[0]) if "range=" in want else 0
        step = self.asked_step(req.attrs) or len(MEMBERS)
        dn = req.base
        if self.sc == "range-other-dn":
            dn = USERS[0][0]
        if self.sc == "range-trickle":
            chunk = ("member;range=%d-%d" % (lo, lo), [MEMBERS[lo % len(MEMBERS)] + str(lo)])
        elif lo + step >= len(MEMBERS):
            chunk = ("member;range=%d-*" % lo, MEMBERS[lo:])
        else:
            chunk = ("member;range=%d-%d" % (lo, lo + step - 1), MEMBERS[lo:lo + step])
        self.send(message(req.msgid, entry_op(dn, [chunk])))
        self.send(message(req.msgid, result(0x65)))

    def domain(self):
        """(dn, attrs) of the domain's entries, as the scenario has them."""
        if self.sc == "no-accounts":
            return [DOMAIN]
        out = [DOMAIN] + USERS
        if self.sc == "dup-dn":
            out.append(USERS[1])
        return out

    def accounts(self, req):
        sc = self.sc
        self.pages += 1
        page = req.page_size or 1000
        if sc == "search-silent":
            self.silence()
        if sc == "usn-overlap-slow-peer" and self.index > 1:
            time.sleep(1)
        if sc == "ref-pages":
            self.send(message(req.msgid, tlv(0x73, octets("ldap://elsewhere/" + CONFIG))))
            self.send(message(req.msgid, result(0x65), paged_control(b"again")))
            return
        if sc == "same-page":
            self.send(message(req.msgid, entry_op(*USERS[1])))
            self.send(message(req.msgid, result(0x65), paged_control(b"same")))
            return
        if sc == "entry-drip":
            i = 0
            while True:
                self.send(message(req.msgid, entry_op(*account("drip%d" % i, 3000 + i, 512))))
                i += 1
                time.sleep(1)
        if sc == "pdu-drip":
            data = message(req.msgid, entry_op(*USERS[1]))
            for b in data:
                self.send(bytes([b]))
                time.sleep(0.5)
            self.silence()
        if sc in ("huge-2g", "huge-4g"):
            # an entry announced as 2 GiB (or 4 GiB), then 1 MiB a tenth of a second
            n = (2 << 30) if sc == "huge-2g" else (4 << 30)
            head = bytes([0x30]) + bytes([0x85]) + n.to_bytes(5, "big")
            self.send(head + integer(req.msgid) + bytes([0x64, 0x84]) +
                      (n - 16).to_bytes(4, "big", signed=False)[-4:])
            chunk = b"\x04" * (1 << 20)
            for _ in range(2048):
                self.send(chunk)
                time.sleep(0.1)
            self.silence()
        entries = self.domain() + [None]  # None: the group, built per request
        start = int(req.cookie.decode()) if req.cookie else 0
        if sc == "drop-page2" and start > 0:
            self.log("dropping the connection on page %d" % self.pages)
            raise EOFError
        for e in entries[start:start + page]:
            self.send(message(req.msgid, self.group_entry(req) if e is None else entry_op(*e)))
        nxt = start + page
        cookie = str(nxt).encode() if nxt < len(entries) else b""
        self.send(message(req.msgid, result(0x65), paged_control(cookie)))


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.tls = args.tls
        self.lock = threading.Lock()
        self.connections = 0
        self.logf = open(args.log, "a", buffering=1)
        self.ctx = None
        if args.cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(args.cert, args.key)
            if args.tls_max == "1.1":
                # what an old or downgraded server offers; OpenSSL 3 needs security
                # level 0 for TLS 1.0 and 1.1 (their signatures use SHA-1)
                self.ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                self.ctx.minimum_version = ssl.TLSVersion.TLSv1
                self.ctx.maximum_version = ssl.TLSVersion.TLSv1_1

    def log(self, text):
        with self.lock:
            self.logf.write(text + "\n")

    def serve(self, port_file):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(16)
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.rename(tmp, port_file)
        while True:
            sock, _ = ls.accept()
            self.log("connection")
            threading.Thread(target=Session(self, sock).run, daemon=True).start()


def children(pid):
    """The PIDs whose parent is pid (from /proc: no procps needed)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def run(args):
    """COMMAND under GNU time, which forks it from a small process: its %M is the
    command's own peak RSS (a fork of this Python would count Python's pages too,
    ru_maxrss carries over exec)."""
    cmd = args.command[1:] if args.command and args.command[0] == "--" else args.command
    timef = args.stats + ".time"
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        # what Python ignores for itself, a command gets as a shell would give it
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        try:
            os.execv("/usr/bin/time", ["time", "-f", "%e %U %S %M", "-o", timef] + cmd)
        finally:
            os._exit(127)
    if args.signal:
        time.sleep(args.after)
        for child in children(pid):
            os.kill(child, getattr(signal, args.signal))
    # a command that hangs is killed, so that the test fails rather than waits
    limit = threading.Timer(args.limit, lambda: [os.kill(c, signal.SIGKILL)
                                                 for c in children(pid)])
    limit.start()
    _, status = os.waitpid(pid, 0)
    limit.cancel()
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    with open(timef) as f:
        lines = f.read().split("\n")
    for line in lines:
        if line.startswith("Command terminated by signal "):
            code = -int(line.split()[-1])
    _, user, system, rss = [x for x in lines if x and x[0].isdigit()][-1].split()
    with open(args.stats, "w") as f:
        f.write("%d %.3f %.3f %s\n" % (code, wall, float(user) + float(system), rss))
    os.unlink(timef)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("scenario")
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--tls", choices=["none", "ldaps", "starttls"], default="none")
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--tls-max")
    r = sub.add_parser("run")
    r.add_argument("--stats", required=True)
    r.add_argument("--signal")
    r.add_argument("--after", type=float, default=1.0)
    r.add_argument("--limit", type=float, default=30.0)
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    if args.mode == "run":
        run(args)
    else:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        Server(args).serve(args.port_file)


if __name__ == "__main__":
    main()
