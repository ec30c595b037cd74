#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Text output on a terminal (a pseudo-terminal made by script(1)): colour unless
# TERM=dumb or NO_COLOR, lines folded to the width; a pipe or -o FILE gets the
# lines unchanged and no colour. Usage: test-terminal.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init
command -v script >/dev/null || { echo "no script(1) (util-linux): skipped" >&2; exit 77; }

# tty FILE ENV... -- ARGS: runs kdeleg on a terminal, its screen (no CRs) in $work/FILE
tty() {
    local file=$1 cmd
    shift
    local -a envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    printf -v cmd '%q ' "$kdeleg" "$@"
    checks=$((checks + 1))
    env -u NO_COLOR -u COLUMNS TERM=xterm "${envs[@]}" script -qec "$cmd" /dev/null </dev/null |
        tr -d '\r' >"$work/$file"
}
colour() { grep -q $'\x1b\[' "$work/$1"; }
# the widest line without its colour codes
widest() { sed 's/\x1b\[[0-9;]*m//g' "$work/$1" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'; }
# the text without colour codes and blanks: the same whatever the line breaks
words() { sed 's/\x1b\[[0-9;]*m//g' "$work/$1" | tr -d ' \n'; }

"$kdeleg" audit --ldif "$lab" >"$work/piped"
grep -q $'\x1b' "$work/piped" && fail "colour into a pipe"
[ "$(widest piped)" -gt 100 ] || fail "piped lines were folded: widest $(widest piped)"

tty folded COLUMNS=60 -- audit --ldif "$lab"
colour folded || fail "no colour on a terminal"
[ "$(widest folded)" -le 60 ] || fail "COLUMNS=60: a line of $(widest folded) columns"
[ "$(words folded)" = "$(words piped)" ] || fail "folding changed the words"
tty wide COLUMNS=300 -- audit --ldif "$lab"
[ "$(widest wide)" -eq "$(widest piped)" ] || fail "COLUMNS=300 folded a line"
# without COLUMNS the terminal's own width (script's terminal has one, or none: no folding)
tty sized -- audit --ldif "$lab"
[ -s "$work/sized" ] || fail "no output on a terminal of its own width"

tty dumb TERM=dumb COLUMNS=60 -- audit --ldif "$lab"
colour dumb && fail "TERM=dumb got colour"
[ "$(widest dumb)" -le 60 ] || fail "TERM=dumb is not folded"
tty nocolor NO_COLOR=1 -- audit --ldif "$lab"
colour nocolor && fail "NO_COLOR=1 got colour"
tty emptynocolor NO_COLOR= -- audit --ldif "$lab"
colour emptynocolor || fail "an empty NO_COLOR turned colour off"
tty always TERM=dumb -- audit --ldif "$lab" --color always
colour always || fail "--color always with TERM=dumb got no colour"
tty never -- audit --ldif "$lab" --color never
colour never && fail "--color never got colour"

# -o FILE from a terminal: a file, not the terminal
tty tofile COLUMNS=60 -- audit --ldif "$lab" -o "$work/report.txt"
grep -q $'\x1b' "$work/report.txt" && fail "-o FILE got colour"
[ "$(widest report.txt)" -gt 100 ] || fail "-o FILE was folded"
# JSON on a terminal is never folded (a long string stays one line)
tty json COLUMNS=60 -- audit --ldif "$lab" -f json
[ "$(widest json)" -gt 60 ] || fail "JSON on a terminal was folded"

for args in "verify APP01 cifs/FS01.corp.example --ldif $lab" "paths --ldif $lab" "rules" \
    "verify --explain-error KDC_ERR_BADOPTION"; do
    # shellcheck disable=SC2086
    tty other COLUMNS=50 -- $args
    [ "$(widest other)" -le 50 ] || fail "$args: a line of $(widest other) columns at COLUMNS=50"
done

# one and many
has piped "1 service account," "one service account"
has piped "12 users," "many users"

check_done terminal
