#!/usr/bin/env bash
# The nemesis: load agents with histories drive events through the broker while faults chosen
# by a seeded generator hit it: kill -9 of the broker (restarted at once, or after an
# outage), of a load agent (restarted: it resumes from its acked file) and of the notifier;
# SIGSTOP/SIGCONT pauses of the broker and of agents. After the load quiesces the checker
# holds every history against the log: every acked id logged with its sequence, none twice,
# state equal to a rebuild, integrity_check ok after every restart, every unblock logged once
# and delivered by the notifier (the receiver records idempotency keys).
#
# FAULT_PROFILE=long: 1,000,000 acked events over at least 100 broker kills and 100 agent
# kills, 50 notifier kills and one 10-minute broker outage. FAULT_SEED=N replays a run.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$PERMIT_SRC/tests/integration/notify_lib.sh"

if [[ "$FAULT_PROFILE" == long ]]; then
    LOADS=${FAULT_LOADS:-4} PROJECTS=${FAULT_PROJECTS:-12500} WINDOW=64 RATE=${FAULT_RATE:-300}
    MIN_BROKER_KILLS=100 MIN_AGENT_KILLS=100 MIN_NOTIFY_KILLS=50
    OUTAGE_S=${FAULT_OUTAGE_S:-600} PAUSE_MS=(300 2500) DEADLINE=14400
else
    LOADS=3 PROJECTS=${FAULT_PROJECTS:-100} WINDOW=16 RATE=${FAULT_RATE:-150}
    MIN_BROKER_KILLS=4 MIN_AGENT_KILLS=3 MIN_NOTIFY_KILLS=2
    OUTAGE_S=3 PAUSE_MS=(200 1200) DEADLINE=240
fi

fault_seed
start_broker
fault_import
start_http web
routes_unblocked_webhook
notify_conf
start_notify

step "$LOADS loads of $PROJECTS projects each, window $WINDOW, $RATE events/s each"
for ((i = 1; i <= LOADS; i++)); do
    start_load "load$i" "F$i" "$PROJECTS" --window "$WINDOW" --timeout-ms 1500 --rate "$RATE"
done

# Pause between faults: long enough for the load to make progress.
nap() {
    rnd $((PAUSE_MS[1] - PAUSE_MS[0]))
    sleep "$(printf '%d.%03d' $(((PAUSE_MS[0] + RND) / 1000)) $(((PAUSE_MS[0] + RND) % 1000)))"
}

broker_kills=0 agent_kills=0 notify_kills=0 pauses=0 outages=0 under_load=0
acked_lines() {
    cat "$T"/*.acked 2>/dev/null | wc -l
}

step "nemesis: faults until every load is done and the minimum counts are reached"
started=$SECONDS
while loads_running || ((broker_kills < MIN_BROKER_KILLS || agent_kills < MIN_AGENT_KILLS ||
    notify_kills < MIN_NOTIFY_KILLS)); do
    ((SECONDS - started < DEADLINE)) || fail "the nemesis ran past ${DEADLINE}s"
    # Once the loads are done, only the missing fault kinds are applied (on an idle system).
    rnd 100
    fault=$RND
    if loads_running; then
        under_load=$((under_load + 1))
    else
        if ((broker_kills < MIN_BROKER_KILLS)); then fault=0
        elif ((agent_kills < MIN_AGENT_KILLS)); then fault=40
        else fault=60; fi
    fi
    if ((fault < 30)); then
        crash_broker
        broker_kills=$((broker_kills + 1))
        if ((outages == 0 && broker_kills >= 2)); then
            step "broker outage of ${OUTAGE_S}s ($(acked_lines) acked so far)"
            sleep "$OUTAGE_S"
            outages=1
        fi
        restart_broker
    elif ((fault < 55)); then
        names=("${!LOAD_PID[@]}")
        rnd ${#names[@]}
        name=${names[$RND]}
        kill9_load "$name"
        agent_kills=$((agent_kills + 1))
        start_load "$name"
    elif ((fault < 70)); then
        kill9_notify
        notify_kills=$((notify_kills + 1))
        start_notify
    elif ((fault < 85)); then
        kill -s STOP "$BROKER_PID"
        nap
        kill -s CONT "$BROKER_PID"
        pauses=$((pauses + 1))
    else
        names=("${!LOAD_PID[@]}")
        rnd ${#names[@]}
        pid=${LOAD_PID[${names[$RND]}]}
        if [[ -n "$pid" ]] && pid_alive "$pid"; then
            kill -s STOP "$pid"
            nap
            kill -s CONT "$pid"
            pauses=$((pauses + 1))
        fi
    fi
    nap
done
wait_loads 60
acked=$(acked_lines)
step "loads done: $acked acks over $broker_kills broker kills, $agent_kills agent kills," \
    "$notify_kills notifier kills, $pauses pauses ($under_load faults while the loads ran)"

step "the notifier delivers every unblock"
unblocks() {
    sqlite3 "$DB" "SELECT COUNT(*) FROM log WHERE kind = 'unblocked'"
}
delivered() {
    jq -r .key "$T/web.jsonl" 2>/dev/null | sort -u | wc -l
}
all_delivered() {
    (($(delivered) >= $(unblocks)))
}
# Registration announces every procedure ready from the start, four per project: about 1,800
# more deliveries to the one receiver than the loads alone cause.
# Polled here rather than by wait_for: a timeout says how far delivery got (stalled or slow).
deadline=$((SECONDS + DEADLINE / 4 + 180))
until all_delivered; do
    ((SECONDS < deadline)) || fail "timed out waiting for every unblock delivered: $(delivered)" \
        "of $(unblocks) delivered; the notifier: $(tail -n 5 "$NOTIFY_LOG")"
    sleep 0.2
done
stop_notify

step "restart once more, then the checker"
stop_broker
restart_broker
check_all --deliveries "$T/web.jsonl"
echo "nemesis: 0 lost of $acked acked events over $broker_kills broker kills," \
    "$agent_kills agent kills, $notify_kills notifier kills and $pauses pauses" \
    "($under_load of them while the loads ran; one ${OUTAGE_S}s outage);" \
    "$INTEGRITY_OK/$INTEGRITY_RUNS integrity checks ok; $(recovery_summary)"
