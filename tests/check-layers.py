#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps the module layers true: a lower layer never includes a higher one.

Every src/*.c, src/*.h and include/kdeleg/*.h belongs to one layer below. A file may
include headers of its own layer and of the layers it names as below it; anything else
fails, and so does a module no layer lists (a new module states where it sits).

    tests/check-layers.py SOURCE_ROOT
"""
import pathlib
import re
import sys

# layer: (modules, layers it may include). Modules are file stems: "ldap-conn" covers
# src/ldap-conn.c; "cli*" covers every stem starting with "cli".
LAYERS = {
    "foundations": (
        ["error", "arena", "strbuf", "reader", "hashtab", "json-pool", "mask", "sha256",
         "password"],
        [],
    ),
    "parsers": (["sid", "secdesc", "uac", "spn", "guid"], ["foundations"]),
    "entries": (["entry", "ldif", "ldif-write"], ["foundations", "parsers"]),
    # LDAP and the model sit side by side: neither knows the other.
    "ldap": (["ldap-conn", "ldapsrc", "ldap-search", "ldap-private"],
             ["foundations", "parsers", "entries"]),
    "model": (["directory", "token", "kdc", "access", "edge", "graph", "verify"],
              ["foundations", "parsers", "entries"]),
    # The plan: the only module that knows both LDAP and the model.
    "collect": (["collect", "collect-private", "plan"],
                ["foundations", "parsers", "entries", "ldap", "model"]),
    "rules": (["rules", "rules-*", "analyze", "analyze-private", "chain", "accept"],
              ["foundations", "parsers", "entries", "model"]),
    "reports": (["report", "report-*", "baseline"],
                ["foundations", "parsers", "entries", "model", "rules"]),
    "cli": (["cli*", "main"],
            ["foundations", "parsers", "entries", "ldap", "model", "collect", "rules",
             "reports"]),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(stem):
    for name, (modules, _) in LAYERS.items():
        for m in modules:
            if m == stem or (m.endswith("*") and stem.startswith(m[:-1])):
                return name
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: check-layers.py SOURCE_ROOT", file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    files = sorted(root.glob("src/*.[ch]")) + sorted(root.glob("include/kdeleg/*.h"))
    if not files:
        print(f"check-layers: no sources under {root}", file=sys.stderr)
        return 2
    problems = []
    for path in files:
        here = layer_of(path.stem)
        if here is None:
            problems.append(f"{path.relative_to(root)}: module '{path.stem}' is in no layer "
                            "(add it to tests/check-layers.py)")
            continue
        allowed = {here, *LAYERS[here][1]}
        for header in INCLUDE.findall(path.read_text(encoding="utf-8")):
            stem = pathlib.PurePath(header).stem
            if header == "config.h":
                continue
            there = layer_of(stem)
            if there is None:
                problems.append(f"{path.relative_to(root)}: includes '{header}', "
                                "a module in no layer")
            elif there not in allowed:
                problems.append(f"{path.relative_to(root)}: {here} includes {header} "
                                f"({there}), a layer above or beside it")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"check-layers: {len(files)} files, every include points down or sideways "
          "within a layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
