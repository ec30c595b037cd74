#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The generated completions, run non-interactively in bash (with and without the
# bash-completion package), zsh (a pseudo-terminal: zsh/zpty, compadd recorded) and
# fish (complete -C). A shell that is not installed is skipped, said on stderr.
# Usage: test-completion.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
comp=$top/completions
. "$top/tests/check.sh"
check_init
# completions of file names are relative: complete in the source tree
cd "$top" || exit 1
shells=0

# --- bash: COMP_LINE/COMP_WORDS as readline sets them, _kdeleg called directly ---
bash_complete() { # WITH_PACKAGE LINE
    bash --norc --noprofile -c '
        [ "$1" = 1 ] && . /usr/share/bash-completion/bash_completion
        . "$2"
        COMP_LINE=$3
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<<"$COMP_LINE"
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        [[ $COMP_LINE == *" " ]] && COMP_CWORD=${#COMP_WORDS[@]}
        _kdeleg kdeleg
        printf "%s\n" "${COMPREPLY[@]}"' bash "$1" "$comp/kdeleg.bash" "$2" | sort -u | grep -v '^$'
}

# --- zsh: compinit in an interactive zsh on a pseudo-terminal, every match recorded ---
zsh_complete() { # LINE
    zsh -f -c '
        zmodload zsh/zpty || exit 1
        zpty z zsh -f -i
        zpty -w z "fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; PS1= RPS1="
        zpty -w z '\''compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a m; builtin compadd -O m "$@"; print -r -- "<""<${(j:|:)m}>"">" >/dev/tty; builtin compadd "$@"; }'\''
        zpty -w z "zstyle \":completion:*\" menu no; LISTMAX=1000"
        zpty -n -w z "$2"$'\''\t'\''
        out=
        for i in {1..100}; do
            sleep 0.1
            while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done
            if [[ $out == *"<<"* ]]; then
                sleep 0.5
                while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done
                break
            fi
        done
        zpty -d z
        print -r -- $out' zsh "$comp" "$1" |
        grep -ao '<<[^>]*>>' | tr -d '<>' | tr '|' '\n' | sort -u | grep -v '^$'
}

fish_complete() { # LINE
    fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$comp/kdeleg.fish" "$1" |
        cut -f1 | sort -u | grep -v '^$'
}

# offers SHELL LINE WORD...: the completion of LINE includes every WORD
offers() {
    local shell=$1 line=$2 got
    shift 2
    got=$("${shell}_complete" $mode "$line")
    for want in "$@"; do
        checks=$((checks + 1))
        grep -qxF -- "$want" <<<"$got" ||
            fail "$shell$mode: '$line<Tab>' does not offer '$want' (offers: $(echo $got | head -c 300))"
    done
}
# lacks SHELL LINE WORD...: ...and none of these
lacks() {
    local shell=$1 line=$2 got
    shift 2
    got=$("${shell}_complete" $mode "$line")
    for bad in "$@"; do
        checks=$((checks + 1))
        grep -qxF -- "$bad" <<<"$got" && fail "$shell$mode: '$line<Tab>' offers '$bad'"
    done
}

# The same cases for every shell (fish completes the word it is given as a whole).
cases() {
    local sh=$1
    offers "$sh" "kdeleg au" audit
    offers "$sh" "kdeleg " audit collect diff verify paths rules help version
    offers "$sh" "kdeleg help " audit collect diff verify paths rules
    offers "$sh" "kdeleg audit --f" --format --fail-on
    lacks "$sh" "kdeleg audit --f" --from
    offers "$sh" "kdeleg audit -f " text json ndjson csv
    lacks "$sh" "kdeleg audit -f " markdown svg
    offers "$sh" "kdeleg paths --format " text json dot svg
    offers "$sh" "kdeleg rules --format " text json markdown
    offers "$sh" "kdeleg audit --fail-on " info low medium high critical new new:high
    offers "$sh" "kdeleg audit --min-severity " info low medium high critical
    offers "$sh" "kdeleg diff --fail-on " new new:critical
    lacks "$sh" "kdeleg diff --fail-on " high
    offers "$sh" "kdeleg audit --color " auto always never
    offers "$sh" "kdeleg verify --protocol " kerberos any
    offers "$sh" "kdeleg verify --explain-error " KDC_ERR_BADOPTION 0xC000015B
    offers "$sh" "kdeleg collect --" --output --uri --page-size
    lacks "$sh" "kdeleg collect --" --format --ldif
    # every option each command's --help lists
    for cmd in $commands; do
        # shellcheck disable=SC2046
        offers "$sh" "kdeleg $cmd --" $("$kdeleg" "$cmd" --help | grep -oE '^ +(-., )?--[a-z-]+' |
            grep -oE -- '--[a-z-]+')
    done
}
commands=$("$kdeleg" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')

if command -v bash >/dev/null; then
    shells=$((shells + 1))
    for mode in 0 1; do
        if [ "$mode" = 1 ] && [ ! -f /usr/share/bash-completion/bash_completion ]; then
            echo "no bash-completion package: bash checked without it only" >&2
            continue
        fi
        cases bash
        # file names: --ldif, diff's reports; "--opt=value" and "new:SEVERITY" split by bash
        offers bash "kdeleg audit --ldif docs/examples/la" docs/examples/lab.ldif
        offers bash "kdeleg diff docs/rul" docs/rules.md
        offers bash "kdeleg audit --format=nd" ndjson
        offers bash "kdeleg audit --fail-on new:cr" critical
    done
fi
mode=
if command -v zsh >/dev/null; then
    shells=$((shells + 1))
    cases zsh
    offers zsh "kdeleg audit --ldif docs/examples/la" lab.ldif
    offers zsh "kdeleg diff docs/rul" rules.md
    offers zsh "kdeleg audit --format=nd" ndjson
else
    echo "no zsh: its completion is not checked" >&2
fi
if command -v fish >/dev/null; then
    shells=$((shells + 1))
    cases fish
    offers fish "kdeleg audit --ldif docs/examples/la" docs/examples/lab.ldif
    offers fish "kdeleg diff docs/rul" docs/rules.md
    offers fish "kdeleg audit --format=nd" --format=ndjson
else
    echo "no fish: its completion is not checked" >&2
fi
[ "$shells" -gt 0 ] || exit 77

check_done completion
