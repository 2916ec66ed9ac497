#!/usr/bin/env bash
# kill -9 of the broker while a department agent sends, twice: the agent logs the loss once
# and the return once per outage, resends what was in flight under the same ids after the
# broker restarts on the same database, and in the end every event is applied exactly once,
# every procedure in order, nothing refused.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

P=KB
NPROJ=400
CHAIN="accepted supplement_requested supplement_received approved"
TOTAL=$((NPROJ * 4))

start_with_projects "$P" "$NPROJ"

step "$TOTAL events in one JSON lines file"
for kind in $CHAIN; do
    for ((i = 1; i <= NPROJ; i++)); do
        printf '{"project": "%s-%03d", "procedure": "LAND_PREREVIEW", "event": "%s"}\n' \
            "$P" "$i" "$kind"
    done
done >"$T/all.jsonl"
agent_conf nrb NRB window=4
start_agent nrb
drop_file nrb "$T/all.jsonl"

logged() { dbq "SELECT COUNT(*) FROM ($(events_sql "$P-%")) AS e"; }
at_least() { (($(logged) >= $1)); }
lost_count() { grep -c "broker lost" "$AGENT_LOG" || true; }
lost_logged() { (($(lost_count) >= $1)); }
for ((k = 1; k <= 2; k++)); do
    wait_for 30 "$((k * 300)) events logged" at_least $((k * 300))
    kill9_broker
    step "outage $k: broker killed with $(logged) of $TOTAL events logged"
    wait_for 10 "the agent to notice the loss" lost_logged "$k"
    start_broker
done

wait_sent nrb "$TOTAL" 60
lost=$(lost_count)
back=$(grep -c "broker back" "$AGENT_LOG" || true)
((lost == 2 && back == 2)) || fail "the agent logged $lost losses and $back returns (want 2, 2)"

step "each event applied once, every procedure in order, nothing refused"
check_once "$P-%" "$TOTAL"
check_chains "$P-%" "$CHAIN"
[[ "$(agent_field nrb '.rejected | length')" == 0 ]] || fail "events were refused: $OUT"
read -r count maxseq < <(dbq "SELECT COUNT(*), MAX(seq) FROM log")
((count == maxseq)) || fail "the log has $count entries but seqs up to $maxseq: a gap"
stop_agent nrb
stop_broker
