#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live collector over several connections (--connections N, issue 12) against a Samba
# AD DC (tests/integration/lab.sh): 1, 2, 3 and 16 connections give the same findings
# (fingerprints included), counts and domain, as Administrator and as an ordinary user;
# the snapshot holds the same entries whatever N, byte for byte for one N (the model gets
# the uSNChanged ranges in their order); a DC modified during the collection loses no
# entry (the catch-up search); a DC stopped mid-collection fails the run on every
# connection; --connections out of range is refused before connecting.
# Usage: test-parallel.sh KDELEG SOURCE_ROOT. Exit 77 (skipped) when no lab can run here.
set -u
kdeleg=$1
top=$2
. "$top/tests/integration/lab.sh"
lab_test_begin parallel

# same_report WHAT A.json B.json: findings (fingerprints included), domain, counts, summary.
same_report() {
    "$py" - "$2" "$3" <<'PY' >"$w/cmp" 2>&1 || fail "$1: $(head -c 1500 "$w/cmp")"
import json
import sys

a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
bad = False
for k in ("findings", "domain", "counts", "summary"):
    if json.dumps(a[k], sort_keys=True) != json.dumps(b[k], sort_keys=True):
        print(k, "differ")
        bad = True
sys.exit(bad)
PY
}
# entries FILE.ldif: its DNs, lower-cased and sorted
entries() { grep '^dn:' "$1" | tr '[:upper:]' '[:lower:]' | sort; }
body() { grep -v '^# time: ' "$1"; }

# ---- Administrator (GSSAPI): every N gives the same report ----
kd audit -H "$LAB_URI" --connections 1 -f json -o "$w/n1.json"
ok "one connection"
"$py" - "$w/n1.json" <<'PY' || fail "the lab's findings are missing"
import json
import sys

assert len(json.load(open(sys.argv[1], encoding="utf-8"))["findings"]) > 20
PY
for n in 2 3 16; do
    kd audit -H "$LAB_URI" --connections "$n" -f json -o "$w/n$n.json"
    ok "$n connections"
    same_report "$n connections vs one" "$w/n1.json" "$w/n$n.json"
done
kd paths -H "$LAB_URI" --connections 1
ok "paths, one connection"
cp "$w/out" "$w/paths1.txt"
kd paths -H "$LAB_URI" --connections 4
ok "paths, 4 connections"
cmp -s "$w/paths1.txt" "$w/out" || fail "paths differ with 4 connections: $(diff "$w/paths1.txt" "$w/out" | head -5)"
# pages of 2 and ranged values 3 at a time: every range search pages, every connection ranges
kd audit -H "$LAB_URI" --connections 3 --page-size 2 --range-step 3 -f json -o "$w/small.json"
ok "3 connections, small pages and ranges"
same_report "3 connections, small pages" "$w/n1.json" "$w/small.json"

# ---- snapshots: the same entries; one N, the same bytes ----
kd collect -H "$LAB_URI" --connections 1 -o "$w/c1.ldif"
ok "collect, one connection"
for n in 2 5; do
    kd collect -H "$LAB_URI" --connections "$n" -o "$w/c$n.ldif"
    ok "collect, $n connections"
done
cmp -s <(entries "$w/c1.ldif") <(entries "$w/c2.ldif") ||
    fail "2 connections read other entries: $(diff <(entries "$w/c1.ldif") <(entries "$w/c2.ldif") | head -5)"
cmp -s <(entries "$w/c1.ldif") <(entries "$w/c5.ldif") || fail "5 connections read other entries"
kd collect -H "$LAB_URI" --connections 5 -o "$w/c5b.ldif"
ok "collect, 5 connections again"
cmp -s <(body "$w/c5.ldif") <(body "$w/c5b.ldif") || fail "5 connections wrote two different snapshots"
# the trailer counts what was written
n=$(grep -c '^dn:' "$w/c2.ldif")
grep -qx "# kdeleg collect complete: $n entries" "$w/c2.ldif" ||
    fail "collect trailer: $(tail -n 1 "$w/c2.ldif"), $n entries written"
"$kdeleg" audit --ldif "$w/c2.ldif" -f json -o "$w/c2.json" 2>"$w/err" ||
    fail "offline audit of the 2-connection snapshot: $(cat "$w/err")"
same_report "2-connection snapshot vs live" "$w/n1.json" "$w/c2.json"

# progress on a terminal: one stage for all connections, its entries those written
checks=$((checks + 1))
lab_exec script -qfec "$(printf '%q ' "$kdeleg" collect --full -H "$LAB_URI" --connections 3 -o "$w/tty.ldif")" \
    "$w/tty.log" >/dev/null </dev/null
n=$(grep -c '^dn:' "$w/tty.ldif")
# the domain search's entries: all but the sPNMappings and crossRef entries
tr '\r' '\n' <"$w/tty.log" | grep -q "kdeleg: $LAB_URI: accounts: $((n - 2)) entries, page [0-9]*, done" ||
    fail "progress with 3 connections ($n entries written): $(tr '\r' '\n' <"$w/tty.log" | tail -4)"

# ---- an ordinary user, simple bind over verified TLS (each connection binds) ----
printf '%s\n' "$LAB_USER_PASS" >"$w/password"
chmod 600 "$w/password"
user=(-H "ldaps://$LAB_FQDN" --ca-file "$LAB_CA" --simple-bind "carol@${LAB_REALM,,}"
    --password-file "$w/password" -f json)
kd audit "${user[@]}" --connections 1 -o "$w/u1.json"
ok "ordinary user, one connection"
kd audit "${user[@]}" --connections 3 -o "$w/u3.json"
ok "ordinary user, 3 connections"
same_report "ordinary user, 3 connections vs one" "$w/u1.json" "$w/u3.json"
grep -rq -- "$LAB_USER_PASS" "$w"/u*.json && fail "the password is in a report"
# the wrong password fails on the first connection, once: the others never try it
printf 'wrong-%s\n' "$LAB_USER_PASS" >"$w/password"
kd audit "${user[@]}" --connections 3 -o "$w/wrong.json"
[ "$rc" -eq 3 ] || fail "wrong password, 3 connections: exit $rc, expected 3"
[ -e "$w/wrong.json" ] && fail "wrong password: a report was written"

# ---- a directory that changes while it is read: nothing is lost ----
# Every pass rewrites the description of users the lab reads, moving them past the
# highestCommittedUSN each collection starts from (and out of the range they were in).
lab_ldapsearch -b "$LAB_BASE" '(|(sAMAccountName=carol)(sAMAccountName=svc_plain)(sAMAccountName=svc_iis))' 1.1 |
    sed -n 's/^dn: //p' >"$w/churn.dns"
[ "$(wc -l <"$w/churn.dns")" -eq 3 ] || fail "churn: the lab's users not found"
cat >"$w/churn.sh" <<EOF
i=0
while :; do
    i=\$((i + 1))
    while read -r dn; do
        printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: churn %s\n\n' "\$dn" "\$i"
    done <"$w/churn.dns"
done | ldapmodify -Q -Y GSSAPI -H "$LAB_URI" -c >/dev/null 2>&1
EOF
lab_exec sh "$w/churn.sh" &
churn=$!
for k in 1 2 3 4 5; do
    kd collect -H "$LAB_URI" --connections 3 --page-size 5 -o "$w/churn$k.ldif"
    ok "collect while the DC changes ($k)"
    [ "$rc" -eq 0 ] && { cmp -s <(entries "$w/c1.ldif") <(entries "$w/churn$k.ldif") ||
        fail "collect while the DC changes ($k): entries differ: $(diff <(entries "$w/c1.ldif") <(entries "$w/churn$k.ldif") | head -5)"; }
done
for p in $(ip netns pids "$LAB_NS"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ldapmodify ] && kill "$p"
done
kill "$churn" 2>/dev/null
wait "$churn" 2>/dev/null

# ---- refused before anything is sent ----
for bad in 0 17 x; do
    kd audit -H "$LAB_URI" --connections "$bad"
    [ "$rc" -eq 2 ] || fail "--connections $bad: exit $rc, expected 2"
done

# ---- the DC stops mid-collection: the run fails whichever connection notices ----
checks=$((checks + 1))
lab_exec "$kdeleg" collect -H "$LAB_URI" --connections 4 --page-size 1 --range-step 1 \
    -o "$w/stopped.ldif" >"$w/out" 2>"$w/err" </dev/null &
pid=$!
# the output is opened before connecting; the bind, the rootDSE and the peers come next
for _ in $(seq 300); do
    ls "$w"/stopped.ldif.tmp.* >/dev/null 2>&1 && break
    sleep 0.01
done
sleep 0.05
lab_kill_dc KILL
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ]; then
    echo "note: the collection ended before the DC was stopped"
else
    [ "$rc" -eq 3 ] || fail "DC killed with 4 connections: exit $rc, expected 3: $(head -c 300 "$w/err")"
    # during a bind (connection N of 4) or a search, whichever the kill met
    grep -q -e "lost the connection" -e "cannot connect" "$w/err" ||
        fail "DC killed with 4 connections: $(head -c 300 "$w/err")"
    [ -e "$w/stopped.ldif" ] && fail "DC killed with 4 connections: a snapshot was written"
    ls "$w"/stopped.ldif.tmp.* >/dev/null 2>&1 && fail "DC killed: temp file left"
fi
lab_start_dc || exit 1

if [ "$failures" -ne 0 ]; then
    lab_fail "$failures of $checks checks failed"
    exit 1
fi
echo "parallel: $checks checks passed"
