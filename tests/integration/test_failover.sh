#!/usr/bin/env bash
# Clients failing over between two brokers: node A and node B, each on ipc endpoints of its
# own, share one database file (active/passive on a shared disk; permitd's lock file lets only
# one run). Two department agents, the notifier and `permitctl tail -f` are all given both
# nodes' endpoints. Node A is killed with kill -9 while the agents send; node B starts on the
# same database; then B is killed and A takes over again. Afterwards: every event an agent took
# is in the log exactly once and in order (tests/faults/check.py), each agent said the broker
# was back naming the node that answered, the notifier delivered every unblock once per
# idempotency key, tail -f printed every entry once and in order, and permitctl and
# permit-agent send work with a list whose first endpoint is dead. On PostgreSQL the nodes
# share the database server instead of a file (check.py --pg), and permitd --rebuild there
# must reproduce the live state too.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

P=FO
NPROJ=130 # phases 1, 2 and 3 use projects 1-100, 101-120 and 121-130
for n in a b; do
    declare "${n^^}_INGEST=ipc://$T/$n-ingest.sock" "${n^^}_PUBLISH=ipc://$T/$n-publish.sock" \
        "${n^^}_QUERY=ipc://$T/$n-query.sock"
done
# Every client knows both nodes, A first.
export PERMIT_BROKER=$A_INGEST,$B_INGEST PERMIT_QUERY=$A_QUERY,$B_QUERY
export PERMIT_PUBLISH=$A_PUBLISH,$B_PUBLISH
# start_node a|b: permitd on that node's endpoints and the shared database.
start_node() {
    local n=${1^^} v
    v=${n}_INGEST && INGEST=${!v}
    v=${n}_PUBLISH && PUBLISH=${!v}
    v=${n}_QUERY && QUERY=${!v}
    start_broker --heartbeat-ms 200
}

tail_reached() { [[ -s "$T/tail.out" ]] && (($(tail -n 1 "$T/tail.out" | jq .seq) >= $1)); }
logged() { dbq "SELECT COUNT(*) FROM ($(events_sql "$P-%")) AS e"; }
at_least() { (($(logged) >= $1)); }
back_on() { grep -qs "broker back: $2 answers" "$T/agent-$1.1.err"; }

# events FILE DEPT PROCEDURE FROM TO: accepted then approved for projects FROM..TO, with ids of
# their own (listed in $T/accepted.ids for the checker).
events() {
    local file=$1 dept=$2 proc=$3 i kind id
    for kind in accepted approved; do
        for ((i = $4; i <= $5; i++)); do
            id=$(printf '%s-%s-%03d-%s' "$dept" "$P" "$i" "$kind")
            printf '{"project": "%s-%03d", "procedure": "%s", "event": "%s", "id": "%s"}\n' \
                "$P" "$i" "$proc" "$kind" "$id"
            echo "$id" >>"$T/accepted.ids"
        done
    done >"$T/$file"
}

# phase N FROM TO: both agents take a file of events for projects FROM..TO.
phase() {
    events "nrb-$1.jsonl" NRB LAND_PREREVIEW "$2" "$3"
    events "eeb-$1.jsonl" EEB EIA "$2" "$3"
    drop_file nrb "$T/nrb-$1.jsonl"
    drop_file eeb "$T/eeb-$1.jsonl"
}

step "lists that do not make sense are configuration errors (exit 78)"
printf '[agent]\ndept = NRB\nstate = %s\nbroker = %s,,%s\n' "$T/bad" "$A_INGEST" "$B_INGEST" \
    >"$T/bad-agent.conf"
run "$PERMIT_AGENT" run --config "$T/bad-agent.conf" -n
{ ((RC == 78)) && [[ "$ERR" == *"endpoint 2 of the list is empty"* ]]; } ||
    fail "an agent with an empty endpoint in its list: $RC $ERR"
QUERY=$PERMIT_QUERY PUBLISH=$A_PUBLISH notify_conf
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
{ ((RC == 78)) && [[ "$ERR" == *"2 query endpoints but 1 publish"* ]]; } ||
    fail "a notifier with 2 query endpoints and 1 publish endpoint: $RC $ERR"

step "node A up; departments, template and $NPROJ projects imported through the list"
start_node a
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
register_projects "$P" "$NPROJ"

step "the notifier, tail -f and two agents, all given both nodes"
start_http web
routes_unblocked_webhook
QUERY=$PERMIT_QUERY PUBLISH=$PERMIT_PUBLISH notify_conf silence_ms=1000 query_timeout_ms=500
start_notify
spawn tail "$PERMITCTL" --timeout 500 tail -f --from 0 --json
TAIL_PID=$SPAWNED
INGEST=$PERMIT_BROKER agent_conf nrb NRB window=4
INGEST=$PERMIT_BROKER agent_conf eeb EEB window=4
start_agent nrb
start_agent eeb
agent_json nrb
[[ "$(jq -r .broker.endpoint <<<"$OUT")" == "$A_INGEST" ]] || fail "nrb status: $OUT"
[[ "$(jq -c .broker.endpoints <<<"$OUT")" == "[\"$A_INGEST\",\"$B_INGEST\"]" ]] ||
    fail "nrb status does not list both brokers: $OUT"

step "phase 1: the agents send; node A is killed with kill -9 in mid-stream"
phase 1 1 100
wait_for 30 "20 events logged on node A" at_least 20
kill9_broker
n=$(logged)
((n < 400)) || fail "all 400 events were logged before node A was killed: nothing was in flight"
step "node A killed with $n of 400 events logged; node B starts on the same database"
start_node b
wait_for 20 "nrb to say node B is back" back_on nrb "$B_INGEST"
wait_for 20 "eeb to say node B is back" back_on eeb "$B_INGEST"
wait_sent nrb 200 30
wait_sent eeb 200 30
agent_json nrb
[[ "$(jq -r .broker.endpoint <<<"$OUT")" == "$B_INGEST" ]] ||
    fail "nrb status does not name node B as the endpoint in use: $OUT"
run "$PERMIT_AGENT" status --state "$T/nrb"
[[ "$OUT" == *"broker      $B_INGEST: reachable since"* ]] || fail "nrb status: $OUT"
grep -q "broker lost: no answer from $A_INGEST" "$T/agent-nrb.1.err" ||
    fail "nrb did not log the loss of node A: $(grep broker "$T/agent-nrb.1.err")"

step "phase 2 on node B; permitctl and permit-agent send with node A (first) dead"
phase 2 101 120
run "$PERMITCTL" --timeout 500 status "$P-001" --json
((RC == 0)) || fail "permitctl status with A dead exited $RC: $ERR"
[[ "$(jq -r .project.id <<<"$OUT")" == "$P-001" ]] || fail "permitctl status: $OUT"
run "$PERMIT_AGENT" send --timeout 500 --dept WRB --project "$P-001" --procedure SOIL_WATER \
    --event accepted --id "WRB-$P-001-accepted"
if ((RC != 0)) || [[ ! "$OUT" =~ ^[0-9]+$ ]]; then
    fail "permit-agent send with A dead: $RC $OUT $ERR"
fi
echo "WRB-$P-001-accepted" >>"$T/accepted.ids"
wait_sent nrb 240 30
wait_sent eeb 240 30
# Both followers must be on node B before it goes, or they could sit out its whole life.
on_b() { grep -qs "follow: $B_QUERY answers again" "$1"; }
wait_for 20 "the notifier to follow node B" on_b "$NOTIFY_LOG"
head=$(db_head)
wait_for 20 "tail -f to print node B's head $head" tail_reached "$head"
grep -q "follow: $A_QUERY does not answer; moving on to $B_QUERY" "$NOTIFY_LOG" ||
    fail "the notifier did not say it moved from A to B: $(grep follow "$NOTIFY_LOG")"

step "fail back: node B killed with kill -9, node A starts again"
phase 3 121 130
kill9_broker
start_node a
lost_b() { grep -qs "broker lost: no answer from $B_INGEST" "$T/agent-$1.1.err"; }
wait_for 20 "nrb to lose node B" lost_b nrb
wait_for 20 "nrb to say node A is back" back_on nrb "$A_INGEST"
wait_for 20 "eeb to say node A is back" back_on eeb "$A_INGEST"
wait_sent nrb 260 30
wait_sent eeb 260 30
agent_json eeb
[[ "$(jq -r .broker.endpoint <<<"$OUT")" == "$A_INGEST" ]] || fail "eeb status: $OUT"

step "the notifier delivers every unblock once per idempotency key"
log_json --kind unblocked >"$T/unblocked.json"
nunblocked=$(jq -s length "$T/unblocked.json")
# Per project: four ready at registration (LAND_PREREVIEW, EIA, SOIL_WATER, RELICS) and two
# unblocked by the agents' events.
((nunblocked == 6 * NPROJ)) || fail "$nunblocked unblocked entries in the log (expected $((6 * NPROJ)))"
W=$T/web.jsonl
wait_count 30 "$nunblocked" "$W" '.dup | not'
# One delivery acted on per unblocked entry, under its key: the two sorted lists are equal.
jq -r '"\(.seq)-taskforce"' "$T/unblocked.json" | sort >"$T/keys.want"
jq -r 'select(.dup | not) | .key' "$W" | sort >"$T/keys.got"
cmp -s "$T/keys.want" "$T/keys.got" ||
    fail "deliveries acted on differ from the unblocks: $(diff "$T/keys.want" "$T/keys.got" |
        head -n 5)"

step "tail -f printed every entry once, in order"
head=$(db_head)
wait_for 20 "tail -f to reach seq $head" tail_reached "$head"
jq .seq "$T/tail.out" >"$T/tail.seqs"
seq 1 "$head" | cmp -s - "$T/tail.seqs" ||
    fail "tail -f did not print seqs 1..$head once each in order: $(seq 1 "$head" |
        diff - "$T/tail.seqs" | head -n 5)"

step "stop everything; check the log against what the agents took"
stop_child "$TAIL_PID" tail
stop_agent nrb
stop_agent eeb
stop_notify
stop_broker
if on_sqlite; then src=(--db "$DB"); else src=(--pg "$DB"); fi
run "$PY" "$PERMIT_SRC/tests/faults/check.py" "${src[@]}" --accepted "$T/accepted.ids" \
    --deliveries "$W" --permitd "$PERMITD" --label failover
((RC == 0)) || fail "check.py: $OUT $ERR"
step "$OUT"
check_once "$P-%" 521
db_dump_derived >"$T/live.txt"
"$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 || fail "rebuild: $(tail -n 5 "$T/rebuild.log")"
db_dump_derived >"$T/rebuilt.txt"
diff -u "$T/live.txt" "$T/rebuilt.txt" >"$T/diff" || fail "rebuild differs: $(head -n 30 "$T/diff")"
check_chains "$P-%" "accepted approved" "LAND_PREREVIEW EIA"
