#!/usr/bin/env bash
# One event the broker cannot read must not wedge the agent. An event queued before the
# agent checked lengths (written into the outbox by hand here) has an id longer than the
# broker takes, so the broker's "malformed" refusal cannot name it: the agent pairs the
# refusal with the one event waiting for an answer and moves it to the rejected list, the
# later event of the same procedure is delivered and acked, and the link never goes down.
# Then `permit-agent drop` on an event in flight to a broker that does not answer: it is
# dropped and not sent again.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

start_broker
import_samples
# A long answer window: an event stays in flight to a stopped broker for a while.
agent_conf nrb NRB timeout_ms=6000
start_agent nrb
P=TL-2026-001
OB=$T/nrb/outbox.db

step "an event with a 200-character id, queued behind the agent's back, is rejected"
long=$(head -c 200 /dev/zero | tr '\0' i)
sqlite3 -cmd ".timeout 10000" "$OB" "INSERT INTO outbox(id, kind, project, procedure,
    event_ms, source, added_ms) VALUES ('$long', 'accepted', '$P', 'LAND_PREREVIEW',
    $(date +%s)000, 'by hand', $(date +%s)000)" >/dev/null
rejected_one() {
    agent_json nrb
    [[ "$(jq -r '"\(.queued) \(.rejected | length)"' <<<"$OUT")" == "0 1" ]]
}
wait_for 15 "the unreadable event in the rejected list" rejected_one
jq -e --arg id "$long" '.rejected[0] | .id == $id and .code == "malformed"
    and (.reason | contains("event_id: 200 bytes (limit 128)"))' <<<"$OUT" >/dev/null ||
    fail "the rejected event lacks its code or reason: $OUT"

step "the later event of the same procedure is delivered and acked"
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project "$P" \
    --procedure LAND_PREREVIEW --event accepted --id after-1
((RC == 0)) || fail "send --queue exited $RC: $ERR"
wait_sent nrb 1 15
[[ "$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'after-1'")" == 1 ]] ||
    fail "after-1 is not in the broker's log"
! grep -E "broker lost|does not answer" "$AGENT_LOG" ||
    fail "the agent lost the broker: $(grep -E "lost|answer" "$AGENT_LOG")"
[[ "$(grep -c "refused a frame it could not read" "$AGENT_LOG")" == 1 ]] ||
    fail "the refusal was not attributed once: $(grep refused "$AGENT_LOG")"

step "drop: a rejected event, and one in flight to a broker that does not answer"
run "$PERMIT_AGENT" drop --config "$T/nrb.conf" "$long"
((RC == 0)) || fail "drop of the rejected event exited $RC: $ERR"
kill -s STOP "$BROKER_PID"
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project "$P" \
    --procedure LAND_PREREVIEW --event approved --cert 用字第9号 --id stuck-1
((RC == 0)) || fail "send --queue exited $RC: $ERR"
sleep 1 # the daemon takes it within scan_ms (50 ms) and sends it; no answer for 6 s
run "$PERMIT_AGENT" drop --config "$T/nrb.conf" stuck-1
((RC == 0)) || fail "drop of a queued event exited $RC (expected 0): $ERR"
[[ "$OUT" == "dropped stuck-1" ]] || fail "drop printed '$OUT'"
wait_for 10 "the agent to stop sending stuck-1" grep -q "stuck-1 was dropped by a clerk" "$AGENT_LOG"
agent_json nrb
[[ "$(jq -r '"\(.queued) \(.dropped) \(.rejected | length)"' <<<"$OUT")" == "0 2 0" ]] ||
    fail "after the drops: $OUT"
run "$PERMIT_AGENT" drop --config "$T/nrb.conf" after-1
((RC == 65)) || fail "drop of an acked event exited $RC (expected 65)"
[[ "$ERR" == *"not a queued or rejected event"* ]] || fail "drop of an acked event: $ERR"
kill -s KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID=
stop_agent nrb
