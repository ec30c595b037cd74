#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The field tables of docs/json-output.md name only fields the schemas have.

    doc-fields.py DOC SCHEMA_DIR

Each `| field | type | meaning |` row under "## Document", "## Finding" and "## NDJSON"
names fields (`a.b`, then `.c` for a sibling of the last, `a.*` for all of a's); each must
resolve in the report, finding or NDJSON schema. Exits 1 naming each that does not.
"""
import json
import os
import re
import sys

SECTIONS = {"## Document": ("kdeleg-report.schema.json", None),
            "## Finding": ("kdeleg-defs.schema.json", "saved-finding"),
            "## NDJSON": ("kdeleg-ndjson.schema.json", None)}


def load(schema_dir):
    return {f: json.load(open(os.path.join(schema_dir, f), encoding="utf-8"))
            for f in os.listdir(schema_dir) if f.endswith(".schema.json")}


def deref(schemas, file, node):
    """Every subschema @node stands for: itself, what its $ref/allOf/anyOf lead to."""
    out = [(file, node)]
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref:
            target, _, pointer = ref.partition("#")
            target = target or file
            sub = schemas[target]
            for part in pointer.strip("/").split("/"):
                if part:
                    sub = sub[part]
            out += deref(schemas, target, sub)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                out += deref(schemas, file, sub)
    return out


def resolve(schemas, file, node, parts):
    if not parts:
        return True
    for f, sub in deref(schemas, file, node):
        if not isinstance(sub, dict):
            continue
        if parts[0] == "*" and sub.get("properties"):
            return True
        if parts[0] in sub.get("properties", {}):
            if resolve(schemas, f, sub["properties"][parts[0]], parts[1:]):
                return True
        items = sub.get("items")
        if items and resolve(schemas, f, items, parts):
            return True
    return False


def main(argv):
    doc, schemas = open(argv[1], encoding="utf-8").read(), load(argv[2])
    failures = checked = 0
    for heading, (file, define) in SECTIONS.items():
        start = doc.index(heading)
        end = doc.find("\n## ", start + 1)
        root = schemas[file] if not define else schemas[file]["$defs"][define]
        for row in re.findall(r"^\| (`[^|]*) \|", doc[start:end], re.M):
            last = []
            for name in re.findall(r"`([^`]+)`", row):
                parts = name.split(".")
                if name.startswith("."):
                    parts = last[:-1] + parts[1:]
                checked += 1
                if not resolve(schemas, file, root, parts):
                    failures += 1
                    print(f"{heading}: `{name}` is not in {file}", file=sys.stderr)
                last = parts
    print(f"doc-fields: {checked} fields named in the tables")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
