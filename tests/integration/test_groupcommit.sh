#!/usr/bin/env bash
# Group commit: events that arrive together share one transaction, and each is acked after
# that transaction committed. One connection sends 200 events without waiting for any ack;
# every one is acked, in order, and logged once, and the broker committed them in fewer
# transactions than events (its debug log names each batch's size).
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=200
start_broker --log-level debug
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= N; i++)); do
        printf 'GC-%03d,批量提交测试项目%d号,科尔沁区,物流,某物流有限公司,赵管家,钱领导,,\n' "$i" "$i"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
head=$(db_head)
log_lines=$(wc -l <"$BROKER_LOG")

step "$N events pipelined on one connection"
for ((i = 1; i <= N; i++)); do
    pb_event_frame 1 accepted "gc-$i" EEB "$(printf 'GC-%03d' "$i")" EIA
    echo
done >"$T/frames.hex"
run "$RAWSEND" -t 10000 "$INGEST" -l "$T/frames.hex"
((RC == 0)) || fail "not every event was answered (rawsend exit $RC): $ERR"
(($(wc -l <<<"$OUT") == N)) || fail "$(wc -l <<<"$OUT") replies for $N events"

step "every reply is the ack of its own event, in order"
# A refusal carries a code; an ack carries none of the refusal codes' text.
codes=()
for code in malformed invalid unknown prerequisites storage forbidden not_owner; do
    codes+=("$(hex_of "$code")")
done
i=0
while read -r reply; do
    i=$((i + 1))
    hex_into id "gc-$i"
    [[ "$reply" == *"$id"* ]] || fail "reply $i does not answer gc-$i: $reply"
    for hex in "${codes[@]}"; do
        [[ "$reply" != *"$hex"* ]] || fail "event gc-$i was refused: $reply"
    done
done <<<"$OUT"

step "each event is logged once, in the order it was sent"
got=$(dbq "SELECT event_id FROM log WHERE event_id LIKE 'gc-%' ORDER BY seq" | paste -sd ' ')
want=$(for ((i = 1; i <= N; i++)); do printf 'gc-%d ' "$i"; done)
[[ "$got " == "$want" ]] || fail "the log's order differs: ${got:0:200}"
(($(db_head) == head + N)) || fail "head $(db_head), expected $((head + N)) (no derived entries)"

step "they shared transactions"
batches=$(tail -n +"$((log_lines + 1))" "$BROKER_LOG" |
    grep -oE 'ingest: batch of [0-9]+ messages' | awk '{ print $4 }')
total=$(awk '{ n += $1 } END { print n }' <<<"$batches")
((total == N)) || fail "the batches hold $total messages, expected $N"
biggest=$(sort -n <<<"$batches" | tail -n 1)
count=$(wc -l <<<"$batches")
((biggest > 1)) || fail "every batch held one message: no group commit"
((count < N)) || fail "$count batches for $N events: no group commit"
step "$N events in $count transactions, the largest holding $biggest"

stop_broker
