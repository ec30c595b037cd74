#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes tests/data/secdesc/*.bin and the sid/secdesc fuzz seeds; the output is committed.
#
# A second, independent encoder (Python, straight from MS-DTYP 2.4.2.2, 2.4.4, 2.4.5,
# 2.4.6) so that the C tests do not only check testutil.c against itself.
# Run from anywhere: python3 tests/fuzz/gen-sid-secdesc-corpus.py
import os
import struct
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "S-1-5-21-1004336348-1177238915-682003330"
ALLOWED_TO_ACT = "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"
COMPUTER = "bf967a86-0de6-11d0-a285-00aa003049e2"
SPN_WRITE = "f3a64788-5306-11d1-a9c5-0000f80367c1"  # Validated-SPN


def sid(text):
    parts = text.split("-")
    assert parts[0] in ("S", "s") and parts[1] == "1"
    auth = int(parts[2], 16) if parts[2].lower().startswith("0x") else int(parts[2])
    subs = [int(p) for p in parts[3:]]
    return struct.pack("<BB", 1, len(subs)) + auth.to_bytes(6, "big") + \
        b"".join(struct.pack("<I", s) for s in subs)


def guid(text):
    return uuid.UUID(text).bytes_le  # Data1-3 little-endian, Data4 as is


OBJECT_TYPES = {0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0F, 0x10}


def ace(type_, mask, trustee, flags=0, obj=None, inh=None, tail=b""):
    body = struct.pack("<I", mask)
    if type_ in OBJECT_TYPES:
        body += struct.pack("<I", (1 if obj else 0) | (2 if inh else 0))
        body += (guid(obj) if obj else b"") + (guid(inh) if inh else b"")
    body += (sid(trustee) if trustee else b"") + tail
    return struct.pack("<BBH", type_, flags, 4 + len(body)) + body


def acl(aces, revision=None):
    if revision is None:
        revision = 4 if any(a[0] in OBJECT_TYPES for a in aces) else 2
    body = b"".join(aces)
    return struct.pack("<BBHHH", revision, 0, 8 + len(body), len(aces), 0) + body


def sd(owner=None, group=None, sacl=None, dacl=None, dacl_present=True, control=0):
    """Windows order (SACL, DACL, owner, group) so these differ from testutil's layout."""
    control |= 0x8000
    parts, offs = b"", {}
    for name, blob in (("sacl", sacl), ("dacl", dacl), ("owner", owner), ("group", group)):
        if blob is not None:
            offs[name] = 20 + len(parts)
            parts += blob
    if sacl is not None:
        control |= 0x0010
    if dacl_present:
        control |= 0x0004
    return struct.pack("<BBHIIII", 1, 0, control, offs.get("owner", 0), offs.get("group", 0),
                       offs.get("sacl", 0), offs.get("dacl", 0)) + parts


def write(rel, data):
    path = os.path.join(TOP, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


BA = sid("S-1-5-32-544")
RBCD_MASK = 0x000F01FF  # what Set-ADComputer -PrincipalsAllowedToDelegateToAccount writes

data = {
    "rbcd-powershell.bin": sd(owner=BA, dacl=acl([ace(0, RBCD_MASK, DOMAIN + "-1105")], 4)),
    "rbcd-two-principals.bin": sd(owner=BA, dacl=acl([
        ace(0, RBCD_MASK, DOMAIN + "-1105"), ace(0, RBCD_MASK, DOMAIN + "-515")], 4)),
    "samba-o-ba-d-a-cr-au.bin": sd(owner=BA, dacl=acl([ace(0, 0x100, "S-1-5-11")])),
    "rbcd-deny-first.bin": sd(owner=BA, dacl=acl([
        ace(1, 0x100, DOMAIN + "-1106"), ace(0, RBCD_MASK, "S-1-1-0")], 4)),
    "null-dacl.bin": sd(owner=BA, dacl_present=False),
    "empty-dacl.bin": sd(owner=BA, dacl=acl([], 4)),
    # A computer object's nTSecurityDescriptor in miniature: object ACEs with and
    # without GUIDs, inherited ACEs, an audit SACL.
    "computer-object.bin": sd(
        owner=sid(DOMAIN + "-512"), group=sid(DOMAIN + "-513"),
        sacl=acl([ace(0x07, 0x20, "S-1-1-0", flags=0xC2, obj=ALLOWED_TO_ACT)]),
        dacl=acl([
            ace(0x05, 0x20, "S-1-5-10", obj=SPN_WRITE),
            ace(0x05, 0x100, DOMAIN + "-1107", obj=ALLOWED_TO_ACT, inh=COMPUTER, flags=0x12),
            ace(0x05, 0x30, DOMAIN + "-553", inh=COMPUTER, flags=0x1A),
            ace(0x00, 0x000F01FF, DOMAIN + "-512"),
            ace(0x00, 0x20094, "S-1-5-11", flags=0x12),
        ]), control=0x1400),
}
for name, blob in data.items():
    write("tests/data/secdesc/" + name, blob)

# ---- secdesc seeds: the valid files plus one corruption per check ----------
seeds = {("valid-" + k[:-4]): v for k, v in data.items()}
rbcd = bytearray(data["rbcd-powershell.bin"])  # DACL at 20, ACE at 28, owner at 64


def patched(base, *patches):
    b = bytearray(base)
    for pos, fmt, value in patches:
        struct.pack_into(fmt, b, pos, value)
    return bytes(b)


seeds.update({
    "short-19": bytes(rbcd[:19]),
    "cut-mid-ace": bytes(rbcd[:40]),
    "absolute-form": patched(rbcd, (2, "<H", 0x0004)),
    "dacl-offset-no-bit": patched(rbcd, (2, "<H", 0x8000)),
    "dacl-offset-fffffff0": patched(rbcd, (16, "<I", 0xFFFFFFF0)),
    "owner-offset-inside-header": patched(rbcd, (4, "<I", 4)),
    "owner-equals-group": patched(rbcd, (8, "<I", 64)),
    "dacl-points-at-owner": patched(rbcd, (16, "<I", 64)),
    "acl-count-ffff": patched(rbcd, (24, "<H", 0xFFFF)),
    "acl-size-ffff": patched(rbcd, (22, "<H", 0xFFFF)),
    "acl-revision-3": patched(rbcd, (20, "<B", 3)),
    "ace-size-4": patched(rbcd, (30, "<H", 4)),
    "ace-size-smaller-than-sid": patched(rbcd, (30, "<H", 20)),
    "ace-sid-16-subauth": patched(rbcd, (37, "<B", 16)),
    "owner-sid-ff-subauth": patched(rbcd, (65, "<B", 0xFF)),
    "object-ace-in-rev2": patched(rbcd, (20, "<B", 2), (28, "<B", 5)),
    "null-dacl-bit-offset0": patched(rbcd, (16, "<I", 0)),
    "all-ff": b"\xff" * 64,
    "object-ace-no-guid": sd(owner=BA, dacl=acl([ace(5, 0x100, "S-1-5-11")])),
    "object-ace-both-guids": sd(owner=BA, dacl=acl([
        ace(5, 0x100, "S-1-5-11", obj=ALLOWED_TO_ACT, inh=COMPUTER)])),
    "callback-app-data": sd(owner=BA, dacl=acl([
        ace(0x09, 0x100, "S-1-1-0", tail=b"artx\x00\x01\x02"),
        ace(0x0B, 0x100, "S-1-5-11", obj=ALLOWED_TO_ACT, tail=b"\xff" * 5)])),
    "unknown-ace-type": sd(owner=BA, dacl=acl([
        ace(0x42, 0, None, tail=b"\x00" * 12), ace(0, 0x100, "S-1-5-11")])),
    "slack-and-padding": patched(rbcd + b"\x00" * 16, (22, "<H", 44 + 16)),
})
assert 10 <= len(seeds) <= 40
for name, blob in seeds.items():
    write("tests/fuzz/corpus/secdesc/" + name, blob)

# ---- sid seeds: binary SIDs and, since fuzz-sid also parses text, SID strings ----
sid_seeds = {
    "bin-everyone": sid("S-1-1-0"),
    "bin-builtin-admins": BA,
    "bin-domain-user": sid(DOMAIN + "-1104"),
    "bin-no-subauth": sid("S-1-5"),
    "bin-15-subauth": sid("S-1-5-" + "-".join(str(i) for i in range(1, 16))),
    "bin-hex-authority": sid("S-1-0x000100000000-7"),
    "bin-max-values": sid("S-1-0xFFFFFFFFFFFF-4294967295"),
    "bin-16-subauth": b"\x01\x10" + b"\x00\x00\x00\x00\x00\x05" + b"\x00" * 64,
    "bin-count-ff": b"\x01\xff\x00\x00\x00\x00\x00\x05",
    "bin-revision-2": b"\x02" + sid("S-1-5-11")[1:],
    "bin-truncated": sid(DOMAIN + "-1104")[:-1],
    "bin-trailing": sid("S-1-5-11") + b"\x00",
    "bin-empty": b"",
    "txt-domain-user": (DOMAIN + "-1104").encode(),
    "txt-lower-s": b"s-1-5-18",
    "txt-hex-authority": b"S-1-0x00010000ABCD-1",
    "txt-hex-short": b"S-1-0x12345-1",
    "txt-overflow": b"S-1-5-4294967296",
    "txt-leading-zero": b"S-1-5-021",
    "txt-trailing-dash": b"S-1-5-",
    "txt-16-subauth": b"S-1-5-" + b"-".join(str(i).encode() for i in range(1, 17)),
    "txt-embedded-nul": b"S-1-5-11\x00-12",
}
for name, blob in sid_seeds.items():
    write("tests/fuzz/corpus/sid/" + name, blob)
print("wrote %d data files, %d secdesc seeds, %d sid seeds" % (len(data), len(seeds), len(sid_seeds)))
