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
    [ "$got" -le 1 ] && keep_json "$@"
}

# keep_json ARGS...: after a run of kdeleg ARGS that wrote a document, keeps a copy of
# its JSON or NDJSON output (stdout, or the -o file) for check_done, which checks them
# all against docs/schema and for one type a field path (tests/cli/json-types.py).
kept_json=()
keep_json() {
    local cmd=$1 format="" output="" explain="" kind
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        -f | --format) format=${2-}; shift ;;
        --format=*) format=${1#--format=} ;;
        -o | --output) output=${2-}; shift ;;
        --output=*) output=${1#--output=} ;;
        --explain-error*) explain=1 ;;
        esac
        shift
    done
    case $cmd:$format in
    audit:json) kind=report ;;
    audit:ndjson | diff:ndjson) kind=ndjson ;;
    diff:json) kind=diff ;;
    rules:json) kind=rules ;;
    verify:json) kind=${explain:+explain}; kind=${kind:-verify} ;;
    paths:json) kind=paths ;;
    *) return 0 ;;
    esac
    [ -n "$output" ] && [ "$output" != - ] || output=$work/out
    [ -f "$output" ] || return 0
    mkdir -p "$work/kept-json"
    cp "$output" "$work/kept-json/${#kept_json[@]}.$kind"
    kept_json+=("$kind:$work/kept-json/${#kept_json[@]}.$kind")
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
    if [ ${#kept_json[@]} -gt 0 ] && [ -n "${top-}" ]; then
        checks=$((checks + 1))
        "$py" "$top/tests/cli/json-types.py" "$top/docs/schema" "${kept_json[@]}" >/dev/null ||
            fail "the JSON outputs above break docs/schema or give a field two types"
    fi
    if [ "$failures" -ne 0 ]; then
        echo "$1: $failures of $checks checks failed" >&2
        return 1
    fi
    echo "$1: $checks checks passed"
}
