#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kdeleg against a hostile or broken DC (tests/cli/hostile-dc.py, hand-made BER, LDAPS
# with a throwaway CA made here): it must not hang, spin, grow, downgrade TLS, send the
# password where it should not, print it, or leave a partial snapshot behind (issue 15).
# Every case asserts the exit status, a wall-time bound, a CPU bound where the peer is
# silent, a peak-RSS bound and what is left on disk.
# Usage: test-hostile.sh KDELEG SOURCE_ROOT (needs python3, openssl, GNU time; else 77)
set -u
kdeleg=$1
top=$2
. "$top/tests/check.sh"
check_init
export LDAPNOINIT=1 # no ldap.conf, ~/.ldaprc or LDAP* variable
# for an ASan build: libldap's leak of one GnuTLS priority per TLS connection
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
unset KDELEG_PASSWORD
dc=$top/tests/cli/hostile-dc.py
for tool in "$py" openssl /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "test-hostile: $tool is missing, skipped"; exit 77; }
done
# peak RSS and CPU bounds; ASan's shadow memory counts in the RSS, its checks cost CPU
rss_max=60000
cpu_silent=0.30
if ldd "$kdeleg" 2>/dev/null | grep -q libasan; then
    rss_max=150000
    cpu_silent=0.60
fi
pw='Hunter2-Tr0ub4dor'

# ---- a throwaway CA and the DC's certificate (CN and subjectAltName 127.0.0.1) ----
pki=$work/pki
mkdir -p "$pki"
(
    cd "$pki" &&
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 \
            -subj "/CN=kdeleg hostile test CA" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign" &&
        openssl req -newkey rsa:2048 -nodes -keyout dc.key -out dc.csr -subj "/CN=127.0.0.1" &&
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext &&
        openssl x509 -req -in dc.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out dc.pem \
            -days 1 -extfile ext
) >"$work/pki.log" 2>&1 || { cat "$work/pki.log"; fail "cannot make the test CA"; check_done hostile; exit 1; }

server_pid=
stop_server() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    server_pid=
}
trap 'stop_server; rm -rf "$work"' EXIT

# serve SCENARIO TLS [SERVER ARGS...]: a fresh server; sets $uri and $log.
serve() {
    local scenario=$1 tls=$2 scheme=ldap
    shift 2
    stop_server
    log=$work/server-$scenario.log
    rm -f "$work/port" "$log"
    "$py" -W ignore "$dc" serve "$scenario" --tls "$tls" --cert "$pki/dc.pem" \
        --key "$pki/dc.key" --port-file "$work/port" --log "$log" "$@" &
    server_pid=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    [ "$tls" = ldaps ] && scheme=ldaps
    uri=$scheme://127.0.0.1:$(cat "$work/port")
}

# measure [--signal SIG --after S] -- ARGS...: kdeleg ARGS with the password in the
# environment, stdout and stderr in $work/out and $work/err; sets rc wall cpu rss.
measure() {
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    KDELEG_PASSWORD=$pw "$py" "$dc" run --stats "$work/stats" --limit 15 "${opts[@]}" -- \
        "$kdeleg" "$@" >"$work/out" 2>"$work/err" </dev/null
    read -r rc wall cpu rss <"$work/stats"
}

# within WHAT VALUE MAX: VALUE <= MAX (decimals)
within() {
    awk -v v="$2" -v m="$3" 'BEGIN { exit !(v <= m) }' || fail "$1: $2 > $3"
}

# hostile NAME SCENARIO TLS WALL CPU PATTERN -- KDELEG ARGS...: a fresh server and an empty
# $out, kdeleg ARGS (@URI@ stands for the server's URI), then: exit 3, PATTERN on stderr,
# wall <= WALL s, CPU <= CPU s (- for no bound), peak RSS <= $rss_max KB, nothing left in
# $out, nothing on stdout.
out=$work/out.d
hostile() {
    local name=$1 scenario=$2 tls=$3 max_wall=$4 max_cpu=$5 pattern=$6
    shift 7
    checks=$((checks + 1))
    serve "$scenario" "$tls"
    rm -rf "$out"
    mkdir "$out"
    measure -- "${@//@URI@/$uri}"
    [ "$rc" -eq 3 ] || fail "$name: exit $rc, expected 3 ($(head -c 300 "$work/err"))"
    grep -q -- "$pattern" "$work/err" || fail "$name: '$pattern' not in: $(head -c 300 "$work/err")"
    within "$name: wall s" "$wall" "$max_wall"
    [ "$max_cpu" = - ] || within "$name: CPU s" "$cpu" "$max_cpu"
    within "$name: peak RSS KB" "$rss" "$rss_max"
    [ -z "$(ls -A "$out")" ] || fail "$name: left on disk: $(ls -A "$out")"
    [ ! -s "$work/out" ] || fail "$name: stdout not empty: $(head -c 200 "$work/out")"
    printf '  %-34s exit %s  wall %6.2f s  cpu %5.2f s  rss %6d KB\n' "$name" "$rc" "$wall" \
        "$cpu" "$rss"
}
sb=(--simple-bind alice@lab.test --ca-file "$pki/ca.pem")
snap=$out/snap.ldif

echo "1. every wait bounded by kdeleg (--timeout, --deadline), without spinning"
hostile "silent TLS handshake" tls-silent ldaps 3 "$cpu_silent" \
    "TLS handshake failed: no answer from the DC within 1 s" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 1
hostile "ServerHello a byte a second" tls-drip ldaps 4 "$cpu_silent" \
    "TLS handshake failed: no answer from the DC within 2 s" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 2
hostile "StartTLS accepted, then silence" starttls-silent none 3 "$cpu_silent" \
    "StartTLS failed: no answer" -- \
    collect -H @URI@ --starttls "${sb[@]}" -o "$snap" --timeout 1
hostile "bind never answered" bind-silent ldaps 3 "$cpu_silent" \
    "simple bind as 'alice@lab.test' failed: no answer" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 1
hostile "search never answered" search-silent ldaps 3 "$cpu_silent" \
    "collecting 'accounts' failed after 0 entries (page 1): no answer" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 1
hostile "a message a byte every 0.5 s" pdu-drip ldaps 4 "$cpu_silent" \
    "no answer from the DC within 2 s" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 2
hostile "an entry a second (--deadline)" entry-drip ldaps 4 "$cpu_silent" \
    "the whole run's --deadline of 2 s passed" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --timeout 5 --deadline 2

echo "2. paging and ranges progress, or the run fails"
hostile "empty pages of references" ref-pages ldaps 5 - \
    "16 pages in a row without a new entry" -- collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "the same page forever" same-page ldaps 3 - \
    "the DC sent this entry twice" -- collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "ranges of one value" range-trickle ldaps 3 - \
    "range 0-0 brings 1 values where at least 100 are expected" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap"

echo "3. memory bounded per message"
hostile "a 2 GiB message announced" huge-2g ldaps 3 - \
    "longer than kdeleg's limit of 64 MiB" -- collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "a 4 GiB message announced" huge-4g ldaps 3 - \
    "longer than kdeleg's limit of 64 MiB" -- collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "entries answering the rootDSE read" rootdse-flood ldaps 3 - \
    "rootDSE read with a second entry" -- collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "entries answering the bind" bind-flood ldaps 3 - \
    "answered the bind with an LDAP message of type 0x64" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap"

echo "4. TLS 1.2 at least: the password never goes to a TLS 1.0/1.1 server"
tls_old() { # tls_old NAME TLS ARGS...
    local name=$1 tls=$2
    shift 2
    checks=$((checks + 1))
    serve normal "$tls" --tls-max 1.1
    rm -rf "$out" && mkdir "$out"
    measure -- collect -H "$uri" "$@" "${sb[@]}" -o "$snap"
    [ "$rc" -eq 3 ] || fail "$name: exit $rc, expected 3 ($(head -c 300 "$work/err"))"
    grep -q "TLS 1.2 or newer is required" "$work/err" || fail "$name: $(head -c 300 "$work/err")"
    grep -q "^bind" "$log" && fail "$name: the server received a bind: $(grep '^bind' "$log")"
    grep -q -- "$pw" "$log" && fail "$name: the password reached the server"
    within "$name: wall s" "$wall" 3
    within "$name: peak RSS KB" "$rss" "$rss_max"
    [ -z "$(ls -A "$out")" ] || fail "$name: left on disk: $(ls -A "$out")"
    printf '  %-34s exit %s  wall %6.2f s  cpu %5.2f s  rss %6d KB\n' "$name" "$rc" "$wall" \
        "$cpu" "$rss"
}
tls_old "ldaps:// offering TLS 1.0-1.1" ldaps
tls_old "StartTLS offering TLS 1.0-1.1" none --starttls

echo "5. a snapshot is complete or refused"
# the DC drops the connection on page 2; stdout is a pipe to cat
checks=$((checks + 1))
serve drop-page2 ldaps
KDELEG_PASSWORD=$pw "$kdeleg" collect -H "$uri" "${sb[@]}" -o /dev/stdout --page-size 2 \
    2>"$work/err" </dev/null | cat >"$work/piped.ldif"
[ "${PIPESTATUS[0]}" -eq 3 ] || fail "drop on page 2 into a pipe: exit ${PIPESTATUS[0]}"
[ ! -s "$work/piped.ldif" ] || fail "drop on page 2: the pipe got $(wc -c <"$work/piped.ldif") bytes"
grep -q "lost the connection" "$work/err" || fail "drop on page 2: $(cat "$work/err")"
expect 3 "audit of what the pipe got" -- audit --ldif "$work/piped.ldif"
# the same into a FIFO with a reader waiting
checks=$((checks + 1))
mkfifo "$work/fifo"
cat "$work/fifo" >"$work/fifo.out" &
reader=$!
KDELEG_PASSWORD=$pw "$kdeleg" collect -H "$uri" "${sb[@]}" -o "$work/fifo" --page-size 2 \
    >/dev/null 2>&1 </dev/null
rc=$?
wait "$reader"
[ "$rc" -eq 3 ] || fail "drop on page 2 into a FIFO: exit $rc"
[ ! -s "$work/fifo.out" ] || fail "drop on page 2: the FIFO got $(wc -c <"$work/fifo.out") bytes"
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
# a complete collection ends with its trailer; cut anywhere before it, it is refused
serve normal ldaps
rm -rf "$out" && mkdir "$out"
measure -- collect -H "$uri" "${sb[@]}" -o "$snap" --page-size 2 --range-step 2
checks=$((checks + 1))
[ "$rc" -eq 0 ] || fail "a normal DC: exit $rc ($(head -c 300 "$work/err"))"
[ "$(tail -n 1 "$snap")" = "# kdeleg collect complete: 7 entries" ] ||
    fail "no trailer: $(tail -n 2 "$snap")"
[ "$(ls -A "$out")" = snap.ldif ] || fail "a normal collection left: $(ls -A "$out")"
expect 0 "audit of a complete snapshot" -- audit --ldif "$snap" -f json
grep -q '"complete": true' "$work/out" || fail "the complete snapshot is not complete"
head -n -1 "$snap" >"$work/cut.ldif"
expect 3 "audit of a snapshot without its trailer" -- audit --ldif "$work/cut.ldif"
has err "ends without its trailer" "snapshot without its trailer"
awk '/^dn: CN=web01/ { skip = 1 } skip && /^$/ { skip = 0; next } !skip' "$snap" >"$work/lost.ldif"
expect 3 "audit of a snapshot that lost an entry" -- audit --ldif "$work/lost.ldif"
has err "counts 7 entries, the snapshot has 6" "snapshot that lost an entry"
{ cat "$snap"; printf 'dn: CN=x,DC=lab,DC=test\nobjectClass: user\n\n'; } >"$work/more.ldif"
expect 3 "audit of a snapshot with an entry after its trailer" -- audit --ldif "$work/more.ldif"
# ldapsearch's snapshots (no kdeleg header) need no trailer
grep -v '^# kdeleg' "$work/cut.ldif" >"$work/plain.ldif"
expect 0 "audit of a snapshot without kdeleg's header" -- audit --ldif "$work/plain.ldif"

echo "6. -o follows links; /dev/stdout and /proc/self/fd/N are the descriptor"
serve normal ldaps
checks=$((checks + 1))
ln -s /proc/self/fd/1 "$work/to-stdout"
KDELEG_PASSWORD=$pw "$kdeleg" collect -H "$uri" "${sb[@]}" -o "$work/to-stdout" \
    >"$work/via-link.ldif" 2>"$work/err" </dev/null || fail "-o link to fd 1: $(cat "$work/err")"
[ -L "$work/to-stdout" ] || fail "-o link to fd 1 replaced the link"
[ "$(tail -n 1 "$work/via-link.ldif")" = "# kdeleg collect complete: 7 entries" ] ||
    fail "-o link to fd 1: stdout got $(wc -c <"$work/via-link.ldif") bytes"
checks=$((checks + 1))
echo old >"$work/target.ldif"
ln -s target.ldif "$work/link.ldif"
KDELEG_PASSWORD=$pw "$kdeleg" collect -H "$uri" "${sb[@]}" -o "$work/link.ldif" \
    >/dev/null 2>"$work/err" </dev/null || fail "-o link to a file: $(cat "$work/err")"
[ -L "$work/link.ldif" ] || fail "-o link to a file replaced the link"
[ "$(tail -n 1 "$work/target.ldif")" = "# kdeleg collect complete: 7 entries" ] ||
    fail "-o link to a file: the target was not written"
ls "$work"/target.ldif.tmp.* "$work"/link.ldif.tmp.* >/dev/null 2>&1 && fail "-o link left a temp file"
# as an ordinary user, who cannot create files in /dev
checks=$((checks + 1))
as_user=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$work" && chmod 644 "$pki/ca.pem"
    # a build tree the user cannot reach (a 0700 home): as root, then
    "${as_user[@]}" "$kdeleg" --version >/dev/null 2>&1 || {
        echo "  note: nobody cannot run $kdeleg; -o /dev/stdout checked as root"
        as_user=()
    }
fi
KDELEG_PASSWORD=$pw "${as_user[@]}" "$kdeleg" collect -H "$uri" "${sb[@]}" -o /dev/stdout \
    >"$work/as-user.ldif" 2>"$work/err" </dev/null || fail "-o /dev/stdout as a user: $(cat "$work/err")"
[ "$(tail -n 1 "$work/as-user.ldif")" = "# kdeleg collect complete: 7 entries" ] ||
    fail "-o /dev/stdout as a user: $(head -c 300 "$work/err")"
hostile "-o a link to fd 1, DC drops" drop-page2 ldaps 3 - "lost the connection" -- \
    collect -H @URI@ "${sb[@]}" -o "$work/to-stdout" --page-size 2

echo "7. collect checks what audit checks, and its output before the network"
hostile "one DN twice" dup-dn ldaps 3 - "the DC sent this entry twice" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "no accounts" no-accounts ldaps 3 - "no accounts in 4 entries" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap"
hostile "output directory missing" normal ldaps 3 - "cannot create a file next to it" -- \
    collect -H @URI@ "${sb[@]}" -o "$out/missing/snap.ldif"
grep -q connection "$log" && fail "output directory missing: the DC was contacted"

echo "7b. several connections (--connections): each checked, any failure the run's"
hostile "second connection refused" usn-peer-refused ldaps 3 - "connection 2 of 3" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --connections 3
hostile "second connection dropped" usn-peer-drop ldaps 3 - "connection 2 of 2" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --connections 2
hostile "second connection, another DC" usn-peer-other-dc ldaps 3 - \
    "reached another domain controller" -- collect -H @URI@ "${sb[@]}" -o "$snap" --connections 2
hostile "uSN ranges that overlap" usn-overlap ldaps 3 - "in two uSNChanged ranges" -- \
    collect -H @URI@ "${sb[@]}" -o "$snap" --connections 2
# the first connection reads two ranges while the second's answer is late: the same DN
# in both is still the ranges' overlap, not a paging loop of that connection
hostile "overlap, one connection two ranges" usn-overlap-slow-peer ldaps 5 - \
    "in two uSNChanged ranges" -- collect -H @URI@ "${sb[@]}" -o "$snap" --connections 2

echo "8. ranges of another entry, the password in a DC's text, signals"
hostile "a range answer naming another DN" range-other-dn ldaps 3 - \
    "names another entry" -- collect -H @URI@ "${sb[@]}" -o "$snap" --range-step 2
hostile "a DC echoing the password" echo-password ldaps 3 - \
    "Invalid credentials (49)" -- collect -H @URI@ "${sb[@]}" -o "$snap"
grep -qi -- "${pw:0:5}" "$work/err" && fail "the password (or a piece) is on stderr: $(cat "$work/err")"
grep -q -- "$(printf %s "$pw" | base64)" "$work/err" && fail "the password's base64 is on stderr"
grep -q '\*\*\*' "$work/err" || fail "nothing masked: $(cat "$work/err")"
serve search-silent ldaps
for sig in INT TERM HUP QUIT USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF ABRT; do
    checks=$((checks + 1))
    rm -rf "$out" && mkdir "$out"
    measure --signal "SIG$sig" --after 0.3 -- collect -H "$uri" "${sb[@]}" -o "$snap"
    num=$(kill -l "$sig")
    [ "$rc" -eq "-$num" ] || fail "SIG$sig: exit $rc, expected to die of signal $num"
    [ -z "$(ls -A "$out")" ] || fail "SIG$sig: left on disk: $(ls -A "$out")"
done
echo "  13 signals: each ends kdeleg by itself, nothing left on disk"

stop_server
check_done hostile
