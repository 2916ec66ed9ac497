#!/usr/bin/env bash
# An event with a field longer than the broker takes is refused where it comes in, with the
# field, its length and the limit: a spool file goes to failed/ with the reason, send --queue
# and send exit 65 with nothing queued or sent. The agent never hands it to the broker, so it
# cannot wedge its procedure: the later events of the same procedure are delivered and acked,
# and the link stays up (no "broker lost", no reconnecting).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

start_broker
import_samples
agent_conf nrb NRB
start_agent nrb
SPOOL=$T/nrb/spool
P=TL-2026-001

step "a spool event with a 5,000-byte note goes to failed/ with the reason"
note=$(head -c 5000 /dev/zero | tr '\0' n)
printf 'id,project,procedure,event,note\nlong-1,%s,LAND_PREREVIEW,accepted,%s\n' "$P" "$note" \
    >"$T/long.csv"
drop_file nrb "$T/long.csv"
wait_for 10 "long.csv in failed/" test -f "$SPOOL/failed/long.csv.reason"
grep -q "^long.csv:2: 'note' is 5000 bytes, longer than the 4096 the broker takes" \
    "$SPOOL/failed/long.csv.reason" || fail "long.csv.reason: $(cat "$SPOOL/failed/long.csv.reason")"

step "a 300-character cert: send --queue and send exit 65, nothing queued or sent"
cert=$(head -c 300 /dev/zero | tr '\0' c)
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project "$P" \
    --procedure LAND_PREREVIEW --event approved --cert "$cert" --id long-2
((RC == 65)) || fail "send --queue of a 300-character cert exited $RC (expected 65): $OUT $ERR"
[[ "$ERR" == *"--cert is 300 bytes, longer than the 256 the broker takes"* ]] ||
    fail "send --queue does not say which field is too long: $ERR"
[[ "$(wc -l <<<"$ERR")" == 1 ]] || fail "the refusal is not one line: $ERR"
run "$PERMIT_AGENT" send --dept NRB --broker "$INGEST" --project "$P" \
    --procedure LAND_PREREVIEW --event approved --cert "$cert" --id long-3
((RC == 65)) || fail "send of a 300-character cert exited $RC (expected 65): $OUT $ERR"
[[ "$ERR" == *"--cert is 300 bytes"* && -z "$OUT" ]] || fail "send: '$OUT' '$ERR'"
agent_json nrb
[[ "$(jq '.queued + .sent + (.rejected | length)' <<<"$OUT")" == 0 ]] ||
    fail "an over-long event was taken: $OUT"

step "the later events of the same procedure are delivered and acked"
printf 'id,project,procedure,event\nok-1,%s,LAND_PREREVIEW,accepted\n' "$P" >"$T/ok.csv"
drop_file nrb "$T/ok.csv"
wait_sent nrb 1 15
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project "$P" \
    --procedure LAND_PREREVIEW --event approved --cert 用字第1号 --id ok-2
((RC == 0)) || fail "send --queue of a good event exited $RC: $ERR"
wait_sent nrb 2 15
[[ "$(dbq "SELECT COUNT(*) FROM log WHERE event_id IN ('ok-1', 'ok-2')")" == 2 ]] ||
    fail "the good events are not in the broker's log"
[[ "$(dbq "SELECT COUNT(*) FROM log WHERE event_id LIKE 'long-%'")" == 0 ]] ||
    fail "an over-long event is in the broker's log"

step "the link never went down"
! grep -E "broker lost|does not answer|without reading it" "$AGENT_LOG" ||
    fail "the agent lost the broker or was refused unread: $(grep -E "lost|answer|reading" "$AGENT_LOG")"
stop_agent nrb

step "an agent configured with a department code longer than the broker takes does not start"
run "$PERMIT_AGENT" run --dept "$(printf 'N%.0s' {1..65})" --state "$T/long-dept" --broker "$INGEST" -n
((RC == 78)) && [[ "$ERR" == *"at most 64 bytes"* ]] ||
    fail "permit-agent run -n took a 65-byte department code (exit $RC): $ERR"
