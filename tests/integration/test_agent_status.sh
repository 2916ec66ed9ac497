#!/usr/bin/env bash
# permit-agent status right after the daemon starts: it never says the daemon runs and that
# there is "no daemon running" at once, and --json lists the configured brokers from the
# first moment the daemon runs (not an empty broker.endpoints), also before any broker
# answered ("connecting"), and on a second start not the facts of the first run.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

# No broker yet: the daemon stays "connecting" for a while, the window the old status missed.
agent_conf nrb NRB "broker=$INGEST,ipc://$T/second.sock"

# One look, text and JSON, each consistent; 1 once the daemon is seen running.
look() {
    run "$PERMIT_AGENT" status --state "$T/nrb"
    if ((RC != 0)); then
        [[ "$ERR" == *"no outbox in"* ]] || fail "status exited $RC: $ERR"
        return 0
    fi
    if [[ "$OUT" == *"daemon      running"* ]]; then
        [[ "$OUT" != *"no daemon running"* ]] || fail "status says running and not at once: $OUT"
        [[ "$OUT" == *"broker      $INGEST: "* ]] || fail "status names no broker: $OUT"
    fi
    run "$PERMIT_AGENT" status --state "$T/nrb" --json
    ((RC == 0)) || return 0
    if jq -e '.daemon.running' <<<"$OUT" >/dev/null; then
        jq -e --arg a "$INGEST" --arg b "ipc://$T/second.sock" \
            '.broker.endpoints == [$a, $b] and ((.broker.link == "connecting" and
             .broker.reachable == null) or (.broker.link == "down" and .broker.reachable == false))' <<<"$OUT" >/dev/null ||
            fail "status --json of a running daemon: $OUT"
        SEEN=$((SEEN + 1))
    fi
}

for start in 1 2; do
    step "start $start: status from the first moment"
    spawn "agent-nrb.$start" "$PERMIT_AGENT" run --config "$T/nrb.conf"
    AGENT_PID[nrb]=$SPAWNED
    AGENT_STARTS[nrb]=$start
    SEEN=0
    for ((i = 0; i < 400 && SEEN < 3; i++)); do
        look
    done
    ((SEEN >= 3)) || fail "status never saw the daemon running"
    run "$PERMIT_AGENT" status --state "$T/nrb"
    [[ "$OUT" == *"connecting since"* || "$OUT" == *"UNREACHABLE since"* ]] ||
        fail "status of a daemon without a broker: $OUT"

    step "start $start: once a broker answers, status says so"
    start_broker
    wait_for 15 "the daemon to reach the broker" \
        bash -c "'$PERMIT_AGENT' status --state '$T/nrb' --json | jq -e '.broker.reachable' >/dev/null"
    stop_agent nrb
    stop_broker
done
