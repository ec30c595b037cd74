# bash completion for kdeleg -*- shell-script -*-
_kdeleg()
{
    local cur prev words cword
    _init_completion || return
    local commands="audit collect diff verify paths rules version help"
    local global_opts="--help --version"
    local connection_opts="--uri --domain --base --starttls --simple-bind --password-file --ca-file
        --insecure-tls --timeout --deadline --page-size --range-step --connections --quiet"
    local audit_opts="--ldif --format --output --color --baseline --fail-on --min-severity --help
        $connection_opts"
    local collect_opts="--output --help $connection_opts"
    local diff_opts="--format --output --fail-on --help"
    local paths_opts="--ldif --from --to --max-hops --format --output --help $connection_opts"
    local verify_opts="--user --protocol --explain-error --ldif --format --output --color --help
        $connection_opts"

    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$commands $global_opts" -- "$cur"))
        return
    fi
    case $prev in
        --ldif)
            _filedir '@(ldif|txt)'
            return ;;
        -o|--output)
            _filedir
            return ;;
        --baseline)
            _filedir json
            return ;;
        --password-file)
            _filedir
            return ;;
        --ca-file)
            _filedir '@(pem|crt|cer)'
            return ;;
        -H|--uri)
            COMPREPLY=($(compgen -W "ldap:// ldaps://" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return ;;
        -d|--domain|-b|--base|--simple-bind|--timeout|--deadline|--page-size|--range-step|--connections|--from|--to|--max-hops|--user)
            return ;;
        --protocol)
            COMPREPLY=($(compgen -W "kerberos any" -- "$cur"))
            return ;;
        --explain-error)
            COMPREPLY=($(compgen -W "0xC000015B 0xC0000064 NTLM KDC_ERR_BADOPTION
                STATUS_NOT_FOUND STATUS_NOT_SUPPORTED STATUS_NO_MATCH STATUS_ACCOUNT_RESTRICTION
                KDC_ERR_CLIENT_REVOKED KDC_ERR_POLICY KDC_ERR_S_PRINCIPAL_UNKNOWN
                KDC_ERR_PRINCIPAL_NOT_UNIQUE KDC_ERR_ETYPE_NOSUPP" -- "$cur"))
            return ;;
        -f|--format)
            case ${words[1]} in
                audit) COMPREPLY=($(compgen -W "text json ndjson csv" -- "$cur")) ;;
                diff) COMPREPLY=($(compgen -W "text json ndjson" -- "$cur")) ;;
                rules) COMPREPLY=($(compgen -W "text json markdown" -- "$cur")) ;;
                paths) COMPREPLY=($(compgen -W "text json dot svg" -- "$cur")) ;;
                verify) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
            esac
            return ;;
        --color)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
            return ;;
        --fail-on)
            COMPREPLY=($(compgen -W "info low medium high critical new" -- "$cur"))
            return ;;
        --min-severity)
            COMPREPLY=($(compgen -W "info low medium high critical" -- "$cur"))
            return ;;
    esac
    case ${words[1]} in
        audit) COMPREPLY=($(compgen -W "$audit_opts" -- "$cur")) ;;
        collect) COMPREPLY=($(compgen -W "$collect_opts" -- "$cur")) ;;
        paths) COMPREPLY=($(compgen -W "$paths_opts" -- "$cur")) ;;
        verify)
            # FRONTEND and SPN are directory names: only options complete
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$verify_opts" -- "$cur"))
            fi ;;
        diff)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$diff_opts" -- "$cur"))
            else
                _filedir json
            fi ;;
        rules) COMPREPLY=($(compgen -W "--format --help" -- "$cur")) ;;
    esac
}
complete -F _kdeleg kdeleg
