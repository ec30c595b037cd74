# SPDX-License-Identifier: MIT
# Shared by the shell test scripts: a scratch directory, counters, and the verdict.
#   . tests/check.sh; check_init; ...; fail "what"; ...; check_done NAME
# check_init makes $work (removed on exit) unless the caller has its own place.

failures=0
checks=0
# pyenv shims cost a second a start; the system interpreter is enough.
py=$(command -v /usr/bin/python3 || command -v python3)

check_init() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
}

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# has FILE PATTERN WHAT, empty FILE WHAT: about $work/FILE
has() { grep -q -- "$2" "$work/$1" || fail "$3: '$2' not in $1"; }
empty() { [ ! -s "$work/$1" ] || fail "$2: $1 is not empty: $(head -c 200 "$work/$1")"; }

# expect CODE DESCRIPTION -- ARGS...: runs $kdeleg ARGS (stdin from /dev/null), keeps
# stdout and stderr in $work/out and $work/err, and checks the exit code.
expect() {
    local want=$1 what=$2
    shift 3
    checks=$((checks + 1))
    "$kdeleg" "$@" >"$work/out" 2>"$work/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want (stderr: $(head -c 300 "$work/err"))"
}

# pycheck DESCRIPTION ARGS... <<'PY' ... PY: a python check on stdin, failing unless it exits 0.
pycheck() {
    local what=$1
    shift
    checks=$((checks + 1))
    "$py" - "$@" || fail "$what"
}

# The last line a script prints; returns its status.
check_done() {
    if [ "$failures" -ne 0 ]; then
        echo "$1: $failures of $checks checks failed" >&2
        return 1
    fi
    echo "$1: $checks checks passed"
}
