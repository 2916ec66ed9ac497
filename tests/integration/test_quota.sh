#!/usr/bin/env bash
# The quota per identity: a department sending faster than quota_rate (past quota_burst) is
# refused "busy" with a retry-after, before anything is stored; the agent holds the event that
# long and sends it again, so it slows down and delivers everything: nothing lost, nothing
# rejected. permit-agent send waits the retry-after too; with one try it exits 75 (temporary).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

P=QU
N=70
# Projects 021-035 take the one-try sends (which of them get through is up to the race), the
# agent's spool takes 041-070: no event of the spool can find its procedure accepted already.
FIRST=41
start_with_projects "$P" "$N"
stop_broker
start_broker --quota-rate 1 --quota-burst 10

step "20 events at once past a burst of 10: the rest refused busy, with a retry-after"
for ((i = 1; i <= 20; i++)); do
    pb_event_frame 1 accepted "burst-$i" NRB "$P-$i" LAND_PREREVIEW
    echo
done >"$T/burst.hex"
"$RAWSEND" -t 5000 "$INGEST" -l "$T/burst.hex" >"$T/burst.replies" ||
    fail "rawsend got no reply to every frame"
# "busy" is 62757379 in hex; retry_after_ms is field 8 (a varint: key 0x40).
busy=$(grep -c 62757379 "$T/burst.replies" || true)
((busy >= 9)) || fail "only $busy of 20 events at once were refused busy (burst 10)"
grep 62757379 "$T/burst.replies" | grep -q '40[0-9a-f]' || fail "a busy reply has no retry-after"
pid_alive "$BROKER_PID" || fail "permitd died"

step "permitctl-style one-shot: permit-agent send with one try exits 75, with the reason"
# 1 event a second after a burst of 10: of 15 sends at once, some find the bucket empty,
# however slowly this machine starts them.
pids=()
for ((i = 1; i <= 15; i++)); do
    (set +e; "$PERMIT_AGENT" send --dept NRB --project "$P-0$((20 + i))" --procedure LAND_PREREVIEW \
        --event accepted --id "one-try-$i" --tries 1 >"$T/one-$i.out" 2>"$T/one-$i.err"
        echo $? >"$T/one-$i.rc") &
    pids+=($!)
done
wait "${pids[@]}"
RC=0 ERR=""
for ((i = 1; i <= 15; i++)); do
    if [[ "$(cat "$T/one-$i.rc")" != 0 ]]; then
        RC=$(cat "$T/one-$i.rc") ERR=$(cat "$T/one-$i.err") OUT=$(cat "$T/one-$i.out")
        break
    fi
done
((RC == 75)) || fail "a send over the quota exited $RC (expected 75, temporary): ${OUT:-} $ERR"
[[ "$ERR" =~ refused\ \(busy\):\ NRB\ sends\ more\ than\ 1\ events\ a\ second.*again\ in\ [0-9]+\ ms ]] ||
    fail "the busy refusal does not say who, the quota and when to resend: $ERR"
step "with tries left, permit-agent send waits the retry-after and gets its ack"
send --dept NRB --project "$P-0$((20 + i))" --procedure LAND_PREREVIEW --event accepted \
    --id "one-try-$i"
stop_broker

# 40 events a second after a burst of 10: the agent's events take a few seconds, most refused
# once or more on the way.
start_broker --quota-rate 40 --quota-burst 10

step "the agent delivers 60 events from one spool file through the quota"
agent_conf nrb NRB window=64
start_agent nrb
{
    echo "project,procedure,event,cert"
    for ((i = FIRST; i <= N; i++)); do
        printf '%s-%03d,LAND_PREREVIEW,accepted,\n' "$P" "$i"
    done
    for ((i = FIRST; i <= N; i++)); do
        printf '%s-%03d,LAND_PREREVIEW,approved,NRB-%d\n' "$P" "$i" "$i"
    done
} >"$T/burst.csv"
drop_file nrb "$T/burst.csv"
wait_sent nrb $((2 * (N - FIRST + 1))) 60
[[ "$(agent_field nrb ".rejected | length")" == 0 ]] || fail "the agent has rejected events: $OUT"
grep -q "the broker is busy with our events" "$AGENT_LOG" ||
    fail "the agent never heard busy (is the quota applied?): $(tail -n 5 "$AGENT_LOG")"
grep -q "refused (busy) .*NRB sends more than 40 events a second" "$BROKER_LOG" || fail "the broker logged no busy refusal"
# Projects 041 to 070, by tens: each accepted and approved once, in that order.
for tens in 4:18 5:20 6:20 7:2; do
    check_once "$P-0${tens%:*}%" "${tens#*:}"
    check_chains "$P-0${tens%:*}%" "accepted approved" LAND_PREREVIEW
done

stop_agent nrb
stop_broker
