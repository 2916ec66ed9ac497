#!/usr/bin/env bash
# A robot's rate-limit answer is "wait", not a failure: a WeCom stand-in that takes 1 message
# per 1.5 s answers errcode 45009 to the second of two notices sent together (pacing is off,
# so the notifier does not see it coming). With max_attempts=1 a counted failure would be a
# dead letter at once; instead the notice waits a window and is delivered, its attempts still
# 0 failures, and status shows no dead letter.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http robot --rate 1 --window-ms 1500 --robot wecom
cat >"$T/routes.conf" <<CONF
[route]
accepted = a, b
[contact a]
wecom = http://127.0.0.1:$PORT/wecom/group
[contact b]
wecom = http://127.0.0.1:$PORT/wecom/group
CONF
notify_conf pace_limit=0 pace_window_ms=1500 max_attempts=1
start_notify
R=$T/robot.jsonl

step "two notices to one robot at once: the second is answered 45009"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
wait_for 10 "the robot to answer 45009" test -s "$R.throttled"
step "it waits and is delivered later: no dead letter, no attempt counted"
wait_count 15 2 "$R" 'true'
(($(count "$R" '.dup') == 0)) || fail "delivered twice: $(cat "$R")"
nctl history --json
jq -e -s 'length == 2 and all(.[]; .state == "sent" and .attempts <= 1)
    and any(.[]; .last_error // "" | contains("45009"))' <<<"$OUT" >/dev/null ||
    fail "history: $OUT"
nctl status
[[ "$OUT" == *"dead letters 0"* ]] || fail "status: $OUT"
grep -q "not counted as an attempt" "$T"/notify.*.err || fail "no wait in the log"
stop_notify
