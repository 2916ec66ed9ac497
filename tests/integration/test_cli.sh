#!/usr/bin/env bash
# One way to read options and exit (issue 19), for every program and every command: --help
# exits 0 with the usage on stdout, --version prints "PROG VERSION" and exits 0, --key=value
# and --key value are the same, -n says "configuration OK" for a good config and exits 78
# (EX_CONFIG) for a bad one, and an unknown option exits 64 (EX_USAGE) with one line saying
# what to do. No broker is needed: nothing here gets as far as a socket.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PERMIT_NOTIFY=$PERMIT_BIN/permit-notify
PERMIT_BENCH=$PERMIT_BIN/permit-bench

# The commands of each program with commands (permitd has none).
AGENT_CMDS=(send run status retry drop)
NOTIFY_CMDS=(run status retry ack silence history)
CTL_CMDS=(import tail status overdue blocked reopen extend mark-not-required report clock keygen)

# usage_ok DESC: the last run printed a usage on stdout and exited 0.
usage_ok() {
    ((RC == 0)) || fail "$1 --help exited $RC: $ERR"
    [[ "$OUT" == usage:* ]] || fail "$1 --help printed no usage on stdout: $OUT"
}

# version_ok NAME DESC: the last run printed "NAME VERSION" and nothing else, and exited 0.
version_ok() {
    ((RC == 0)) || fail "$2 --version exited $RC: $ERR"
    [[ "$OUT" =~ ^$1\ [^[:space:]]+$ ]] || fail "$2 --version printed '$OUT', not '$1 VERSION'"
}

# usage_error DESC: the last run exited 64 with one line on stderr saying what to try.
usage_error() {
    ((RC == 64)) || fail "$1 exited $RC (expected 64): $ERR"
    (($(wc -l <<<"$ERR") == 1)) || fail "$1: not one line on stderr: $ERR"
    [[ "$ERR" == *"(try "*"--help)"* ]] || fail "$1: the line does not say what to try: $ERR"
}

step "--help and --version: every program and every command"
for prog in "$PERMITD" "$PERMIT_AGENT" "$PERMIT_NOTIFY" "$PERMITCTL" "$PERMIT_BENCH"; do
    name=$(basename "$prog")
    run "$prog" --help
    usage_ok "$name"
    run "$prog" --version
    version_ok "$name" "$name"
done
VERSION=${OUT#* }
for cmd in "${AGENT_CMDS[@]}"; do
    run "$PERMIT_AGENT" "$cmd" --help
    usage_ok "permit-agent $cmd"
    [[ "$OUT" == "usage: permit-agent $cmd "* ]] || fail "permit-agent $cmd --help: $OUT"
    run "$PERMIT_AGENT" "$cmd" --version
    version_ok permit-agent "permit-agent $cmd"
done
for cmd in "${NOTIFY_CMDS[@]}"; do
    run "$PERMIT_NOTIFY" "$cmd" --help
    usage_ok "permit-notify $cmd"
    [[ "$OUT" == "usage: permit-notify $cmd "* ]] || fail "permit-notify $cmd --help: $OUT"
    run "$PERMIT_NOTIFY" "$cmd" --version
    version_ok permit-notify "permit-notify $cmd"
done
for cmd in "${CTL_CMDS[@]}"; do
    run "$PERMITCTL" "$cmd" --help
    usage_ok "permitctl $cmd"
    [[ "$OUT" == "usage: permitctl $cmd "* ]] || fail "permitctl $cmd --help: $OUT"
    run "$PERMITCTL" "$cmd" --version
    version_ok permitctl "permitctl $cmd"
done
# The top-level --help lists every command of the table, and the run commands list options.
for cmd in "${NOTIFY_CMDS[@]}"; do
    "$PERMIT_NOTIFY" --help | grep -q "^  $cmd " || fail "permit-notify --help does not list $cmd"
done
# (not `| grep -q`: grep leaves at the first match, and the rest of the help dies of SIGPIPE)
[[ $("$PERMIT_AGENT" run --help) == *--spool* ]] || fail "permit-agent run --help lists no options"
[[ $("$PERMIT_NOTIFY" run --help) == *--routes* ]] || fail "permit-notify run --help lists no options"
# One build, one version: every program says the same.
for prog in "$PERMITD" "$PERMIT_AGENT" "$PERMIT_NOTIFY" "$PERMITCTL"; do
    [[ "$("$prog" --version)" == "$(basename "$prog") $VERSION" ]] ||
        fail "$(basename "$prog") --version is not $VERSION"
done

step "good configs: -n says configuration OK, with --key value and --key=value alike"
cat >"$T/permitd.conf" <<CONF
[permitd]
db = $T/permit.db
curve = no
CONF
mkdir -p "$T/spool"
cat >"$T/agent.conf" <<CONF
[agent]
dept = EEB
state = $T/agent
CONF
printf '[route]\n' >"$T/routes.conf"
cat >"$T/notify.conf" <<CONF
[notify]
db = $T/notify.db
routes = $T/routes.conf
templates = $PERMIT_SRC/deploy/templates
CONF
check_ok() {
    local desc=$1
    shift
    run "$@"
    ((RC == 0)) || fail "$desc exited $RC: $ERR"
    [[ "$OUT" == *"configuration OK"* ]] || fail "$desc did not say configuration OK: $OUT $ERR"
}
check_ok "permitd --config FILE -n" "$PERMITD" --config "$T/permitd.conf" -n
check_ok "permitd --config=FILE -n" "$PERMITD" --config="$T/permitd.conf" -n
check_ok "permitd --db=PATH" "$PERMITD" --config "$T/permitd.conf" --db="$T/other.db" -n
check_ok "permit-agent run --config FILE -n" "$PERMIT_AGENT" run --config "$T/agent.conf" -n
check_ok "permit-agent run --config=FILE -n" "$PERMIT_AGENT" run --config="$T/agent.conf" -n
check_ok "permit-agent run --dept=X --state=DIR -n" \
    "$PERMIT_AGENT" run --dept=EEB --state="$T/agent" -n
check_ok "permit-notify run --config FILE -n" "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
check_ok "permit-notify run --config=FILE -n" "$PERMIT_NOTIFY" run --config="$T/notify.conf" -n
check_ok "permit-notify run --log-level=debug" \
    "$PERMIT_NOTIFY" run --config "$T/notify.conf" --log-level=debug -n
# The commands on the notifier's database find it through --db PATH or --db=PATH alike.
run "$PERMIT_NOTIFY" status --db "$T/notify.db"
((RC == 0)) || fail "permit-notify status --db PATH exited $RC: $ERR"
run "$PERMIT_NOTIFY" status --db="$T/notify.db"
((RC == 0)) || fail "permit-notify status --db=PATH exited $RC: $ERR"
run "$PERMIT_NOTIFY" history --config="$T/notify.conf" --json
((RC == 0)) || fail "permit-notify history --config=FILE exited $RC: $ERR"
# A value given either way is read the same: both are refused with the same reason.
run "$PERMITCTL" --timeout nonsense status X
usage_error "permitctl --timeout nonsense"
spaced=$ERR
run "$PERMITCTL" --timeout=nonsense status X
usage_error "permitctl --timeout=nonsense"
[[ "$ERR" == "$spaced" ]] || fail "--timeout=nonsense and --timeout nonsense differ: $ERR / $spaced"

step "bad configs: -n exits 78 (EX_CONFIG)"
printf '[permitd]\nbatch_max = many\n' >"$T/bad-permitd.conf"
printf '[agent]\ndept = EEB\nstate = %s/agent\nwindw = 3\n' "$T" >"$T/bad-agent.conf"
printf '[notify]\ndb = %s/notify.db\nroutes = %s/no-such.conf\n' "$T" "$T" >"$T/bad-notify.conf"
for cmd in "$PERMITD --config=$T/bad-permitd.conf -n" \
    "$PERMITD --config $T/permitd.conf --batch-max=many -n" \
    "$PERMIT_AGENT run --config=$T/bad-agent.conf -n" \
    "$PERMIT_AGENT run --config $T/agent.conf --window=lots -n" \
    "$PERMIT_NOTIFY run --config=$T/bad-notify.conf -n"; do
    # shellcheck disable=SC2086
    run $cmd
    ((RC == 78)) || fail "$cmd exited $RC (expected 78): $ERR"
    [[ "$OUT" != *"configuration OK"* ]] || fail "$cmd said configuration OK"
done

step "an unknown option: 64 (EX_USAGE) and one line saying what to try"
run "$PERMITD" --no-such-option
usage_error "permitd --no-such-option"
run "$PERMITD" --no-such-option=1
usage_error "permitd --no-such-option=1"
run "$PERMITD" --db
usage_error "permitd --db (no value)"
for prog in "$PERMIT_AGENT" "$PERMIT_NOTIFY" "$PERMITCTL" "$PERMIT_BENCH"; do
    run "$prog" --no-such-option
    usage_error "$(basename "$prog") --no-such-option"
done
for cmd in "${AGENT_CMDS[@]}"; do
    run "$PERMIT_AGENT" "$cmd" --no-such-option
    usage_error "permit-agent $cmd --no-such-option"
done
for cmd in "${NOTIFY_CMDS[@]}"; do
    args=(--db "$T/notify.db")
    [[ $cmd == silence ]] && args+=(add)
    [[ $cmd == run ]] && args=()
    run "$PERMIT_NOTIFY" "$cmd" "${args[@]}" --no-such-option
    usage_error "permit-notify $cmd --no-such-option"
done
for cmd in "${CTL_CMDS[@]}"; do
    run "$PERMITCTL" "$cmd" --no-such-option
    usage_error "permitctl $cmd --no-such-option"
done
run "$PERMIT_AGENT" frobnicate
usage_error "permit-agent frobnicate"
run "$PERMITCTL" frobnicate
usage_error "permitctl frobnicate"
