#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live source's command line without a DC: usage errors (exit 2), refusals before
# anything is sent (exit 3), unreachable DCs, and that nothing is written on failure.
# Usage: test-live-cli.sh KDELEG SOURCE_ROOT (tests/integration/test-live.sh has the DC).
set -u
kdeleg=$1
top=$2
. "$top/tests/check.sh"
check_init
# libldap reads no ldap.conf, ~/.ldaprc or LDAP* variable: the machine's setup stays out
export LDAPNOINIT=1
unset KDELEG_PASSWORD

# expect CODE DESCRIPTION PATTERN -- ARGS...: exit CODE, PATTERN on stderr, stdout empty
# (replaces check.sh's expect: every case here is a failure with a message)
expect() {
    local want=$1 what=$2 pattern=$3
    shift 4
    checks=$((checks + 1))
    timeout 60 "$kdeleg" "$@" >"$work/out" 2>"$work/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want ($(head -c 300 "$work/err"))"
    grep -q -- "$pattern" "$work/err" || fail "$what: '$pattern' not in: $(head -c 300 "$work/err")"
    [ ! -s "$work/out" ] || fail "$what: stdout not empty: $(head -c 200 "$work/out")"
}

# ---- usage: exit 2 ----
expect 2 "no source" "audit needs a source" -- audit
expect 2 "collect without a source" "collect needs a source" -- collect -o "$work/x.ldif"
expect 2 "collect to stdout" "give -o FILE" -- collect -H ldap://dc
expect 2 "collect to -" "give -o FILE" -- collect -H ldap://dc -o -
expect 2 "two sources" "two sources" -- audit --ldif x.ldif -H ldap://dc
expect 2 "bad URI scheme" "ldap://HOST or ldaps://HOST" -- audit -H http://dc
expect 2 "timeout 0" "--timeout takes a number from 1" -- audit -H ldap://dc --timeout 0
expect 2 "timeout junk" "--timeout takes a number" -- audit -H ldap://dc --timeout 5s
expect 2 "deadline 0" "--deadline takes a number from 1 to 604800" -- audit -H ldap://dc --deadline 0
expect 2 "deadline over a week" "--deadline takes a number" -- collect -H ldap://dc -o x --deadline 604801
expect 2 "page size too big" "--page-size takes" -- audit -H ldap://dc --page-size 100001
expect 2 "page size sign" "--page-size takes" -- audit -H ldap://dc --page-size +5
expect 2 "range step empty" "--range-step takes" -- audit -H ldap://dc --range-step ''
expect 2 "password file alone" "goes with --simple-bind" -- audit -H ldaps://dc --password-file f
expect 2 "collect has no --format" "unknown option" -- collect -H ldap://dc -o x -f json
uris=()
for i in $(seq 17); do uris+=(-H "ldap://d$i"); done
expect 2 "seventeen URIs" "at most 16" -- audit "${uris[@]}"
"$kdeleg" audit --help | grep -q -- "--simple-bind DN|UPN" || fail "--help lacks the connection options"
"$kdeleg" --help | grep -q "collect " || fail "--help lacks collect"
"$kdeleg" collect --help | grep -q -- "--deadline SECONDS" || fail "--help lacks --deadline"

# ---- refused before a packet or a prompt: exit 3 ----
expect 3 "simple bind over ldap://" "refusing a simple bind over ldap://" -- \
    audit -H ldap://127.0.0.1:1 --simple-bind a@b
expect 3 "simple bind, one plain URI of two" "refusing a simple bind" -- \
    audit -H ldaps://127.0.0.1:1 -H ldap://127.0.0.1:2 --simple-bind a@b
expect 3 "StartTLS on ldaps://" "ldaps:// is TLS already" -- \
    audit -H ldaps://127.0.0.1:1 --starttls
expect 3 "Kerberos over unverified TLS" "refusing Kerberos over unverified TLS" -- \
    audit -H ldaps://127.0.0.1:1 --insecure-tls
expect 3 "Kerberos over unverified StartTLS" "refusing Kerberos over unverified TLS" -- \
    audit -H ldap://127.0.0.1:1 --starttls --insecure-tls
expect 3 "missing CA file" "cannot read the CA file" -- \
    audit -H ldaps://127.0.0.1:1 --ca-file "$work/none.pem"
expect 3 "missing password file" "cannot open the password file" -- \
    audit -H ldaps://127.0.0.1:1 --simple-bind a@b --password-file "$work/none"
: >"$work/empty"
expect 3 "empty password file" "empty password" -- \
    audit -H ldaps://127.0.0.1:1 --simple-bind a@b --password-file "$work/empty"
checks=$((checks + 1))
KDELEG_PASSWORD='' "$kdeleg" audit -H ldaps://127.0.0.1:1 --simple-bind a@b >"$work/out" 2>"$work/err" </dev/null
rc=$?
if [ $rc -ne 3 ] || ! grep -q "empty password" "$work/err"; then
    fail "empty KDELEG_PASSWORD: exit $rc: $(cat "$work/err")"
fi
# no terminal to prompt on (setsid: no controlling terminal)
checks=$((checks + 1))
setsid "$kdeleg" audit -H ldaps://127.0.0.1:1 --simple-bind a@b >"$work/out" 2>"$work/err" </dev/null
rc=$?
if [ $rc -ne 3 ] || ! grep -q "no terminal to ask on" "$work/err"; then
    fail "no password and no terminal: exit $rc: $(cat "$work/err")"
fi

# ---- no DC: exit 3 naming it, nothing written ----
expect 3 "nothing listens" "ldap://127.0.0.1:1: cannot connect" -- audit -H ldap://127.0.0.1:1 -f json
expect 3 "two URIs, none answers" "the 1 URIs before failed too" -- \
    audit -H ldap://127.0.0.1:1 -H ldap://127.0.0.1:2
expect 3 "collect from no DC" "cannot connect" -- collect -H ldap://127.0.0.1:1 -o "$work/snap.ldif"
[ -e "$work/snap.ldif" ] && fail "collect from no DC left a snapshot"
ls "$work"/snap.ldif.tmp.* >/dev/null 2>&1 && fail "collect from no DC left a temp file"
# the output is checked before anything is sent (127.0.0.1:1 would say "cannot connect")
expect 3 "collect into a missing directory" "cannot create a file next to it" -- \
    collect -H ldap://127.0.0.1:1 -o "$work/none/snap.ldif"
expect 3 "collect into a directory" "Is a directory" -- collect -H ldap://127.0.0.1:1 -o "$work"

check_done live-cli
