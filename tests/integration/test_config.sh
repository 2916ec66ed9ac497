#!/usr/bin/env bash
# The operator's surface: the reference config in deploy/ is valid, bad configs are refused
# with FILE:LINE: reason, options on the command line win over the file, the broker stops
# with exit 0 on SIGINT as on SIGTERM, every program answers --help, and the clients tell
# "broker unreachable" (exit 69) and usage errors (exit 64) apart.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "deploy/permitd.conf is a valid configuration"
# The reference config names key files under /etc/permit; test_security.sh checks -n with keys.
run "$PERMITD" --config "$PERMIT_SRC/deploy/permitd.conf" --curve no -n
((RC == 0)) || fail "permitd -n on deploy/permitd.conf exited $RC: $ERR"
[[ "$OUT$ERR" == *"configuration OK"* ]] || fail "permitd -n did not say configuration OK: $OUT $ERR"
# Every option of --help is documented in the reference config.
run "$PERMITD" --help
((RC == 0)) || fail "permitd --help exited $RC"
grep -oE '^  --[a-z-]+' <<<"$OUT" | sed 's/^  --//' >"$T/options"
[[ -s "$T/options" ]] || fail "permitd --help lists no options: $OUT"
while read -r opt; do
    case $opt in config | rebuild | help | version) continue ;; esac
    key=${opt//-/_}
    grep -qE "^(; )?$key = " "$PERMIT_SRC/deploy/permitd.conf" ||
        fail "deploy/permitd.conf does not document '$key'"
done <"$T/options"

step "bad configurations are refused with FILE:LINE: reason"
bad() {
    local name=$1 line=$2
    shift 2
    printf '%s\n' "$@" >"$T/$name.conf"
    run "$PERMITD" --config "$T/$name.conf" -n
    ((RC != 0)) || fail "permitd -n accepted $name.conf"
    [[ "$ERR" == *"$T/$name.conf:$line:"* ]] || fail "$name.conf: no FILE:$line: in '$ERR'"
    [[ "$OUT" != *"configuration OK"* ]] || fail "$name.conf: said configuration OK"
}
bad unknown_key 3 "[permitd]" "db = x.db" "dbb = y.db"
bad bad_level 2 "[permitd]" "log_level = loud"
# inih reports a key under an unknown section on the key's line.
bad bad_section 2 "[brokerd]" "db = x.db"
bad bad_number 2 "[permitd]" "batch_max = many"
bad bad_due 2 "[permitd]" "first_half_due = 02-30"
bad bad_offset 2 "[permitd]" "utc_offset = Beijing"
bad bad_test_clock 2 "[permitd]" "test_clock = yesterday"
run "$PERMITD" --config "$T/no-such.conf" -n
((RC != 0)) || fail "permitd -n accepted a missing config file"

step "a config file's endpoints, with the command line winning"
cat >"$T/permitd.conf" <<EOF
[permitd]
db = $T/from-config.db
ingest = $INGEST
publish = $PUBLISH
query = $QUERY
log_level = debug
curve = no
EOF
BROKER_LOG=$T/permitd.conf.log
db_start
"$PERMITD" --config "$T/permitd.conf" --db "$DB" >"$BROKER_LOG" 2>&1 &
BROKER_PID=$!
wait_for 20 "permitd to log ready:" broker_is_ready
import_samples
n=$(dbq "SELECT COUNT(*) FROM departments" 2>/dev/null) || n=0
((n > 0)) || fail "--db on the command line did not win over the config file"
[[ ! -e "$T/from-config.db" ]] || fail "the config file's db was opened although --db was given"
grep -q "debug:" "$BROKER_LOG" || fail "log_level = debug from the config file had no effect"

step "SIGINT stops the broker cleanly"
rc=0
kill -s INT "$BROKER_PID"
broker_gone() { ! pid_alive "$BROKER_PID"; }
wait_for 15 "permitd to exit on SIGINT" broker_gone
wait "$BROKER_PID" || rc=$?
BROKER_PID=
((rc == 0)) || fail "permitd exited $rc on SIGINT"

step "the broker is gone: clients say unreachable (69)"
run "$PERMIT_AGENT" send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW \
    --event accepted --timeout 200 --tries 2
((RC == 69)) || fail "send to a stopped broker exited $RC (expected 69): $ERR"
[[ -z "$OUT" ]] || fail "send to a stopped broker printed '$OUT'"
run "$PERMITCTL" --timeout 200 --tries 2 status TL-2026-001
((RC == 69)) || fail "status with a stopped broker exited $RC (expected 69): $ERR"

step "the environment names the endpoints; --broker wins over it"
start_broker
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
run env PERMIT_BROKER="ipc://$T/nothing.sock" "$PERMIT_AGENT" send --broker "$INGEST" \
    --dept EEB --project TL-2026-001 --procedure EIA --event accepted --timeout 500 --tries 2
((RC == 0)) || fail "--broker did not win over PERMIT_BROKER (exit $RC): $ERR"

if on_sqlite; then
    step "one broker per database file: a second one is refused (the lock file)"
    run "$PERMITD" --db "$DB" --ingest "ipc://$T/second-i.sock" \
        --publish "ipc://$T/second-p.sock" --query "ipc://$T/second-q.sock" --curve no
    ((RC == 75)) || fail "a second permitd on the same db exited $RC (expected 75)"
    [[ "$ERR" == *"another permitd is using"* ]] || fail "no clear reason for the refusal: $ERR"
    stop_broker
else
    step "one broker serves a database: a second one takes over, the first stops with 75"
    spawn second "$PERMITD" --db "$DB" --ingest "ipc://$T/second-i.sock" \
        --publish "ipc://$T/second-p.sock" --query "ipc://$T/second-q.sock" --curve no
    SECOND_PID=$SPAWNED
    second_ready() {
        pid_alive "$SECOND_PID" || fail "the second permitd died: $(tail -n 5 "$T/second.err")"
        grep -qs "ready:" "$T/second.err" "$T/second.out"
    }
    wait_for 20 "the second permitd to log ready:" second_ready
    # The first one learns it was deposed at its next transaction at the latest.
    ev=(--dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event approved --id cfg-1)
    run "$PERMIT_AGENT" send --broker "$INGEST" "${ev[@]}" --timeout 500 --tries 2
    ((RC != 0)) || fail "the deposed broker acked an event: seq $OUT"
    wait_for 15 "the deposed permitd to exit" broker_gone
    rc=0
    wait "$BROKER_PID" || rc=$?
    ((rc == 75)) || fail "the deposed permitd exited $rc (expected 75)"
    grep -q "deposed:" "$BROKER_LOG" || fail "the deposed permitd did not say why it stopped"
    [[ "$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'cfg-1'")" == 0 ]] ||
        fail "the deposed broker committed the event it was sent"
    BROKER_PID=$SECOND_PID BROKER_LOG=$T/second.err
    send --broker "ipc://$T/second-i.sock" "${ev[@]}"
    stop_broker
fi

step "SIGHUP reloads the log level from the config file, and keeps the command line's options"
printf '[permitd]\nlog_level = info\n' >"$T/reload.conf"
# Not start_broker: its --log-level would win over the file's, at the start and every reload.
db_start
BROKER_LOG=$T/reload.log
"$PERMITD" --config "$T/reload.conf" --db "$DB" --ingest "$INGEST" --publish "$PUBLISH" \
    --query "$QUERY" --curve no >"$BROKER_LOG" 2>&1 &
BROKER_PID=$!
wait_for 20 "permitd to log ready:" broker_is_ready
send --dept WRB --project TL-2026-001 --procedure SOIL_WATER --event accepted
! grep -q " debug: " "$BROKER_LOG" || fail "debug lines at log_level info"
printf '[permitd]\nlog_level = debug\n' >"$T/reload.conf"
kill -s HUP "$BROKER_PID"
reloaded() { grep -q "SIGHUP: reloaded" "$BROKER_LOG"; }
wait_for 10 "permitd to log the reload" reloaded
# The endpoints, db and curve came from the command line: the file's defaults do not replace
# them (permitd used to warn that each had "changed").
! grep -q "changed; it takes effect at the next start" "$BROKER_LOG" ||
    fail "SIGHUP forgot the command line's options: $(grep "changed;" "$BROKER_LOG")"
send --dept WRB --project TL-2026-001 --procedure SOIL_WATER --event approved
debug_logged() { grep -q " debug: ingest: batch" "$BROKER_LOG"; }
wait_for 10 "a debug line after the reload" debug_logged
printf '[permitd]\nlog_level = loud\n' >"$T/reload.conf"
kill -s HUP "$BROKER_PID"
kept() { grep -q "keeping the running configuration" "$BROKER_LOG"; }
wait_for 10 "permitd to refuse the bad reload" kept
send --dept CTB --project TL-2026-001 --procedure RELICS --event accepted
stop_broker

step "usage errors exit 64; every program answers --help"
run "$PERMIT_AGENT" frobnicate
((RC == 64)) || fail "permit-agent frobnicate exited $RC (expected 64)"
run "$PERMITCTL" frobnicate
((RC == 64)) || fail "permitctl frobnicate exited $RC (expected 64)"
run "$PERMITCTL" import departments
((RC == 64)) || fail "permitctl import without FILE exited $RC (expected 64)"
run "$PERMITD" --no-such-option
((RC == 64 || RC == 1)) || fail "permitd --no-such-option exited $RC"
for prog in "$PERMITD" "$PERMIT_AGENT" "$PERMITCTL"; do
    run "$prog" --help
    ((RC == 0)) || fail "$prog --help exited $RC"
    [[ "$OUT" == *usage* ]] || fail "$prog --help printed no usage on stdout"
done
