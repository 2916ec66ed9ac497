#!/usr/bin/env bash
# PostgreSQL backend: a deposed broker never answers from its stale memory.
#
# A broker that another one deposed (the fencing epoch moved) learns it at its next
# transaction; until then its memory (the procedure rows it caches) may be behind the log.
# 1. Idle and deposed, broker A is asked for a project's status: it must not give its stale
#    answer as current. It answers "storage" (retry elsewhere), learns it was deposed and
#    exits 75.
# 2. Broker A' takes over again from B, which is now the idle deposed one. B is sent an
#    `approved` for a procedure it still holds as not yet accepted (A' acked the acceptance):
#    its stale state would refuse it as forbidden_transition, a permanent refusal the agent
#    files for good. B must answer a temporary code (exit 75), step down, and the serving
#    broker A' then acks the same event, which is applied.
#
# Runs with PERMIT_TEST_BACKEND=postgresql whatever the environment says.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
export PERMIT_TEST_BACKEND=postgresql
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../integration/agent_lib.sh"

for n in a b; do
    declare "${n^^}_INGEST=ipc://$T/$n-ingest.sock" "${n^^}_PUBLISH=ipc://$T/$n-publish.sock" \
        "${n^^}_QUERY=ipc://$T/$n-query.sock"
done

# start_node a|b: permitd on that node's endpoints and the shared database; NODE_PID, NODE_LOG.
start_node() {
    local n=${1^^} v
    v=${n}_INGEST && INGEST=${!v}
    v=${n}_PUBLISH && PUBLISH=${!v}
    v=${n}_QUERY && QUERY=${!v}
    export PERMIT_BROKER=$INGEST PERMIT_QUERY=$QUERY PERMIT_PUBLISH=$PUBLISH
    start_broker --db-timeout-ms 1500
    NODE_PID=$BROKER_PID
    NODE_LOG=$BROKER_LOG
    CHILDREN+=("$NODE_PID")
    BROKER_PID=
}

# exits_75 PID LOG: the deposed broker steps down with exit 75, saying so once.
exits_75() {
    local pid=$1 log=$2 rc=0
    wait_for 20 "the deposed broker to exit" eval '! pid_alive '"$pid"
    wait "$pid" || rc=$?
    ((rc == 75)) || fail "the deposed broker exited $rc (expected 75)"
    grep -q "deposed" "$log" || fail "the deposed broker's log does not say it was deposed"
}

step "broker A serves; departments, template, projects"
start_node a
A_PID=$NODE_PID
A_LOG=$NODE_LOG
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
register_projects DEP 2
step "A answers the status of DEP-001 (its rows now in A's memory)"
ctl status DEP-001 --json
[[ "$OUT" == *LAND_PREREVIEW* ]] || fail "A's status of DEP-001: $OUT"
ctl status DEP-002 --json

step "broker B takes over; it accepts LAND_PREREVIEW of DEP-001 (A, idle, does not know)"
start_node b
B_PID=$NODE_PID
B_LOG=$NODE_LOG
grep -q "took over with fencing epoch 2" "$B_LOG" || fail "B did not take over with epoch 2"
send --broker "$B_INGEST" --dept NRB --project DEP-001 --procedure LAND_PREREVIEW \
    --event accepted --id dep-acc-1
pid_alive "$A_PID" || fail "A exited before anything asked it"
step "B also accepts EIA and SOIL_WATER of DEP-002 (the project now wholly in B's memory)"
send --broker "$B_INGEST" --dept EEB --project DEP-002 --procedure EIA --event accepted \
    --id dep-eia-2
send --broker "$B_INGEST" --dept WRB --project DEP-002 --procedure SOIL_WATER --event accepted \
    --id dep-soil-2

step "the idle deposed A refuses its stale status of DEP-001 (temporary), then exits 75"
run "$PERMITCTL" --query "$A_QUERY" --tries 1 status DEP-001 --json
((RC != 0)) || fail "the deposed A answered a stale status as current: $OUT"
[[ "$ERR" == *storage* ]] || fail "the deposed A's refusal is not 'storage': $ERR"
exits_75 "$A_PID" "$A_LOG"

step "A' starts again and takes over from B (B, idle, does not know)"
start_node a
A_PID=$NODE_PID
A_LOG=$NODE_LOG
grep -q "took over with fencing epoch 3" "$A_LOG" || fail "A' did not take over with epoch 3"
send --broker "$A_INGEST" --dept NRB --project DEP-002 --procedure LAND_PREREVIEW \
    --event accepted --id dep-acc-2
pid_alive "$B_PID" || fail "B exited before anything was sent to it"

step "the deposed B is sent an approval its stale state would refuse: it answers temporary"
run "$PERMIT_AGENT" send --broker "$B_INGEST" --tries 1 --timeout 5000 --dept NRB \
    --project DEP-002 --procedure LAND_PREREVIEW --event approved --cert NRB-2026-D2 \
    --id dep-app-2
((RC != 65)) || fail "the deposed B refused dep-app-2 for good: $ERR"
((RC == 75)) || fail "the deposed B answered dep-app-2 with exit $RC (expected 75): $OUT $ERR"
exits_75 "$B_PID" "$B_LOG"
[[ "$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'dep-app-2'")" == 0 ]] ||
    fail "the deposed B logged dep-app-2"

step "the serving A' acks the same event, and it is applied"
send --broker "$A_INGEST" --dept NRB --project DEP-002 --procedure LAND_PREREVIEW \
    --event approved --cert NRB-2026-D2 --id dep-app-2
[[ "$(dbq "SELECT seq FROM log WHERE event_id = 'dep-app-2'")" == "$SEQ" ]] ||
    fail "dep-app-2 was acked with seq $SEQ but is not logged under it"
ctl --query "$A_QUERY" status DEP-002 --json
[[ "$(jq -r '.procs[] | select(.code == "LAND_PREREVIEW") | .state' <<<"$OUT")" == approved ]] ||
    fail "DEP-002's LAND_PREREVIEW is not approved after A' acked dep-app-2: $OUT"
BROKER_PID=$A_PID
stop_broker
