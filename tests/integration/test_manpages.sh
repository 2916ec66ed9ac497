#!/usr/bin/env bash
# The man pages and the bash completion (issue 22), as the build made them from the programs'
# tables (--dump-options, man/mangen): every page renders without a groff warning, names every
# option and command its program has, roff's special characters in a table's text come out as
# typed, and the completion completes commands and options of the programs as they are now.
# backends: sqlite
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAN=$PERMIT_BIN/man
COMPLETION=$PERMIT_BIN/bash-completion
MANGEN=$PERMIT_BIN/mangen
command -v groff >/dev/null || { step "SKIP: groff is missing"; exit 77; }

# The page as a reader sees it (lines long enough for grep), and groff's warnings (-ww: all
# of them) on their own.
render() {
    LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -rLL=400n -rHY=0 -P-cbou "$1" 2>"$T/groff.err"
    [[ ! -s $T/groff.err ]] || fail "groff warns about $1: $(cat "$T/groff.err")"
}

step "every page renders without a warning and names every option and command"
for page in permitd.8 permitd.conf.5 permit-agent.8 permit-agent.conf.5 permit-notify.8 \
    permit-notify.conf.5 permitctl.1; do
    [[ -s $MAN/$page ]] || fail "the build made no $MAN/$page"
    [[ -s $MAN/gz/$page.gz ]] || fail "the build made no $MAN/gz/$page.gz"
    render "$MAN/$page" >"$T/$page.txt"
    # a macro or a font change shown as text is roff gone wrong (one not at a line's start)
    ! grep -nE '\.(TP|SH|SS|PP|br|B|BR)( |$)|\\f[BIR]' "$T/$page.txt" ||
        fail "$page shows roff as text"
done
for prog in permitd permit-agent permit-notify permitctl; do
    "$PERMIT_BIN/$prog" --dump-options >"$T/$prog.dump"
    page=$(echo "$MAN/$prog".[18])
    # (awk: a tab is blank to read, and an empty scope would vanish)
    while read -r scope name; do
        flag=--${name//_/-}
        grep -qF -- "$flag" "$T/${page##*/}.txt" || fail "${page##*/} does not list $flag"
        # the config file's keys: permitd's own options, the others' run options
        if [[ ($prog == permitd && $scope == -) || ($prog != permitctl && $scope == run) ]]; then
            grep -qE "^ +$name = " "$T/$prog.conf.5.txt" || fail "$prog.conf.5 does not list $name"
        fi
    done < <(awk -F'\t' '$1 == "option" { print ($2 == "" ? "-" : $2), $3 }' "$T/$prog.dump")
    while IFS=$'\t' read -r kind name _; do
        [[ $kind == command ]] || continue
        grep -qE "^ +$name( |$)" "$T/${page##*/}.txt" || fail "${page##*/} does not list $name"
    done <"$T/$prog.dump"
    while IFS=$'\t' read -r kind code _; do
        [[ $kind == exit ]] || continue
        grep -qE "^ +$code( |$)" "$T/${page##*/}.txt" || fail "${page##*/} does not list exit $code"
    done <"$T/$prog.dump"
done
grep -q "ipc path served by another" "$T/permitd.8.txt" || fail "permitd.8 lacks the exit statuses"

step "roff's special characters in a table's text come out as typed"
printf 'program\tdemo\t1.0\t[--x N]\tthe demo: a \\\\ backslash\n' >"$T/demo.dump"
printf 'config\t\tdemo\n' >>"$T/demo.dump"
printf 'option\t\tkey_one\ttext\t-1\t\t\tno\tno\t.leading dot\\nand \x27quote on a new line, 周调度 and a\\ttab\n' \
    >>"$T/demo.dump"
printf 'exit\t0\tok\n' >>"$T/demo.dump"
"$MANGEN" page 8 "$T/demo.dump" "$T/demo.8" 'demo.conf(5)' || fail "mangen page failed"
"$MANGEN" conf /etc/demo.conf "$T/demo.dump" "$T/demo.conf.5" 'demo(8)' || fail "mangen conf failed"
for p in demo.8 demo.conf.5; do
    render "$T/$p" >"$T/$p.txt"
    grep -qF -- '.leading dot' "$T/$p.txt" || fail "$p lost a line starting with '.'"
    grep -qF -- "'quote on a new line" "$T/$p.txt" || fail "$p lost a line starting with a quote"
    grep -qF -- '周调度' "$T/$p.txt" || fail "$p lost the Chinese text"
    grep -qF -- 'default -1' "$T/$p.txt" || fail "$p lost the '-' of the default"
done
grep -qF -- 'a \ backslash' "$T/demo.8.txt" || fail "demo.8 lost the backslash: $(cat "$T/demo.8.txt")"
grep -qF -- '--key-one VALUE' "$T/demo.8.txt" || fail "demo.8 does not spell --key-one"
run "$MANGEN" conf /etc/x.conf /dev/null "$T/x.5"
((RC == 1)) && [[ $ERR == *"no program record"* ]] || fail "mangen took an empty dump: $RC $ERR"

step "bash completion: commands and options as the programs have them"
# complete PROG WORD...: what the completion offers for the last word.
complete_words() {
    # shellcheck disable=SC1090
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
             fn=$(complete -p "$1" | awk "{print \$(NF-1)}"); "$fn"; echo "${COMPREPLY[*]}"' \
        _ "$COMPLETION/$1" "$@"
}
expect() {
    local want=$1 got
    shift
    got=$(complete_words "$@")
    [[ $got == "$want" ]] || fail "completing '$*' offered '$got', not '$want'"
}
for prog in permitd permit-agent permit-notify permitctl; do
    [[ -s $COMPLETION/$prog ]] || fail "the build made no $COMPLETION/$prog"
    bash -n "$COMPLETION/$prog" || fail "$COMPLETION/$prog is not valid bash"
done
expect "status" permitctl st
expect "--time-zone" permitd --ti
expect "--rebuild" permitd --reb
expect "--broker --broker-key" permitctl --brok
expect "--template" permitctl import departments x.csv --te
expect "--from" permitctl tail --f
expect "--keep-days" permit-agent run --keep
expect "--queue" permit-agent send --qu
expect "run retry" permit-notify r
expect "--curve-secret" permit-notify run --curve-s
# Every command of the dump is offered, so a command added to a table is completed too.
while IFS=$'\t' read -r kind name _; do
    [[ $kind == command ]] || continue
    name=${name%% *}
    [[ " $(complete_words permitctl "") " == *" $name "* ]] || fail "permitctl <TAB> lacks $name"
done <"$T/permitctl.dump"
step "ok"
