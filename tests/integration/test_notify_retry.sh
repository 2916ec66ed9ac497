#!/usr/bin/env bash
# Failed deliveries: a receiver that is down and then comes back gets the notification once
# (retried with backoff, not lost, not doubled); a receiver answering 500 and a robot
# refusing with an errcode turn deliveries into dead letters after max_attempts, which
# `status` lists with the last error and `retry` sends again once the cause is fixed.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http down
DOWN_PORT=$PORT
DOWN_PID=$SPAWNED
stop_child "$DOWN_PID" http-down
start_http flaky --fail-file "$T/flaky.fail"
FLAKY_PORT=$PORT
start_http robot --robot-error "$T/robot.fail"
ROBOT_PORT=$PORT
touch "$T/flaky.fail" "$T/robot.fail"
# DRC's unblocked entries only: registration also announces the procedures ready from the
# start (other departments), which would add their stewards' deliveries to the counts here.
cat >"$T/routes.conf" <<CONF
[route dept=DRC]
unblocked = dept, steward
[contact dept:DRC]
webhook = http://127.0.0.1:$DOWN_PORT/hook/DRC
[contact 张伟]
webhook = http://127.0.0.1:$FLAKY_PORT/hook/zhangwei
[contact 王丽娜]
wecom = http://127.0.0.1:$ROBOT_PORT/wecom/wanglina
CONF
# No pacing: the robot would otherwise be held at 20 attempts a minute (test_notify_pace.sh).
notify_conf max_attempts=1000 backoff_min_ms=100 backoff_max_ms=200 pace_limit=0
start_notify

step "DRC's receiver is down: the delivery keeps being retried"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
s1=$(log_json --project TL-2026-001 --kind unblocked |
    jq -r 'select(.procedure == "PROJECT_APPROVAL") | .seq')
send --dept NRB --project TL-2026-002 --procedure LAND_PREREVIEW --event accepted
s2=$(log_json --project TL-2026-002 --kind unblocked |
    jq -r 'select(.procedure == "PROJECT_APPROVAL") | .seq')
drc_retried() {
    nctl history --seq "$s1" --json
    jq -e -s 'any(.[]; .recipient == "dept:DRC" and .state == "pending" and .attempts >= 2
        and (.last_error | test("onnect")))' <<<"$OUT" >/dev/null
}
wait_for 20 "the DRC delivery to be retried after connection errors" drc_retried

step "DRC's receiver comes back on the same port: both notifications delivered, once each"
start_http down --port "$DOWN_PORT"
wait_count 20 2 "$T/down.jsonl" 'true'
sleep 1
(($(count "$T/down.jsonl" 'true') == 2)) || fail "DRC got $(cat "$T/down.jsonl")"
[[ "$(jq -r .key "$T/down.jsonl" | sort | tr '\n' ' ')" == "$s1-dept%3ADRC $s2-dept%3ADRC " ]] ||
    fail "DRC keys: $(jq -r .key "$T/down.jsonl")"

step "SIGHUP lowers max_attempts to 3: the other two become dead letters"
notify_conf max_attempts=3 backoff_min_ms=100 backoff_max_ms=200 pace_limit=0
kill -HUP "$NOTIFY_PID"
dead_count() { nctl history --state dead --json; (($(jq -s length <<<"$OUT") >= $1)); }
wait_for 30 "two dead letters (HTTP 500 and the robot's errcode)" dead_count 2
nctl status
[[ "$OUT" == *"dead letters 2"* && "$OUT" == *"HTTP 500"* && "$OUT" == *"errcode 93000"* ]] ||
    fail "status: $OUT"
grep -q "reload: routes and templates loaded" "$NOTIFY_LOG" || fail "no reload logged"

step "the causes are fixed: retry sends the dead letters, once each"
rm -f "$T/flaky.fail" "$T/robot.fail"
nctl retry --all
[[ "$OUT" == "2 queued again" ]] || fail "retry --all said: $OUT"
wait_count 20 1 "$T/flaky.jsonl" ".key == \"$s1-\" + (\"张伟\" | @uri)"
wait_count 20 1 "$T/robot.jsonl" ".key == \"$s2-\" + (\"王丽娜\" | @uri)"
sleep 1
(($(count "$T/flaky.jsonl" 'true') == 1 && $(count "$T/robot.jsonl" 'true') == 1)) ||
    fail "after retry: $(cat "$T/flaky.jsonl" "$T/robot.jsonl")"
nctl status
[[ "$OUT" == *"dead letters 0"* ]] || fail "status after retry: $OUT"
run "$PERMIT_NOTIFY" retry 999 --config "$T/notify.conf"
((RC == 65)) || fail "retry of an unknown id exited $RC"
stop_notify
