# bash completion for credctl(1). Installed as
# /usr/share/bash-completion/completions/credctl; works without the
# bash-completion package too (source it from ~/.bashrc).

_credctl_providers() {
    "${COMP_WORDS[0]}" providers -o json 2>/dev/null | grep -o '"name":"[^"]*"' | cut -d'"' -f4
}

_credctl() {
    local cur prev words cword
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="login token exec list logout status whoami providers metrics policy admin"
    local globals="--socket --config --verbose --version --help"
    local i cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --socket|--config) ((i++)) ;;
            -*) ;;
            --) break ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    # After `exec ... --`, complete the command to run.
    if [ "$cmd" = exec ]; then
        for ((i = 1; i < COMP_CWORD; i++)); do
            if [ "${COMP_WORDS[i]}" = -- ]; then
                COMPREPLY=($(compgen -c -- "$cur"))
                return
            fi
        done
    fi
    # `policy` has one subcommand, `check`, whose options follow it.
    if [ "$cmd" = policy ]; then
        local sub=
        for ((i = 1; i < COMP_CWORD; i++)); do [ "${COMP_WORDS[i]}" = check ] && sub=check; done
        if [ -z "$sub" ]; then
            COMPREPLY=($(compgen -W "check" -- "$cur"))
            return
        fi
        case $prev in
            # mapfile: a bare * in COMPREPLY=($(...)) would expand to file names.
            --permission) mapfile -t COMPREPLY < <(compgen -W "token read login delete '*'" -- "$cur"); return ;;
            --provider) COMPREPLY=($(compgen -W "$(_credctl_providers)" -- "$cur")); return ;;
            --user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
            --exe) COMPREPLY=($(compgen -f -- "$cur")); return ;;
            -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
            --as-uid|--unit) return ;;
        esac
        COMPREPLY=($(compgen -W "--user --provider --permission --as-uid --exe --unit -o --output --help" -- "$cur"))
        return
    fi
    # `admin` has subcommands; backup, restore and replace-master-key take a file.
    if [ "$cmd" = admin ]; then
        local sub=
        for ((i = 1; i < COMP_CWORD; i++)); do
            case ${COMP_WORDS[i]} in status|check|backup|restore|rotate-key|replace-master-key) sub=${COMP_WORDS[i]} ;; esac
        done
        case $prev in
            -o|--output) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        esac
        if [ -z "$sub" ]; then
            COMPREPLY=($(compgen -W "status check backup restore rotate-key replace-master-key --help" -- "$cur"))
        elif [[ $cur == -* ]]; then
            local extra=
            [ "$sub" = rotate-key ] && extra=--no-wait
            COMPREPLY=($(compgen -W "-o --output --help $extra" -- "$cur"))
        elif [ "$sub" = backup ] || [ "$sub" = restore ] || [ "$sub" = replace-master-key ]; then
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return
    fi
    case $prev in
        --socket|--config|--client-secret-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -o|--output)
            case $cmd in
                token) COMPREPLY=($(compgen -W "raw json env header credential-process git-credential exec-credential" -- "$cur")) ;;
                list|providers) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
                status|whoami) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
            esac
            return ;;
        --user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
        --env|--min-valid|--port|--timeout|--scope) return ;;
    esac
    if [ -z "$cmd" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    local opts=
    case $cmd in
        login) opts="--user --no-browser --device --port --timeout --client-secret-file --allow-new-subject --help" ;;
        token) opts="--user --min-valid --timeout --scope -o --output --env --help" ;;
        exec) opts="--user --min-valid --timeout --env --help --" ;;
        list) opts="--user -o --output --help" ;;
        logout) opts="--user --no-revoke --keep-on-failure --help" ;;
        status) opts="--user -o --output --help" ;;
        providers|whoami) opts="-o --output --help" ;;
        metrics) opts="--help" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        case $cmd in
            login|token|exec|logout) COMPREPLY=($(compgen -W "$(_credctl_providers)" -- "$cur")) ;;
        esac
    fi
}
complete -F _credctl credctl
