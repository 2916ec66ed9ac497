#!/usr/bin/env bash
# Concurrent delivery: a receiver that accepts the connection and never answers holds up only
# its own deliveries (each destination has its own queue and each request its own deadline);
# the healthy receiver beside it gets every notice within a second or two. SIGTERM with the
# hung request in flight ends within 2 s, and what was not delivered goes out at the next start.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http hung --hang
HUNG_PORT=$PORT
HUNG_PID=$SPAWNED
start_http good
GOOD_PORT=$PORT
cat >"$T/routes.conf" <<CONF
[route dept=DRC]
unblocked = dept, taskforce
[contact dept:DRC]
webhook = http://127.0.0.1:$HUNG_PORT/hook/DRC
[contact taskforce]
webhook = http://127.0.0.1:$GOOD_PORT/hook/zhangwei
CONF
# The hung request's own deadline is far away: only concurrency lets the others through.
notify_conf send_timeout_ms=60000 max_attempts=1000
start_notify

step "the healthy receiver gets each notice within 2 s while the other one never answers"
n=0
for p in TL-2026-001 TL-2026-002 TL-2026-003; do
    send --dept NRB --project "$p" --procedure LAND_PREREVIEW --event accepted
    n=$((n + 1))
    wait_count 2 "$n" "$T/good.jsonl" 'true'
done
(($(count "$T/hung.jsonl" 'true') == 0)) || fail "the hung receiver recorded something"

step "SIGTERM with a request hanging: the notifier exits within 2 s"
t0=$(date +%s%N)
kill -s TERM "$NOTIFY_PID"
for ((i = 0; i < 100; i++)); do
    pid_alive "$NOTIFY_PID" || break
    sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
pid_alive "$NOTIFY_PID" && fail "permit-notify still running ${ms} ms after SIGTERM"
wait "$NOTIFY_PID" || fail "permit-notify exited non-zero after SIGTERM"
NOTIFY_PID=
((ms <= 2000)) || fail "permit-notify took ${ms} ms to stop"
echo "stopped ${ms} ms after SIGTERM"
nctl history --json
(($(jq -s '[.[] | select(.recipient == "dept:DRC" and .state == "pending")] | length' \
    <<<"$OUT") == 3)) || fail "DRC's notices are not all pending: $OUT"

step "the receiver answers again: the next start delivers what was left, once each"
stop_child "$HUNG_PID" http-hung
start_http hung --port "$HUNG_PORT"
start_notify
wait_count 10 3 "$T/hung.jsonl" 'true'
sleep 0.5
(($(count "$T/hung.jsonl" '.dup == false') == 3)) || fail "DRC got: $(cat "$T/hung.jsonl")"
(($(count "$T/good.jsonl" '.dup == false') == 3)) || fail "taskforce got: $(cat "$T/good.jsonl")"
stop_notify
