# bash completion for kdeleg -*- shell-script -*-
# kdeleg --generate bash from src/cli-table.c; do not edit.
# Works with and without the bash-completion package: the words are split here
# from COMP_LINE, "--opt=value" and "new:high" included.

_kdeleg_words()
{
    local IFS=$' \t\n'
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
    # bash replaces only the part after the last ':' of the word
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon=${cur%"${cur##*:}"} i
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$colon"}; done
    fi
    # a URI scheme is a start, not a word: the host follows without a blank
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *// ]]; then
        compopt -o nospace 2>/dev/null
    fi
}

_kdeleg_files()
{
    if declare -F _filedir >/dev/null; then
        _filedir
    else
        local IFS=$'\n'
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_kdeleg()
{
    local line=${COMP_LINE:0:COMP_POINT} cur= prev= cmd= i
    local -a w
    read -ra w <<<"$line"
    if [[ ${#w[@]} -gt 0 && $line != *[[:space:]] ]]; then
        cur=${w[${#w[@]}-1]}
        unset 'w[${#w[@]}-1]'
    fi
    [[ ${#w[@]} -gt 0 ]] && prev=${w[${#w[@]}-1]}
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi
    # the command is the first word after kdeleg that is not an option
    for ((i = 1; i < ${#w[@]}; i++)); do
        if [[ ${w[i]} != -* ]]; then
            cmd=${w[i]}
            break
        fi
    done
    COMPREPLY=()
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            _kdeleg_words '--help --version -h -V'
        else
            _kdeleg_words 'audit collect diff verify paths rules help version'
        fi
        return
    fi
    case $cmd in
    audit)
        case $prev in
        -l|--ldif) _kdeleg_files; return ;;
        -H|--uri) _kdeleg_words 'ldap:// ldaps://'; return ;;
        -d|--domain) return ;;
        -b|--base) return ;;
        --simple-bind) return ;;
        --password-file) _kdeleg_files; return ;;
        --ca-file) _kdeleg_files; return ;;
        --timeout) return ;;
        --deadline) return ;;
        --page-size) return ;;
        --range-step) return ;;
        --connections) return ;;
        -f|--format) _kdeleg_words 'text json ndjson csv html'; return ;;
        -o|--output) _kdeleg_files; return ;;
        --color) _kdeleg_words 'auto always never'; return ;;
        --baseline) _kdeleg_files; return ;;
        --fail-on) _kdeleg_words 'info low medium high critical new new:info new:low new:medium new:high new:critical'; return ;;
        --min-severity) _kdeleg_words 'info low medium high critical'; return ;;
        --rule) _kdeleg_words 'unconstrained-delegation constrained-delegation protocol-transition resource-based-delegation rbcd-broad-trustee delegation-to-tier0 delegation-chain duplicate-spn orphan-delegation-target privileged-delegable rbcd-writable machine-account-quota trust-tgt-delegation stale-admincount unparseable-attribute'; return ;;
        --accept) _kdeleg_files; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--ldif --uri --domain --base --starttls --simple-bind --password-file --ca-file --insecure-tls --timeout --deadline --page-size --range-step --connections --full --quiet --format --output --color --baseline --fail-on --min-severity --rule --accept --help'
        fi
        ;;
    collect)
        case $prev in
        -H|--uri) _kdeleg_words 'ldap:// ldaps://'; return ;;
        -d|--domain) return ;;
        -b|--base) return ;;
        --simple-bind) return ;;
        --password-file) _kdeleg_files; return ;;
        --ca-file) _kdeleg_files; return ;;
        --timeout) return ;;
        --deadline) return ;;
        --page-size) return ;;
        --range-step) return ;;
        --connections) return ;;
        -o|--output) _kdeleg_files; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--uri --domain --base --starttls --simple-bind --password-file --ca-file --insecure-tls --timeout --deadline --page-size --range-step --connections --full --quiet --output --help'
        fi
        ;;
    diff)
        case $prev in
        -f|--format) _kdeleg_words 'text json ndjson'; return ;;
        -o|--output) _kdeleg_files; return ;;
        --fail-on) _kdeleg_words 'new new:info new:low new:medium new:high new:critical'; return ;;
        --accept) _kdeleg_files; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--format --output --fail-on --accept --help'
        else
            _kdeleg_files
        fi
        ;;
    verify)
        case $prev in
        -l|--ldif) _kdeleg_files; return ;;
        -H|--uri) _kdeleg_words 'ldap:// ldaps://'; return ;;
        -d|--domain) return ;;
        -b|--base) return ;;
        --simple-bind) return ;;
        --password-file) _kdeleg_files; return ;;
        --ca-file) _kdeleg_files; return ;;
        --timeout) return ;;
        --deadline) return ;;
        --page-size) return ;;
        --range-step) return ;;
        --connections) return ;;
        --user) return ;;
        --protocol) _kdeleg_words 'kerberos any'; return ;;
        -f|--format) _kdeleg_words 'text json'; return ;;
        -o|--output) _kdeleg_files; return ;;
        --color) _kdeleg_words 'auto always never'; return ;;
        --explain-error) _kdeleg_words '0xC000015B 0xC0000064 NTLM KDC_ERR_BADOPTION KDC_ERR_CLIENT_REVOKED KDC_ERR_POLICY KDC_ERR_S_PRINCIPAL_UNKNOWN KDC_ERR_PRINCIPAL_NOT_UNIQUE KDC_ERR_ETYPE_NOSUPP'; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--ldif --uri --domain --base --starttls --simple-bind --password-file --ca-file --insecure-tls --timeout --deadline --page-size --range-step --connections --quiet --user --protocol --format --output --color --explain-error --help'
        fi
        ;;
    paths)
        case $prev in
        -l|--ldif) _kdeleg_files; return ;;
        -H|--uri) _kdeleg_words 'ldap:// ldaps://'; return ;;
        -d|--domain) return ;;
        -b|--base) return ;;
        --simple-bind) return ;;
        --password-file) _kdeleg_files; return ;;
        --ca-file) _kdeleg_files; return ;;
        --timeout) return ;;
        --deadline) return ;;
        --page-size) return ;;
        --range-step) return ;;
        --connections) return ;;
        --from) return ;;
        --to) return ;;
        --max-hops) return ;;
        -f|--format) _kdeleg_words 'text json dot svg'; return ;;
        -o|--output) _kdeleg_files; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--ldif --uri --domain --base --starttls --simple-bind --password-file --ca-file --insecure-tls --timeout --deadline --page-size --range-step --connections --full --quiet --from --to --max-hops --format --output --help'
        fi
        ;;
    rules)
        case $prev in
        -f|--format) _kdeleg_words 'text json markdown'; return ;;
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--format --help'
        fi
        ;;
    help)
        case $prev in
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--help'
        else
            _kdeleg_words 'audit collect diff verify paths rules help version'
        fi
        ;;
    version)
        case $prev in
        esac
        if [[ $cur == -* ]]; then
            _kdeleg_words '--help'
        fi
        ;;
    esac
}
complete -F _kdeleg kdeleg
