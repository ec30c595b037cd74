# bash completion for kdeleg -*- shell-script -*-
_kdeleg()
{
    local cur prev words cword
    _init_completion || return
    local commands="audit rules version help"
    local global_opts="--help --version"
    local audit_opts="--ldif --format --output --color --no-color --quiet --help"

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
        -f|--format)
            COMPREPLY=($(compgen -W "text json" -- "$cur"))
            return ;;
    esac
    case ${words[1]} in
        audit) COMPREPLY=($(compgen -W "$audit_opts" -- "$cur")) ;;
        rules) COMPREPLY=($(compgen -W "--format --help" -- "$cur")) ;;
    esac
}
complete -F _kdeleg kdeleg
