#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks kdeleg's JSON outputs against docs/schema and against each other.

    json-types.py SCHEMA_DIR KIND:FILE...

KIND is report (audit -f json), ndjson (audit/diff -f ndjson, one record a line),
diff, rules, verify, explain (verify --explain-error) or paths. Every document (every
NDJSON record) must validate against its schema (draft 2020-12), and every field path
(a.b[].c, from the document's or the record's root) must have one JSON type across
all the files given: null means "not known" and goes with any type, integer is not
number. Exits 1 naming each failure.
"""
import collections
import json
import os
import sys

import jsonschema

SCHEMAS = {
    "report": "kdeleg-report.schema.json",
    "ndjson": "kdeleg-ndjson.schema.json",
    "diff": "kdeleg-diff.schema.json",
    "rules": "kdeleg-rules.schema.json",
    "verify": "kdeleg-verify.schema.json",
    "explain": "kdeleg-explain.schema.json",
    "paths": "kdeleg-paths.schema.json",
}


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {dict: "object", list: "array", str: "string", float: "number",
            type(None): "null"}[type(value)]


def walk(value, path, where, types):
    if path:  # the root's type differs by command (rules is an array); fields do not
        types[path].setdefault(json_type(value), where)
    if isinstance(value, dict):
        for key, item in value.items():
            walk(item, f"{path}.{key}" if path else key, where, types)
    elif isinstance(value, list):
        for item in value:
            walk(item, path + "[]", where, types)


def documents(kind, name):
    with open(name, encoding="utf-8") as f:
        if kind != "ndjson":
            yield name, json.load(f)
            return
        for n, line in enumerate(f, 1):
            yield f"{name}:{n}", json.loads(line)


def main(argv):
    schema_dir, args = argv[1], argv[2:]
    store = {}
    for file in os.listdir(schema_dir):
        if file.endswith(".schema.json"):
            with open(os.path.join(schema_dir, file), encoding="utf-8") as f:
                schema = json.load(f)
            jsonschema.Draft202012Validator.check_schema(schema)
            store[schema["$id"]] = schema
    validators = {}
    for kind, file in SCHEMAS.items():
        with open(os.path.join(schema_dir, file), encoding="utf-8") as f:
            schema = json.load(f)
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        validators[kind] = jsonschema.Draft202012Validator(schema, resolver=resolver)
    types = collections.defaultdict(dict)
    failures = 0
    checked = 0
    for arg in args:
        kind, _, name = arg.partition(":")
        for where, doc in documents(kind, name):
            checked += 1
            for error in sorted(validators[kind].iter_errors(doc), key=str)[:5]:
                failures += 1
                path = "/".join(str(p) for p in error.absolute_path)
                print(f"{where}: not a {kind} document at /{path}: {error.message[:300]}",
                      file=sys.stderr)
            walk(doc, "", where, types)
    for path, seen in sorted(types.items()):
        kinds = {t: w for t, w in seen.items() if t != "null"}
        if len(kinds) > 1:
            failures += 1
            print(f"{path} has {len(kinds)} types: " +
                  ", ".join(f"{t} (first in {w})" for t, w in kinds.items()), file=sys.stderr)
    if not checked:
        print("json-types: no document checked", file=sys.stderr)
        return 1
    print(f"json-types: {checked} documents, {len(types)} field paths"
          f"{'' if failures else ', each of one type'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
