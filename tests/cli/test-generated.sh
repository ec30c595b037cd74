#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man page and the completions are generated from the command line's tables
# (kdeleg --generate) and committed: they must not drift, and the page must render
# without a warning. Usage: test-generated.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
. "$top/tests/check.sh"
check_init

for gen in man:docs/man/kdeleg.1 bash:completions/kdeleg.bash zsh:completions/_kdeleg \
    fish:completions/kdeleg.fish; do
    what=${gen%%:*}
    file=${gen#*:}
    expect 0 "--generate $what" -- --generate "$what"
    empty err "--generate $what"
    cmp -s "$work/out" "$top/$file" ||
        fail "$file is stale: regenerate with 'kdeleg --generate $what > $file'"
done
expect 2 "--generate nonsense" -- --generate html
has err "man, bash, zsh or fish" "--generate nonsense"

# man-db's man renders the page with groff's warnings on; any is a failure
if command -v man >/dev/null && command -v groff >/dev/null; then
    checks=$((checks + 1))
    MANWIDTH=80 man --warnings -E UTF-8 -l "$top/docs/man/kdeleg.1" >"$work/man.txt" 2>"$work/man.err" ||
        fail "man -l docs/man/kdeleg.1 failed"
    empty man.err "man --warnings docs/man/kdeleg.1"
    has man.txt "EXIT STATUS" "the man page"
    # every command and every option of the help is in the page
    for cmd in $("$kdeleg" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
        checks=$((checks + 1))
        grep -q "^ *$cmd" "$work/man.txt" || fail "man page: no command $cmd"
        for opt in $("$kdeleg" "$cmd" --help | grep -oE '^ +(-., )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
            checks=$((checks + 1))
            grep -q -- "$opt" "$work/man.txt" || fail "man page: no $opt (of $cmd)"
        done
    done
else
    echo "man or groff missing: the page's rendering is not checked" >&2
fi

check_done generated
