#!/usr/bin/env bash
# Several department agents at once against one broker: NRB, EEB, WRB and CTB each take their
# own spool files and queued events at the same time; every event is logged once under its
# department. One agent logs to a file: SIGHUP after the file was rotated away reopens it and
# applies a new log level; another is pointed at a broker endpoint where nobody answers and
# back, by SIGHUP, and delivers what was queued meanwhile. SIGTERM stops every agent with
# exit 0.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

P=MA
NPROJ=150
AGENTS=(NRB:LAND_PREREVIEW EEB:EIA WRB:SOIL_WATER CTB:RELICS)

# One project more than the files cover, for the events sent after the reloads.
start_with_projects "$P" $((NPROJ + 1))

step "four agents start; NRB logs to a file"
for a in "${AGENTS[@]}"; do
    dept=${a%%:*}
    name=${dept,,}
    if [[ $dept == NRB ]]; then
        agent_conf "$name" "$dept" "log_file=$T/nrb-agent.log"
        start_agent "$name" "$T/nrb-agent.log"
    else
        agent_conf "$name" "$dept"
        start_agent "$name"
    fi
done

step "each gets $NPROJ x 2 events through its spool and one through send --queue, all at once"
for a in "${AGENTS[@]}"; do
    dept=${a%%:*} proc=${a#*:}
    name=${dept,,}
    {
        echo "project,procedure,event,cert"
        for ((i = 1; i <= NPROJ; i++)); do
            printf '%s-%03d,%s,accepted,\n' "$P" "$i" "$proc"
        done
        for ((i = 1; i < NPROJ; i++)); do
            printf '%s-%03d,%s,approved,%s-%d\n' "$P" "$i" "$proc" "$dept" "$i"
        done
    } >"$T/$name.csv"
done
for a in "${AGENTS[@]}"; do
    name=${a%%:*}
    drop_file "${name,,}" "$T/${name,,}.csv"
done
# The outbox keeps arrival order: the approval of the last project must come after the files.
for a in "${AGENTS[@]}"; do
    name=${a%%:*}
    wait_for 20 "${name}'s file to be taken" test -f "$T/${name,,}/spool/done/${name,,}.csv"
done
for a in "${AGENTS[@]}"; do
    dept=${a%%:*} proc=${a#*:}
    run "$PERMIT_AGENT" send --queue --config "$T/${dept,,}.conf" --project "$P-$NPROJ" \
        --procedure "$proc" --event approved --cert "$dept-$NPROJ" --id "last-$dept"
    ((RC == 0)) || fail "send --queue for $dept exited $RC: $ERR"
done
for a in "${AGENTS[@]}"; do
    wait_sent "$(tr '[:upper:]' '[:lower:]' <<<"${a%%:*}")" $((2 * NPROJ)) 60
done

step "every event logged once, under its own department"
check_once "$P-%" $((4 * 2 * NPROJ))
check_chains "$P-%" "accepted approved"
for a in "${AGENTS[@]}"; do
    dept=${a%%:*} proc=${a#*:}
    n=$(dbq "SELECT COUNT(*) FROM log WHERE actor = '$dept' AND procedure = '$proc'
        AND project LIKE '$P-%'")
    ((n == 2 * NPROJ)) || fail "$dept has $n events in the log, expected $((2 * NPROJ))"
done
n=$(dbq "SELECT COUNT(*) FROM procedures WHERE project = '$P-$NPROJ'
    AND state = 'approved'")
((n == 4)) || fail "$P-$NPROJ has $n approved procedures, expected 4"

step "SIGHUP reopens a rotated log file and applies a new log level"
mv "$T/nrb-agent.log" "$T/nrb-agent.log.1"
sed -i 's/^\[agent\]$/[agent]\nlog_level = debug/' "$T/nrb.conf"
kill -s HUP "${AGENT_PID[nrb]}"
reopened() { grep -q "SIGHUP: reloaded" "$T/nrb-agent.log" 2>/dev/null; }
wait_for 10 "a new nrb-agent.log with the reload" reopened
grep -q "ready:" "$T/nrb-agent.log.1" || fail "the rotated log lost its lines"
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project "$P-001" \
    --procedure LAND_PLAN_PERMIT --event not_required --id after-hup
debug_ack() { grep -q "debug: acked after-hup" "$T/nrb-agent.log"; }
wait_for 10 "a debug line for the event sent after the reload" debug_ack

step "SIGHUP with another broker endpoint reconnects there; events wait meanwhile"
sed -i "s|^broker = .*|broker = ipc://$T/nowhere.sock|" "$T/eeb.conf"
kill -s HUP "${AGENT_PID[eeb]}"
wait_for 10 "EEB to find nobody at the new endpoint" grep -q "nowhere.sock does not answer" \
    "$T/agent-eeb.1.err"
run "$PERMIT_AGENT" send --queue --config "$T/eeb.conf" --project "$P-$((NPROJ + 1))" \
    --procedure EIA --event accepted --id eeb-after-hup
[[ "$(agent_field eeb '"\(.queued) \(.broker.reachable)"')" == "1 false" ]] ||
    fail "EEB's status while its broker is away: $OUT"
sed -i "s|^broker = .*|broker = $INGEST|" "$T/eeb.conf"
kill -s HUP "${AGENT_PID[eeb]}"
wait_sent eeb $((2 * NPROJ + 1)) 10

step "SIGTERM stops every agent cleanly"
for a in "${AGENTS[@]}"; do
    stop_agent "$(tr '[:upper:]' '[:lower:]' <<<"${a%%:*}")"
done
grep -q "stopped: " "$T/nrb-agent.log" || fail "NRB did not log its stop"
stop_broker
