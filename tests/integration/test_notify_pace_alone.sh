#!/usr/bin/env bash
# Pacing on its own: a WeCom robot stand-in takes 3 messages per 2 s window (pace_limit=3,
# pace_window_ms=2000 likewise). Three notices go out at once; two more that come while the
# window is full wait for the next one and go out one by one: no digest (the queue never
# holds more than a window's worth), no 45009 from the robot, never more than 3 in a window.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http robot --rate 3 --window-ms 2000 --robot wecom
cat >"$T/routes.conf" <<CONF
[route]
accepted = taskforce
[contact taskforce]
wecom = http://127.0.0.1:$PORT/wecom/taskforce
CONF
notify_conf pace_limit=3 pace_window_ms=2000 max_attempts=1
start_notify
R=$T/robot.jsonl

step "three notices: out at once"
for p in 001 002 003; do
    send --dept NRB --project "TL-2026-$p" --procedure LAND_PREREVIEW --event accepted
done
wait_count 10 3 "$R" 'true'
step "two more while the window is full: they wait for the next window"
for p in 004 005; do
    send --dept NRB --project "TL-2026-$p" --procedure LAND_PREREVIEW --event accepted
done
wait_count 15 5 "$R" 'true'
jq -s '[.[].t] | sort' "$R" >"$T/times.json"
"$PY" - "$T/times.json" <<'PY' || fail "paced badly: $(cat "$T/times.json")"
import json, sys
t = json.load(open(sys.argv[1]))
assert len(t) == 5, t
# The robot's own count: never more than 3 in any 2 s.
assert all(sum(1 for u in t if s <= u < s + 2.0) <= 3 for s in t), t
# The fourth waited for the window of the first to pass.
assert t[3] - t[0] >= 1.9, t
PY
[[ ! -e "$R.throttled" ]] || fail "the robot refused $(cat "$R.throttled") as too fast"
step "every notice sent on its own: none digested, no dead letter"
nctl history --json
jq -e -s '[.[] | select(.route == "accepted")] | length == 5
    and all(.[]; .state == "sent")' <<<"$OUT" >/dev/null || fail "history: $OUT"
(($(count "$R" '.body.markdown.content | test("\\([0-9]+/[0-9]+\\)|汇总|digest")') == 0)) ||
    fail "a digest went out: $(cat "$R")"
stop_notify
