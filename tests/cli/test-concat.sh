#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two snapshots in one file are refused, never merged into one domain (issue 14): two
# domain heads with different SIDs, a second collect header, a trailer mid-file.
# Usage: test-concat.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
clean=$top/tests/data/audit/clean.ldif
. "$top/tests/check.sh"
check_init

# the collector's snapshot form: version line, header, entries, trailer
collected() {
    local n
    n=$(grep -c '^dn: ' "$1")
    printf 'version: 1\n# kdeleg collect: ldaps://dc.example\n\n'
    cat "$1"
    printf '# kdeleg collect complete: %s entries\n' "$n"
}

cat "$lab" "$clean" >"$work/two-domains.ldif"
for cmd in "audit" "paths" "verify svc_web HTTP/x"; do
    # shellcheck disable=SC2086
    expect 3 "$cmd: two domains in one snapshot" -- $cmd --ldif "$work/two-domains.ldif"
    has err "the snapshot holds two domains, 'DC=corp,DC=example' (S-1-5-21-3623811015-3361044348-30300820) and 'DC=clean,DC=example' (S-1-5-21-1004336348-1177238915-682003330)" \
        "$cmd names both domains"
    has err "two-domains.ldif:467: entry 'DC=clean,DC=example'" "$cmd names where the second begins"
    empty out "$cmd writes nothing"
done
expect 3 "two domains as JSON: nothing written" -- audit --ldif "$work/two-domains.ldif" -f ndjson
empty out "no NDJSON line"

# one domain's head twice (the same SID) is the same domain: not refused for that
{ cat "$lab"; sed -n '1,/^$/p' "$lab"; } >"$work/head-twice.ldif"
expect 0 "the same domain head twice" -- audit --ldif "$work/head-twice.ldif" -f json

# the collector's files: the second one's version line, its trailer
collected "$lab" >"$work/a.ldif"
collected "$clean" >"$work/b.ldif"
expect 0 "one collected snapshot" -- audit --ldif "$work/a.ldif" -f json
cat "$work/a.ldif" "$work/b.ldif" >"$work/two-collected.ldif"
expect 3 "two collected snapshots" -- audit --ldif "$work/two-collected.ldif"
has err "goes on after its kdeleg trailer.*two snapshots concatenated" "trailer mid-file"
sed '$d' "$work/a.ldif" | cat - "$work/b.ldif" >"$work/no-first-trailer.ldif"
expect 3 "a collected snapshot after one cut before its trailer" -- audit --ldif "$work/no-first-trailer.ldif"
has err "version line must come first: were two files concatenated" "second version line"
{ cat "$clean"; sed 1d "$work/a.ldif"; } >"$work/plain-then-collected.ldif"
expect 3 "a collected snapshot after a plain one, without its version line" -- audit --ldif "$work/plain-then-collected.ldif"
has err "two domains\|trailer counts" "plain + collected"

check_done concat
