#!/usr/bin/env bash
# No subscriber misses anything: a subscriber started late catches up from the query socket
# (several pages of it) and then continues live, seeing every sequence number exactly once,
# also while events keep arriving during its catch-up; --from K starts at K+1.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# contiguous FILE FROM: the JSON lines of FILE carry seqs FROM, FROM+1, ... with no gap or
# duplicate, up to at least the current head of the log.
contiguous() {
    local file=$1 from=$2 want
    want=$(db_head)
    jq -s -e --argjson from "$from" --argjson head "$want" \
        'map(.seq) as $s | ($s | length) > 0 and $s == [range($from; ($s | max) + 1)]
         and ($s | max) >= $head' "$file" >/dev/null 2>&1
}
# reaches FILE SEQ: FILE has a line with that seq (the subscriber got that far).
reaches() {
    has_line "$1" ".seq >= $2"
}
describe() {
    jq -s -c 'map(.seq) | {n: length, first: .[0], last: .[-1],
        dups: (group_by(.) | map(select(length > 1)[0])),
        gaps: ([range(.[0]; .[-1])] - .)}' "$1" 2>&1 || true
}

start_broker
import_samples
tmplname=$(csv_value "$PERMIT_SRC/deploy/projects.csv" id TL-2026-001 template)

step "a long log: 1100 projects in one import (more than one query page)"
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= 1100; i++)); do
        printf 'CU-%04d,追赶测试项目%d号,科尔沁区,新能源,通辽追赶能源有限公司,王管家,李领导,%s,\n' \
            "$i" "$i" "$tmplname"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
[[ "$OUT" == *1100* ]] || fail "import did not report 1100 projects: $OUT"

step "some department events"
for p in CU-0001 CU-0002 CU-0003 CU-0004 CU-0005; do
    send --dept NRB --project "$p" --procedure LAND_PREREVIEW --event accepted --id "cu-$p-1"
    send --dept EEB --project "$p" --procedure EIA --event accepted --id "cu-$p-2"
done
head=$(db_head)
((head > 1100)) || fail "the log has only $head entries"

step "a late subscriber from 0 catches up to $head with no gap or duplicate"
spawn late "$PERMITCTL" tail -f --json --from 0
LATE=$SPAWNED
wait_for 30 "the late subscriber to reach seq $head" reaches "$T/late.out" "$head"
contiguous "$T/late.out" 1 || fail "late subscriber: $(describe "$T/late.out")"

step "then it continues live"
for p in CU-0006 CU-0007 CU-0008; do
    send --dept WRB --project "$p" --procedure SOIL_WATER --event accepted --id "cu-$p-3"
done
head=$(db_head)
wait_for 10 "the late subscriber to reach seq $head live" reaches "$T/late.out" "$head"
contiguous "$T/late.out" 1 || fail "late subscriber after live events: $(describe "$T/late.out")"

step "a subscriber that starts while events are arriving"
(
    for ((i = 10; i < 40; i++)); do
        p=$(printf 'CU-%04d' "$i")
        "$PERMIT_AGENT" send --dept CTB --project "$p" --procedure RELICS --event accepted \
            --id "cu-$p-4" >/dev/null 2>>"$T/sender.err" || exit 1
    done
) &
SENDER=$!
CHILDREN+=("$SENDER")
sleep 0.3
spawn racing "$PERMITCTL" tail -f --json --from 0
RACING=$SPAWNED
wait "$SENDER" || fail "the background sender failed: $(<"$T/sender.err")"
head=$(db_head)
wait_for 30 "the racing subscriber to reach seq $head" reaches "$T/racing.out" "$head"
contiguous "$T/racing.out" 1 || fail "racing subscriber: $(describe "$T/racing.out")"
wait_for 10 "the late subscriber to reach seq $head" reaches "$T/late.out" "$head"
contiguous "$T/late.out" 1 || fail "late subscriber: $(describe "$T/late.out")"

step "--from K starts at K+1"
k=$((head - 25))
ctl tail --json --from "$k"
printf '%s\n' "$OUT" >"$T/once.out"
[[ "$(jq -s '.[0].seq' "$T/once.out")" == "$((k + 1))" ]] ||
    fail "tail --from $k started at $(jq -s '.[0].seq' "$T/once.out")"
contiguous "$T/once.out" $((k + 1)) || fail "tail --from $k: $(describe "$T/once.out")"
spawn fromk "$PERMITCTL" tail -f --json --from "$k"
FROMK=$SPAWNED
wait_for 10 "tail -f --from $k to reach $head" reaches "$T/fromk.out" "$head"
[[ "$(jq -s '.[0].seq' "$T/fromk.out")" == "$((k + 1))" ]] ||
    fail "tail -f --from $k started at $(jq -s '.[0].seq' "$T/fromk.out")"
contiguous "$T/fromk.out" $((k + 1)) || fail "tail -f --from $k: $(describe "$T/fromk.out")"

step "a whole-log read without -f ends at the head"
ctl tail --json --from 0
printf '%s\n' "$OUT" >"$T/all.out"
contiguous "$T/all.out" 1 || fail "tail --from 0: $(describe "$T/all.out")"

stop_child "$LATE" late
stop_child "$RACING" racing
stop_child "$FROMK" fromk
stop_broker
