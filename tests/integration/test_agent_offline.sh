#!/usr/bin/env bash
# Offline operation: with the broker stopped, 1,000 events arrive through the department
# agent's spool folder (CSV, a JSON array, JSON lines, CSV again); the agent takes every file
# into its outbox, says once that the broker does not answer, and keeps accepting input. The
# broker starts later: the agent says once that it is back, and every event is applied exactly
# once, in the order of its procedure (accepted, supplement requested, supplement received,
# approved), with the department's claimed times kept.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

NPROJ=250
P=OF

step "register $NPROJ projects, then stop the broker"
start_with_projects "$P" "$NPROJ"
head=$(db_head)
stop_broker

step "the NRB agent starts without a broker"
agent_conf nrb NRB
start_agent nrb
unreachable() { grep -q "does not answer" "$AGENT_LOG"; }
wait_for 10 "the agent to say the broker does not answer" unreachable
[[ "$(agent_field nrb .broker.reachable)" == false ]] ||
    fail "status does not say the broker is unreachable: $OUT"

step "four files of $NPROJ events each arrive through the spool"
mkdir -p "$T/in"
{
    echo "project,procedure,event,note,time"
    for ((i = 1; i <= NPROJ; i++)); do
        printf '%s-%03d,LAND_PREREVIEW,accepted,"受理, 第%d号",2026-03-02 09:%02d\n' "$P" "$i" "$i" \
            $((i % 60))
    done
} >"$T/in/2026-03-02-01-accepted.csv"
{
    echo "["
    for ((i = 1; i <= NPROJ; i++)); do
        ((i > 1)) && echo ","
        printf '  {"project": "%s-%03d", "procedure": "LAND_PREREVIEW",\n' "$P" "$i"
        printf '   "event": "supplement_requested", "note": "请补充界址图"}'
    done
    echo
    echo "]"
} >"$T/in/2026-03-02-02-supplement.json"
for ((i = 1; i <= NPROJ; i++)); do
    printf '{"project": "%s-%03d", "procedure": "LAND_PREREVIEW", "event": "supplement_received"}\n' \
        "$P" "$i"
done >"$T/in/2026-03-02-03-received.jsonl"
{
    echo "id,project,procedure,event,cert,time"
    for ((i = 1; i <= NPROJ; i++)); do
        printf 'of-approved-%d,%s-%03d,LAND_PREREVIEW,approved,用字第%d号,1772500000000\n' \
            "$i" "$P" "$i" "$i"
    done
} >"$T/in/2026-03-02-04-approved.csv"
for f in "$T"/in/*; do
    drop_file nrb "$f"
done
all_taken() { (($(find "$T/nrb/spool/done" -type f | wc -l) == 4)); }
wait_for 30 "all four files to move to done/" all_taken
[[ -z "$(ls -A "$T/nrb/spool/failed")" ]] || fail "files failed: $(cat "$T"/nrb/spool/failed/*.reason)"
[[ "$(agent_field nrb .queued)" == $((4 * NPROJ)) ]] ||
    fail "the outbox holds $(jq .queued <<<"$OUT") events, expected $((4 * NPROJ))"
run "$PERMIT_AGENT" status --state "$T/nrb"
[[ "$OUT" == *"UNREACHABLE"* && "$OUT" == *"queued      1000"* ]] ||
    fail "status does not show the broker down and 1000 queued: $OUT"
(($(db_head) == head)) || fail "the broker's log changed while it was stopped"

step "the broker starts: everything is delivered"
start_broker
wait_sent nrb $((4 * NPROJ)) 60
back=$(grep -c "broker back" "$AGENT_LOG" || true)
down=$(grep -c "does not answer\|broker lost" "$AGENT_LOG" || true)
((back == 1 && down == 1)) ||
    fail "the agent logged the broker's absence $down times and its return $back times (want 1, 1)"

step "each event applied once, in the order of its procedure"
check_once "$P-%" $((4 * NPROJ))
check_chains "$P-%" "accepted supplement_requested supplement_received approved"
n=$(dbq "SELECT COUNT(*) FROM procedures WHERE project LIKE '$P-%'
    AND code = 'LAND_PREREVIEW' AND state = 'approved'")
((n == NPROJ)) || fail "$n of $NPROJ land-use pre-reviews are approved"
[[ "$(agent_field nrb '.rejected | length')" == 0 ]] || fail "events were refused: $OUT"

step "the department's claimed times and texts arrived as given"
got=$(dbq "SELECT event_ms FROM log WHERE event_id = 'of-approved-7'")
((got == 1772500000000)) || fail "claimed time of of-approved-7: $got"
log_json --project "$P-007" >"$T/p7.json"
jq -e -s 'any(.[]; .kind == "accepted" and .note == "受理, 第7号")' "$T/p7.json" >/dev/null ||
    fail "the accepted event of $P-007 lost its note: $(head -c 600 "$T/p7.json")"
jq -e -s 'any(.[]; .kind == "approved" and .cert == "用字第7号")' "$T/p7.json" >/dev/null ||
    fail "the approved event of $P-007 lost its certificate"

stop_agent nrb
stop_broker
