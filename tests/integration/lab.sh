# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# A throwaway Samba AD DC for integration tests: provisioned in its own network namespace,
# populated with delegation scenarios, torn down without a trace. Source it from bash:
#
#     . "$top/tests/integration/lab.sh"
#     lab_check || exit $?          # 77 (skip) when this machine cannot run a lab
#     lab_trap                      # any exit, error or signal tears the lab down
#     lab_up                        # provision, start, wait, kinit Administrator
#     lab_populate                  # the scenarios of populate.py (optional)
#     lab_exec kdeleg ...           # run a client inside the namespace
#     lab_down                      # or let the trap do it
#
# Needs root (ip netns, the DC's 0700 private directory) and the Debian packages in
# scripts/common.sh's KD_LAB_PKGS. Facts behind the choices: /work/shared/samba-lab.md.
#
# Configuration (environment, read by lab_up):
#   KD_LAB_NS       namespace name (default kdeleg-lab-PID, PID of the sourcing shell)
#   KD_LAB_DIR      working directory; created, must be empty (default mktemp -d)
#   KD_LAB_KEEP     1 keep the directory, 0 remove it; unset: keep it only after a failure
#   KD_LAB_TIMEOUT  seconds to wait for the DC to answer after a start (default 120)
#   KD_LAB_OPTIONS  extra smb.conf [global] options, one "name = value" per line
#   KD_LAB_REQUIRE  1: lab_check fails (1) instead of skipping (77); CI sets it
#   KD_LAB_QUIET    1: no progress lines on stderr
#
# Variables lab_up sets and exports:
#   LAB_NS LAB_DIR          the namespace and the working directory
#   LAB_REALM LAB_DOMAIN    LAB.TEST, LAB (NetBIOS)
#   LAB_HOST LAB_FQDN LAB_IP  dc1, dc1.lab.test, 10.53.0.10 (inside the namespace only)
#   LAB_URI                 ldap://dc1.lab.test (GSSAPI needs the name, the certificate too)
#   LAB_BASE LAB_CONFIG_BASE  DC=lab,DC=test and CN=Configuration,DC=lab,DC=test
#   LAB_DOMAIN_SID          fixed (provision --domain-sid): RIDs follow creation order
#   LAB_ADMIN LAB_ADMIN_PASS  Administrator and its password
#   LAB_USER_PASS LAB_MACHINE_PASS  passwords populate.py gives users / computers
#   LAB_CA                  the DC's self-made TLS CA (private/tls/ca.pem; CN=DC1.lab.test)
#   LAB_SMBCONF LAB_PRIVATE LAB_SAM LAB_PARTITION  smb.conf, private dir, sam.ldb, and the
#                           domain partition's file (for writes below samldb)
#   LAB_KRB5_CONFIG LAB_CCACHE  client krb5.conf and Administrator's ticket cache
#   LAB_LOG                 everything the lab ran (printed on failure)
#   LAB_MANIFEST            after lab_populate: JSON, account -> dn, sid, kind, password;
#                           trusts; "expect": the write rights and other cases to find
#
# Functions (all return 0 on success, non-zero with a message on stderr otherwise):
#   lab_check               can this machine run a lab? 0, or 77 (skip) / 1 (KD_LAB_REQUIRE)
#   lab_up                  namespace, provision, start, wait for rootDSE + KDC, kinit
#   lab_populate            populate.py (accounts, delegation, RBCD, duplicate SPNs, gMSA,
#                           write rights set with samba-tool dsacl, trusts)
#   lab_expect_rights REPORT  the JSON report has exactly the rbcd-writable writers,
#                           machine-account-quota, trust-tgt-delegation and stale-admincount
#                           findings populate.py set up (the manifest's "expect"), and no
#                           account is tier 0 only through adminCount; failures on stderr
#   lab_exec CMD...         CMD inside the namespace with the client environment:
#                           KRB5_CONFIG, KRB5CCNAME (a bare path), _NO_WINBINDD=1 and
#                           LDAPNOINIT=1 (libldap reads no ldap.conf, ldaprc or LDAP*
#                           variable: pass everything explicitly). ldapsearch over TLS
#                           needs a variable for the CA: lab_exec env -u LDAPNOINIT
#                           LDAPTLS_CACERT="$LAB_CA" ldapsearch -H ldaps://$LAB_FQDN ...
#   lab_ldapsearch ARGS...  ldapsearch -Q -LLL -o ldif-wrap=no -Y GSSAPI -H $LAB_URI ARGS
#   lab_kinit PRINC PASS [CCACHE]  a ticket (default cache: LAB_CCACHE)
#   lab_samba_tool ARGS...  samba-tool on the lab's local database (no -H)
#   lab_set_option 'name = value'  sets an smb.conf option; takes effect at the next start
#   lab_stop_dc             SIGTERM to the DC's pid file, wait for every DC process
#   lab_kill_dc [SIGNAL]    the whole DC process group at once (default KILL), no cleanup:
#                           for "DC died mid-search" tests; lab_start_dc brings it back
#   lab_start_dc            start and wait until LDAP and the KDC answer
#   lab_restart_dc          stop + start
#   lab_dc_pid              the DC's root process id, if it runs
#   lab_down [STATUS]       stop everything, delete the namespace, remove the directory
#                           (kept when STATUS != 0 unless KD_LAB_KEEP=0); idempotent
#   lab_trap [CMD]          EXIT/INT/TERM/HUP traps: run CMD, then lab_down with the status
#   lab_fail MSG            MSG (and the DC log's tail) on stderr; marks the lab failed, so
#                           lab_down keeps the directory; returns 1

_lab_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

LAB_REALM=LAB.TEST
LAB_DOMAIN=LAB
LAB_HOST=dc1
LAB_FQDN=dc1.lab.test
LAB_IP=10.53.0.10
LAB_URI=ldap://$LAB_FQDN
LAB_BASE=DC=lab,DC=test
LAB_CONFIG_BASE=CN=Configuration,$LAB_BASE
LAB_DOMAIN_SID=S-1-5-21-2718281828-3141592653-1618033988
LAB_ADMIN=Administrator
LAB_ADMIN_PASS=${KD_LAB_ADMIN_PASS:-Kdeleg-Lab-Admin1!}
LAB_USER_PASS=Kdeleg-User-Pass1!
LAB_MACHINE_PASS=Kdeleg-Machine-Pass1!
export LAB_REALM LAB_DOMAIN LAB_HOST LAB_FQDN LAB_IP LAB_URI LAB_BASE LAB_CONFIG_BASE \
    LAB_DOMAIN_SID LAB_ADMIN LAB_ADMIN_PASS LAB_USER_PASS LAB_MACHINE_PASS

# What the lab needs besides samba: "command package" pairs, for lab_check's message.
_lab_tools="ip:iproute2 samba:samba samba-tool:samba ldapsearch:ldap-utils kinit:krb5-user"

_lab_now() { date +%s.%N; }
_lab_since() { awk -v a="$1" -v b="$(_lab_now)" 'BEGIN { printf "%.1f", b - a }'; }

# lab_log MSG: a progress line on stderr (and in the lab log).
lab_log() {
    [ "${KD_LAB_QUIET:-0}" = 1 ] || echo "lab: $*" >&2
    [ -n "${LAB_LOG:-}" ] && [ -d "${LAB_DIR:-/nonexistent}" ] && echo "== lab: $*" >>"$LAB_LOG"
    return 0
}

lab_fail() {
    echo "lab: error: $*" >&2
    _lab_failed=1
    if [ -n "${LAB_DIR:-}" ] && [ -s "$LAB_DIR/log/samba.log" ]; then
        echo "---- last lines of $LAB_DIR/log/samba.log ----" >&2
        tail -n 20 "$LAB_DIR/log/samba.log" >&2
    fi
    return 1
}

# _lab_error MSG: a failure of the lab itself, with the tail of everything it ran.
_lab_error() {
    if [ -n "${LAB_LOG:-}" ] && [ -s "$LAB_LOG" ]; then
        echo "---- last lines of $LAB_LOG ----" >&2
        tail -n 60 "$LAB_LOG" >&2
    fi
    lab_fail "$@"
}

# _lab_run WHAT CMD...: CMD with its output in the lab log; on failure, say WHAT failed.
_lab_run() {
    local what=$1
    shift
    echo "== $what: $*" >>"$LAB_LOG"
    "$@" >>"$LAB_LOG" 2>&1 || _lab_error "$what failed (exit $?)"
}

lab_check() {
    local why="" t cmd pkg
    local skip=77
    [ "${KD_LAB_REQUIRE:-0}" = 1 ] && skip=1
    [ "$(id -u)" -eq 0 ] || why="not root (ip netns and the DC's private directory need it)"
    if [ -z "$why" ]; then
        for t in $_lab_tools; do
            cmd=${t%%:*} pkg=${t#*:}
            command -v "$cmd" >/dev/null 2>&1 || why="$why ${cmd} (${pkg})"
        done
        /usr/bin/python3 -c 'import samba.samdb' 2>/dev/null || why="$why samba-python (python3-samba)"
        compgen -G "/usr/lib/*/sasl2/libgssapiv2.so*" >/dev/null ||
            why="$why SASL GSSAPI (libsasl2-modules-gssapi-mit)"
        [ -z "$why" ] || why="missing:$why"
    fi
    if [ -z "$why" ]; then
        local probe=kdeleg-probe-$$
        if ip netns add "$probe" 2>/dev/null; then
            ip netns del "$probe"
        else
            why="cannot create a network namespace (needs CAP_SYS_ADMIN)"
        fi
    fi
    [ -z "$why" ] && return 0
    if [ "$skip" = 77 ]; then
        echo "lab: skipped: $why" >&2
    else
        echo "lab: error: KD_LAB_REQUIRE=1 but $why" >&2
    fi
    return "$skip"
}

lab_exec() {
    [ -n "${LAB_NS:-}" ] || { echo "lab: lab_exec before lab_up" >&2; return 1; }
    ip netns exec "$LAB_NS" env KRB5_CONFIG="$LAB_KRB5_CONFIG" KRB5CCNAME="$LAB_CCACHE" \
        _NO_WINBINDD=1 LDAPNOINIT=1 "$@"
}

# lab_test_begin NAME: what an integration script does first: the lab up and populated
# (exit 77 when none can run here, 1 when that fails), $w its scratch directory
# $LAB_DIR/NAME, tests/check.sh loaded (fail and the counters; the lab keeps its own trap).
# Needs $top, the source tree.
lab_test_begin() {
    lab_check || exit $?
    lab_trap
    lab_up || exit 1
    lab_populate || exit 1
    w=$LAB_DIR/$1
    mkdir -p "$w"
    # for an ASan build of kdeleg: a leak inside Cyrus SASL's GSSAPI plugin
    export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    . "$top/tests/check.sh"
}

# kd ARGS...: $kdeleg in the namespace, stdin /dev/null; stdout $w/out, stderr $w/err,
# status $rc, one more check (the caller sets kdeleg and w, and sources tests/check.sh).
# ok WHAT: a failure unless that exit was 0. test-live.sh has its own kd (it keeps JSON).
kd() {
    checks=$((checks + 1))
    lab_exec "$kdeleg" "$@" >"$w/out" 2>"$w/err" </dev/null
    rc=$?
}
ok() { [ "$rc" -eq 0 ] || fail "$1: exit $rc: $(head -c 400 "$w/err")"; }

lab_ldapsearch() {
    lab_exec ldapsearch -Q -LLL -o ldif-wrap=no -Y GSSAPI -H "$LAB_URI" "$@"
}

lab_kinit() {
    local princ=$1 pass=$2 cache=${3:-$LAB_CCACHE}
    printf '%s\n' "$pass" | lab_exec env KRB5CCNAME="$cache" kinit "$princ" >>"$LAB_LOG" 2>&1
}

lab_samba_tool() {
    lab_exec samba-tool "$@" --configfile="$LAB_SMBCONF"
}

lab_set_option() {
    local line=$1 name
    name=$(echo "${line%%=*}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    if [ -z "$name" ] || [ "$name" = "$line" ]; then
        echo "lab: bad option '$line' (name = value)" >&2
        return 1
    fi
    awk -v name="$name" -v line="$line" '
        function norm(s) { s = tolower(s); gsub(/[[:space:]]+/, " ", s); return s }
        /^[[:space:]]*\[/ { sect = tolower($0) }
        sect ~ /\[global\]/ && index($0, "=") &&
            norm(substr($0, 1, index($0, "=") - 1)) ~ ("^ ?" norm(name) " ?$") { next }
        { print }
        /^[[:space:]]*\[global\][[:space:]]*$/ { print "\t" line }
    ' "$LAB_SMBCONF" >"$LAB_SMBCONF.new" && mv "$LAB_SMBCONF.new" "$LAB_SMBCONF"
}

# The DC's root process, only if it is alive and inside our namespace (a stale pid file
# may name a reused pid).
lab_dc_pid() {
    local pid
    [ -n "${LAB_DIR:-}" ] && [ -s "$LAB_DIR/run/samba.pid" ] || return 1
    pid=$(tr -dc '0-9' <"$LAB_DIR/run/samba.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    [ "$(ip netns identify "$pid" 2>/dev/null)" = "$LAB_NS" ] || return 1
    echo "$pid"
}

# _lab_wait_gone PGID SECONDS: until no process of the group is left.
_lab_wait_gone() {
    local pgid=$1 deadline
    deadline=$(($(date +%s) + $2))
    while kill -0 -- "-$pgid" 2>/dev/null; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

lab_start_dc() {
    local t0 deadline ok=0
    t0=$(_lab_now)
    if lab_dc_pid >/dev/null; then
        echo "lab: the DC already runs" >&2
        return 1
    fi
    rm -f "$LAB_DIR/run/samba.pid"
    # samba daemonises (setsid: its own process group) and writes run/samba.pid.
    _lab_run "samba start" ip netns exec "$LAB_NS" env -u KRB5CCNAME -u KRB5_CONFIG \
        -u _NO_WINBINDD samba --configfile="$LAB_SMBCONF" || return 1
    deadline=$(($(date +%s) + ${KD_LAB_TIMEOUT:-120}))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        # The rootDSE answers anonymously; then the KDC's TCP port.
        if lab_exec ldapsearch -x -LLL -H "$LAB_URI" -s base -b '' dnsHostName \
            >/dev/null 2>&1 &&
            lab_exec bash -c "exec 3<>/dev/tcp/$LAB_IP/88" 2>/dev/null; then
            ok=1
            break
        fi
        if [ -s "$LAB_DIR/run/samba.pid" ] && ! lab_dc_pid >/dev/null; then
            _lab_error "samba exited during start-up"
            return 1
        fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || {
        _lab_error "the DC did not answer on $LAB_URI within ${KD_LAB_TIMEOUT:-120} s"
        return 1
    }
    lab_log "DC answering after $(_lab_since "$t0") s"
}

lab_stop_dc() {
    local pid
    pid=$(lab_dc_pid) || return 0
    kill -TERM "$pid" 2>/dev/null
    # The children follow their root; a DC that does not stop in 30 s is killed.
    if ! _lab_wait_gone "$pid" 30; then
        echo "lab: the DC ignored SIGTERM for 30 s, killing its process group $pid" >&2
        kill -KILL -- "-$pid" 2>/dev/null
        _lab_wait_gone "$pid" 10 || { echo "lab: DC processes survive SIGKILL" >&2; return 1; }
    fi
}

lab_kill_dc() {
    local sig=${1:-KILL} pid
    pid=$(lab_dc_pid) || { echo "lab: lab_kill_dc: the DC is not running" >&2; return 1; }
    kill -"$sig" -- "-$pid" || return 1
    case $sig in
    KILL | 9 | SIGKILL) _lab_wait_gone "$pid" 10 ;;
    esac
}

lab_restart_dc() {
    lab_stop_dc && lab_start_dc
}

lab_up() {
    local t0 t opts=() line
    [ -z "${LAB_NS:-}" ] || { echo "lab: lab_up: a lab is already up ($LAB_NS)" >&2; return 1; }
    _lab_failed=0
    t0=$(_lab_now)
    LAB_NS=${KD_LAB_NS:-kdeleg-lab-$$}
    if [ -n "${KD_LAB_DIR:-}" ]; then
        LAB_DIR=$KD_LAB_DIR
        if ! mkdir -p "$LAB_DIR" || [ -n "$(ls -A "$LAB_DIR")" ]; then
            echo "lab: KD_LAB_DIR $LAB_DIR is not an empty directory" >&2
            LAB_NS=
            return 1
        fi
        LAB_DIR=$(cd "$LAB_DIR" && pwd)
    else
        LAB_DIR=$(mktemp -d /tmp/kdeleg-lab.XXXXXX) || { LAB_NS=; return 1; }
    fi
    LAB_LOG=$LAB_DIR/lab.log
    LAB_SMBCONF=$LAB_DIR/dc/etc/smb.conf
    LAB_PRIVATE=$LAB_DIR/dc/private
    LAB_SAM=$LAB_PRIVATE/sam.ldb
    LAB_PARTITION="$LAB_PRIVATE/sam.ldb.d/DC=LAB,DC=TEST.ldb"
    LAB_CA=$LAB_PRIVATE/tls/ca.pem
    LAB_KRB5_CONFIG=$LAB_DIR/krb5.conf
    LAB_CCACHE=$LAB_DIR/ccache
    LAB_MANIFEST=$LAB_DIR/manifest.json
    export LAB_NS LAB_DIR LAB_LOG LAB_SMBCONF LAB_PRIVATE LAB_SAM LAB_PARTITION LAB_CA \
        LAB_KRB5_CONFIG LAB_CCACHE LAB_MANIFEST
    : >"$LAB_LOG"
    # Unix sockets are not confined by the namespace and must stay under 108 bytes.
    [ ${#LAB_DIR} -le 60 ] || lab_log "warning: long directory; samba's sockets may not fit"
    mkdir -p "$LAB_DIR/run" "$LAB_DIR/log" || return 1

    if ip netns list | grep -qx -- "$LAB_NS\( .*\)\?"; then
        _lab_error "namespace $LAB_NS exists already (left behind? remove it: LAB_NS=$LAB_NS lab_down)"
        # Not ours: lab_down must leave it alone.
        LAB_NS=
        return 1
    fi
    # Both veth ends stay inside: the DC gets an address nothing outside can reach.
    _lab_run "netns" ip netns add "$LAB_NS" || return 1
    _lab_run "veth" ip -n "$LAB_NS" link add v0 type veth peer name v1 || return 1
    _lab_run "address" ip -n "$LAB_NS" addr add "$LAB_IP/24" dev v0 || return 1
    for line in lo v0 v1; do
        _lab_run "link $line" ip -n "$LAB_NS" link set "$line" up || return 1
    done
    ip netns exec "$LAB_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >>"$LAB_LOG" 2>&1 || true
    # ip netns exec bind-mounts these over /etc/hosts and /etc/resolv.conf. This machine's
    # own name must resolve locally, or every lookup of it waits on the DC's DNS.
    mkdir -p "/etc/netns/$LAB_NS" || return 1
    {
        echo "127.0.0.1 localhost $(hostname)"
        echo "::1 localhost ip6-localhost $(hostname)"
        echo "$LAB_IP $LAB_FQDN $LAB_HOST"
    } >"/etc/netns/$LAB_NS/hosts"
    echo "nameserver $LAB_IP" >"/etc/netns/$LAB_NS/resolv.conf"

    # Samba's own paths all under LAB_DIR (pid files and sockets are not namespaced);
    # only the services a client of LDAP and Kerberos needs (no SMB file server, no
    # winbindd, no replication, no NetBIOS, no dnsupdate: see samba_spnupdate below).
    opts=(
        "pid directory = $LAB_DIR/run"
        "ncalrpc dir = $LAB_DIR/run/ncalrpc"
        "winbindd socket directory = $LAB_DIR/run/winbindd"
        "ntp signd socket directory = $LAB_DIR/run/ntp_signd"
        "log file = $LAB_DIR/log/samba.log"
        "interfaces = v0"
        "bind interfaces only = yes"
        "disable netbios = yes"
        "server services = rpc, ldap, cldap, kdc, dns"
        "prefork children = 2"
    )
    while IFS= read -r line; do
        [ -n "${line//[[:space:]]/}" ] && opts+=("$line")
    done <<<"${KD_LAB_OPTIONS:-}"
    t=$(_lab_now)
    # Inside the namespace: outside, provision finds no interface.
    _lab_run "provision" ip netns exec "$LAB_NS" env _NO_WINBINDD=1 \
        samba-tool domain provision --realm="$LAB_REALM" --domain="$LAB_DOMAIN" \
        --server-role=dc --dns-backend=SAMBA_INTERNAL --adminpass="$LAB_ADMIN_PASS" \
        --targetdir="$LAB_DIR/dc" --host-name="$LAB_HOST" --host-ip="$LAB_IP" \
        --base-schema=2012_R2 --function-level=2008_R2 --backend-store=tdb \
        --domain-sid="$LAB_DOMAIN_SID" \
        --domain-guid=6b0c1d2e-3f40-4a51-8b62-7c83d94ea5f6 \
        --ntds-guid=0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9 \
        --invocationid=1f2e3d4c-5b6a-4798-8a9b-acbdcedf0f1e \
        "${opts[@]/#/--option=}" || return 1
    # Provision copies the nameserver of resolv.conf (the DC itself here) into
    # "dns forwarder": the DC would forward unknown names to itself and clients would wait
    # 6 s for each. Without a forwarder they fail at once.
    sed -i '/^[[:space:]]*dns forwarder[[:space:]]*=/d' "$LAB_SMBCONF" || return 1
    # The DC's own SPNs beyond HOST/ (ldap/, GC/, RestrictedKrbHost/, the DRS GUID) are
    # added by samba_spnupdate, which the dnsupdate service runs some time after a start.
    # That service is off (it would race with the tests): run it once, now.
    _lab_run "samba_spnupdate" ip netns exec "$LAB_NS" env _NO_WINBINDD=1 \
        samba_spnupdate --configfile="$LAB_SMBCONF" || return 1
    lab_log "provisioned $LAB_REALM in $(_lab_since "$t") s ($LAB_DIR, namespace $LAB_NS)"

    cat >"$LAB_KRB5_CONFIG" <<EOF
[libdefaults]
	default_realm = $LAB_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$LAB_REALM = {
		kdc = $LAB_FQDN
		admin_server = $LAB_FQDN
	}
[domain_realm]
	.${LAB_REALM,,} = $LAB_REALM
	${LAB_REALM,,} = $LAB_REALM
EOF
    # The first start also makes the TLS key (4096-bit RSA): most of its time.
    lab_start_dc || return 1
    [ -s "$LAB_CA" ] || { _lab_error "the DC made no TLS CA at $LAB_CA"; return 1; }
    lab_kinit "$LAB_ADMIN@$LAB_REALM" "$LAB_ADMIN_PASS" ||
        { _lab_error "kinit $LAB_ADMIN failed"; return 1; }
    declare -p LAB_NS LAB_DIR LAB_REALM LAB_DOMAIN LAB_HOST LAB_FQDN LAB_IP LAB_URI LAB_BASE \
        LAB_CONFIG_BASE LAB_DOMAIN_SID LAB_ADMIN LAB_ADMIN_PASS LAB_USER_PASS LAB_MACHINE_PASS \
        LAB_CA LAB_SMBCONF LAB_PRIVATE LAB_SAM LAB_PARTITION LAB_KRB5_CONFIG LAB_CCACHE \
        LAB_LOG LAB_MANIFEST >"$LAB_DIR/lab.env"
    lab_log "up in $(_lab_since "$t0") s"
}

lab_populate() {
    local t
    t=$(_lab_now)
    _lab_run "populate" lab_exec env LAB_USER_PASS="$LAB_USER_PASS" \
        LAB_MACHINE_PASS="$LAB_MACHINE_PASS" \
        /usr/bin/python3 "$_lab_here/populate.py" "$LAB_SMBCONF" "$LAB_MANIFEST" || return 1
    lab_log "populated in $(_lab_since "$t") s"
}

lab_expect_rights() {
    /usr/bin/python3 - "$1" "$LAB_MANIFEST" "$LAB_BASE" <<'PY'
import collections
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
manifest = json.load(open(sys.argv[2], encoding="utf-8"))
base = sys.argv[3]
expect = manifest["expect"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


# Where the rules put what is checked here (docs/json-output.md), one accessor each.
def writers(f):  # rbcd-writable: the principals that may write the attribute
    return f["details"]["writers"]


def writer_name(w):
    return w["name"]


def writer_via(w):  # the right: write-property-attribute, ..., owner
    return w["via"]


def granting_ace(w):  # the ACE that gives w the right (null for ownership)
    return w["ace"]


def trust_name(f):  # trust-tgt-delegation (a finding on the domain): the trust's partner
    return f["details"]["partner"]


def setup(e):  # what populate.py did
    return " and ".join(([e["writer"] + " made the owner"] if e.get("owner") else []) +
                        ([e["ace"]] if e.get("ace") else []))


by_rule = collections.defaultdict(list)
for f in report["findings"]:
    by_rule[f["rule"]].append(f)

# rbcd-writable: exactly the (account, writer) pairs the lab granted (the group, not its
# members, for a right held through a group); none from Samba's default ACEs (Domain
# Admins, Account Operators, SYSTEM, Enterprise Admins, Administrators, SELF, the owner
# Domain Admins), none from the read-only or the inherit-only ACE, none for an owner whose
# rights an OWNER RIGHTS ACE restricts.
want = {(e["account"], e["writer"]): e for e in expect["rbcd_writable"] if e["finding"]}
never = {(e["account"], e["writer"]): e for e in expect["rbcd_writable"] if not e["finding"]}
got = {}
for f in by_rule["rbcd-writable"]:
    for w in writers(f):
        key = (f["account"]["name"], writer_name(w))
        check(key not in got, "rbcd-writable: %s named twice as a writer of %s" % key[::-1])
        got[key] = (f, w)
for key in sorted(set(want) - set(got)):
    failures.append("rbcd-writable: no finding on %s naming %s (the lab: %s)"
                    % (key + (setup(want[key]),)))
for key in sorted(set(got) - set(want)):
    f, w = got[key]
    why = " (the lab: %s, which grants no write)" % setup(never[key]) if key in never else ""
    failures.append("rbcd-writable: unexpected writer %s of %s%s: %s"
                    % (key[1], key[0], why, json.dumps(w, sort_keys=True)[:300]))
for key, e in sorted(want.items()):
    if key not in got:
        continue
    f, w = got[key]
    check(f["account"]["dn"] == e["dn"], "rbcd-writable on %s: dn %s, expected %s"
          % (key[0], f["account"]["dn"], e["dn"]))
    if e.get("severity"):
        check(f["severity"] == e["severity"], "rbcd-writable on %s: severity %s, expected %s"
              % (key[0], f["severity"], e["severity"]))
    else:
        check(f["severity"] != "critical", "rbcd-writable on %s (neither a DC nor krbtgt) "
              "is critical" % key[0])
    check(w.get("sid") == e["writer_sid"], "rbcd-writable on %s: writer %s has sid %s, "
          "expected %s" % (key + (w.get("sid"), e["writer_sid"])))
    kind = manifest["accounts"][key[1]]["kind"]
    check(w.get("kind") == kind, "rbcd-writable on %s: writer %s of kind %s, expected %s"
          % (key + (w.get("kind"), kind)))
    check(writer_via(w) == e["via"], "rbcd-writable on %s: %s writes via %s, expected %s"
          % (key + (writer_via(w), e["via"])))
    if e.get("guid"):
        ace = granting_ace(w)
        check(e["guid"] in json.dumps(ace).lower(), "rbcd-writable on %s by %s: the granting "
              "ACE %s does not carry %s" % (key + (json.dumps(ace)[:200], e["guid"])))

# machine-account-quota: one finding, on the domain, when the quota is above 0
q = by_rule["machine-account-quota"]
if manifest["machine_account_quota"] > 0:
    if check(len(q) == 1, "machine-account-quota: %d findings, expected 1 (quota %d)"
             % (len(q), manifest["machine_account_quota"])):
        a = q[0]["account"]
        check(a["kind"] == "domain" and a["dn"] == base,
              "machine-account-quota on %s %s, expected the domain %s" % (a["kind"], a["dn"], base))
else:
    check(not q, "machine-account-quota with a quota of 0")

# trust-tgt-delegation: the trusts with CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION only
got_trusts = sorted(trust_name(f) for f in by_rule["trust-tgt-delegation"])
check(got_trusts == sorted(expect["trust_tgt_delegation"]),
      "trust-tgt-delegation on %s, expected %s" % (got_trusts, expect["trust_tgt_delegation"]))

# adminCount=1 without privileged membership: stale-admincount (info), never tier 0
stale = expect["stale_admin_count"]
got_stale = sorted(f["account"]["name"] for f in by_rule["stale-admincount"])
check(got_stale == sorted(stale), "stale-admincount on %s, expected %s" % (got_stale, stale))
for f in by_rule["stale-admincount"]:
    check(f["severity"] == "info", "stale-admincount on %s: severity %s"
          % (f["account"]["name"], f["severity"]))
for f in report["findings"]:
    check(f["rule"] != "privileged-delegable" or f["account"]["name"] not in stale,
          "privileged-delegable on %s, whose only claim is adminCount" % f["account"]["name"])


def walk(x, where):
    if isinstance(x, dict):
        reason = x.get("tier0_reason")
        check(not (isinstance(reason, str) and "adminCount" in reason),
              "%s: tier0_reason %r" % (where, reason))
        check(not (x.get("name") in stale and x.get("tier0") is True),
              "%s: %s reported tier 0" % (where, x.get("name")))
        for v in x.values():
            walk(v, where)
    elif isinstance(x, list):
        for v in x:
            walk(v, where)


for f in report["findings"]:
    walk(f, "%s on %s" % (f["rule"], f["account"]["name"]))

for msg in failures:
    print("FAIL:", msg, file=sys.stderr)
print("write rights, quota, trusts, adminCount: %d rbcd-writable writers, %d failures"
      % (len(got), len(failures)))
sys.exit(1 if failures else 0)
PY
}

lab_down() {
    local status=${1:-0} pids p keep
    [ "${_lab_failed:-0}" = 1 ] && [ "$status" = 0 ] && status=1
    if [ -n "${LAB_NS:-}" ]; then
        lab_stop_dc || true
        # Clients a test left running inside (by pid: nothing else lives there).
        pids=$(ip netns pids "$LAB_NS" 2>/dev/null)
        if [ -n "$pids" ]; then
            echo "lab: stopping processes left in $LAB_NS: ${pids//$'\n'/ }" >&2
            for p in $pids; do kill -TERM "$p" 2>/dev/null; done
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                [ -z "$(ip netns pids "$LAB_NS" 2>/dev/null)" ] && break
                sleep 0.2
            done
            for p in $(ip netns pids "$LAB_NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
            for _ in 1 2 3 4 5; do
                pids=$(ip netns pids "$LAB_NS" 2>/dev/null)
                [ -z "$pids" ] && break
                sleep 0.2
            done
            [ -z "$pids" ] || echo "lab: processes survive in $LAB_NS: $pids" >&2
        fi
        ip netns del "$LAB_NS" 2>/dev/null || true
        rm -rf "/etc/netns/${LAB_NS:?}"
        LAB_NS=
    fi
    if [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
        keep=${KD_LAB_KEEP:-}
        [ -z "$keep" ] && { [ "$status" = 0 ] && keep=0 || keep=1; }
        if [ "$keep" = 1 ]; then
            echo "lab: kept $LAB_DIR (lab.log, log/samba.log, dc/)" >&2
        else
            rm -rf "${LAB_DIR:?}"
        fi
    fi
    LAB_DIR=
    return 0
}

# shellcheck disable=SC2120  # CMD is optional
lab_trap() {
    _lab_trap_cmd=${1:-}
    trap '_lab_on_exit $?' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

_lab_on_exit() {
    local status=$1
    trap - EXIT
    if [ -n "${_lab_trap_cmd:-}" ]; then
        eval "$_lab_trap_cmd" || true
    fi
    lab_down "$status"
    exit "$status"
}

# ---- kdeleg verify's cases (tests/integration/test-verify.sh) ----
# lab_populate_verify: populate-verify.py's accounts under OU=Verify (each with a known
# password, for kinit), manifest in LAB_VERIFY_MANIFEST. Independent of lab_populate.
lab_populate_verify() {
    local t
    t=$(_lab_now)
    LAB_VERIFY_MANIFEST=$LAB_DIR/verify-manifest.json
    export LAB_VERIFY_MANIFEST
    _lab_run "populate-verify" lab_exec env LAB_USER_PASS="$LAB_USER_PASS" \
        LAB_MACHINE_PASS="$LAB_MACHINE_PASS" \
        /usr/bin/python3 "$_lab_here/populate-verify.py" "$LAB_SMBCONF" \
        "$LAB_VERIFY_MANIFEST" || return 1
    lab_log "verify cases populated in $(_lab_since "$t") s"
}
