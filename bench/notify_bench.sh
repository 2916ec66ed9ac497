#!/usr/bin/env bash
# The notifier's drain under the robots' rate limits, on demand (never in the test suite):
#   PERMIT_BIN=build-test bench/notify_bench.sh [N [WINDOW_MS]]
# A broker on a test clock gets N projects (defaults: 1,000) whose land pre-review is accepted,
# then the clock jumps a month: N colour.red items at once, routed (by steward) to 10 WeCom
# robot stand-ins that take 20 messages per WINDOW_MS (default 2000, the notifier's
# pace_window_ms likewise) and answer 45009 past it. Prints one line of figures: dead letters,
# items delivered directly and in digests, the most messages one robot took in any window,
# 45009 answers, and the time from the clock jump until every item is sent or digested.
# Needs a build with PERMIT_TEST_HOOKS=ON (the test clock).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
N=${1:-1000}
W=${2:-2000}
TEST_NAME=notify_bench
PERMIT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$PERMIT_SRC/tests/integration/lib.sh"
source "$PERMIT_SRC/tests/integration/notify_lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
{
    head -1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 0; i < N; i++)); do
        printf 'BENCH-%05d,压测项目%d,科尔沁区,新能源,压测公司,管家%d,领导,standard,\n' "$i" "$i" $((i % 10))
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
{
    echo "[route]"
    echo "colour.red = steward"
    for ((r = 0; r < 10; r++)); do
        start_http "robot$r" --rate 20 --window-ms "$W" --robot wecom
        echo "[contact 管家$r]"
        echo "wecom = http://127.0.0.1:$PORT/wecom/robot$r"
    done
} >"$T/routes.conf"
echo "accepting $N procedures ..." >&2
for ((i = 0; i < N; i++)); do
    send --dept NRB --project "$(printf 'BENCH-%05d' "$i")" --procedure LAND_PREREVIEW \
        --event accepted
done
notify_conf pace_window_ms="$W" pace_limit=20 max_attempts=3
start_notify
echo "the clock jumps: $N red items" >&2
t0=$(date +%s.%N)
ctl clock set 2026-04-15T09:00:00+08:00
drained() {
    nctl history --json
    jq -e -s --argjson n "$N" '[.[] | select(.route == "colour.red")] | length >= $n and
        all(.[]; .state == "sent" or .state == "digested")' <<<"$OUT" >/dev/null
}
wait_for 3600 "every red item to be sent or digested" drained
t1=$(date +%s.%N)
nctl status
dead=$(sed -n 's/.*dead letters \([0-9]*\).*/\1/p' <<<"$OUT" | head -1)
nctl history --json
direct=$(jq -s '[.[] | select(.route == "colour.red" and .state == "sent")] | length' <<<"$OUT")
digested=$(jq -s '[.[] | select(.route == "colour.red" and .state == "digested")] | length' <<<"$OUT")
digests=$(jq -s '[.[] | select(.route == "digest")] | length' <<<"$OUT")
worst=0
throttled=0
msgs=0
for ((r = 0; r < 10; r++)); do
    f=$T/robot$r.jsonl
    m=$("$PY" -c 'import json,sys
t=sorted(json.loads(l)["t"] for l in open(sys.argv[1]))
w=float(sys.argv[2])/1000
print(max((sum(1 for u in t if s<=u<s+w) for s in t), default=0))' "$f" "$W")
    ((m > worst)) && worst=$m
    msgs=$((msgs + $(wc -l <"$f")))
    [[ -e "$f.throttled" ]] && throttled=$((throttled + $(<"$f.throttled")))
done
secs=$(echo "$t1 - $t0" | bc)
printf 'items %d  robots 10  window %d ms  dead letters %s  delivered directly %d  in digests %d (%d digest messages)  messages %d  most in one robot window %d (limit 20)  45009 answers %d  drain %.1f s\n' \
    "$N" "$W" "$dead" "$direct" "$digested" "$digests" "$msgs" "$worst" "$throttled" "$secs"
stop_notify
