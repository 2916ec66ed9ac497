#!/usr/bin/env bash
# permit-web's live stream and its operations: Last-Event-ID resumes exactly; slow clients that
# never read do not stall the loop; 1,000 streams at once (as the file limit allows) all get the
# next entry with bounded memory; /metrics passes promtool and has every series the Grafana
# sample graphs; a broker that is away costs pages a quick 503, not the loop's time; -n, a bad
# config, SIGHUP and SIGTERM.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

step "-n: a good config is OK, a bad one is refused with FILE:LINE"
web_conf
run "$PERMIT_WEB" --config "$T/web.conf" -n
((RC == 0)) && [[ "$OUT" == "configuration OK" ]] || fail "permit-web -n: $RC $OUT $ERR"
printf '[web]\nlisten = nowhere\n' >"$T/bad.conf"
run "$PERMIT_WEB" --config "$T/bad.conf" -n
((RC == 78)) && [[ "$ERR" == *listen* ]] || fail "a bad listen was not refused (78): $RC $ERR"
printf '[web]\nmax_clients = 1\n' >"$T/bad.conf"
run "$PERMIT_WEB" --config "$T/bad.conf" -n
((RC == 78)) && [[ "$ERR" == *"bad.conf:2"* ]] || fail "max_clients = 1 was not refused: $RC $ERR"
run "$PERMIT_WEB" --help
((RC == 0)) && [[ "$OUT" == *--sse-buffer* ]] || fail "--help does not list the options"

start_broker
import_samples
web_conf silence_ms=300 query_timeout_ms=400
start_web
head=$(db_head)
wait_for 10 "permit-web to fold the log" test "$(web_head)" == "$head"

step "a second permit-web on the same port is refused, not sharing it"
run timeout 10 "$PERMIT_WEB" --config "$T/web.conf" --listen "127.0.0.1:$WEB_PORT"
((RC == 1)) && [[ "$ERR" == *"listen 127.0.0.1:$WEB_PORT"* ]] ||
    fail "a second permit-web on port $WEB_PORT exited $RC: $ERR"

step "Last-Event-ID resumes exactly after the id given"
from=$((head - 5))
curl -sN --max-time 1 -H "Last-Event-ID: $from" "$WEB_URL/events" >"$T/resume.txt" || true
ids=$(sed -n 's/^id: //p' "$T/resume.txt" | tr '\n' ' ')
want=$(seq $((from + 1)) "$head" | tr '\n' ' ')
[[ "$ids" == "$want" ]] || fail "Last-Event-ID $from gave ids '$ids' (expected '$want')"
curl -sN --max-time 1 "$WEB_URL/events?after=$head" >"$T/none.txt" || true
! grep -q '^id:' "$T/none.txt" || fail "a stream from the head replayed entries: $(head -3 "$T/none.txt")"

step "/entries pages the kept log"
after=$(curl -fsS "$WEB_URL/api/entries?after=$from&limit=2" | jq -c '[.entries[].seq, .more]')
[[ "$after" == "[$((from + 1)),$((from + 2)),true]" ]] || fail "/api/entries gave $after"

step "slow clients, and many streams"
n=1000
PERMIT_AGENT=$PERMIT_AGENT "$PY" "$PERMIT_SRC/tests/web/sse_load.py" "$WEB_URL" "$WEB_PID" "$n" ||
    fail "the stream load test failed (its output is above)"

step "/metrics passes promtool and counts what was folded"
command -v promtool >/dev/null || fail "promtool is not installed (run scripts/deps.sh)"
curl -fsS "$WEB_URL/metrics" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool.out")"
grep -q "^permit_log_head $(db_head)$" "$T/metrics.txt" || fail "permit_log_head is not the log's head"
grep -q "^permit_broker_log_head $(db_head)$" "$T/metrics.txt" &&
    grep -q "^permit_follow_lag_entries 0$" "$T/metrics.txt" ||
    fail "the broker's head or the lag is wrong: $(grep -E 'broker_log_head|lag' "$T/metrics.txt")"
grep -q '^permit_entries_total{kind="accepted"} 2$' "$T/metrics.txt" ||
    fail "accepted entries are not counted: $(grep accepted "$T/metrics.txt")"

for metric in $(jq -r '.panels[].targets[].expr' "$PERMIT_SRC/deploy/grafana/permit-web.json" |
    grep -o 'permit_[a-z_]*' | sort -u); do
    grep -q "^${metric}[{ ]" "$T/metrics.txt" ||
        fail "the Grafana sample (deploy/grafana/permit-web.json) graphs $metric, which /metrics lacks"
done

step "the broker away: pages that need it answer 503 at once after the first, the rest is served"
stop_broker
elapsed() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$WEB_URL$1"; }
read -r code secs < <(elapsed /api/blocked)
[[ "$code" == 503 ]] || fail "/api/blocked with the broker away answered $code (expected 503)"
read -r code secs < <(elapsed /api/overdue)
[[ "$code" == 503 ]] && awk -v s="$secs" 'BEGIN { exit !(s < 0.7) }' ||
    fail "the second page with the broker away answered $code after ${secs}s (expected 503 at once)"
read -r code secs < <(elapsed /metrics)
[[ "$code" == 200 ]] && awk -v s="$secs" 'BEGIN { exit !(s < 0.5) }' ||
    fail "/metrics with the broker away answered $code after ${secs}s"
# Once the follower notices (silence_ms) it asks the broker, which blocks for query_timeout_ms
# (a page may wait that long behind it): between such attempts the loop serves pages at once.
sleep 1.5
fast=0
for ((i = 0; i < 8; i++)); do
    read -r code secs < <(elapsed /metrics)
    [[ "$code" == 200 ]] || fail "/metrics with the broker away answered $code"
    awk -v s="$secs" 'BEGIN { exit !(s < 0.3) }' && fast=$((fast + 1))
    sleep 0.2
done
((fast >= 6)) || fail "with the broker away, only $fast of 8 requests were answered within 0.3s"
start_broker
lists_back() { curl -fsS -o /dev/null "$WEB_URL/api/blocked"; }
wait_for 15 "the lists once the broker is back" lists_back

step "SIGHUP reloads, SIGTERM stops cleanly"
printf 'sse_buffer = 8192\n' >>"$T/web.conf"
kill -HUP "$WEB_PID"
wait_for 5 "the reload" grep -q "reload: done" "$WEB_LOG"
stop_web

step "a cursor older than the entries held gets a reset, then the oldest held on"
web_conf keep_entries=100
start_web
head=$(db_head)
wait_for 10 "permit-web to fold the log" test "$(web_head)" == "$head"
first=$((head - 99))
curl -sN --max-time 1 "$WEB_URL/events?after=3" >"$T/reset.txt" || true
[[ "$(sed -n '3,4p' "$T/reset.txt" | tr '\n' ' ')" == "event: reset data: $first " ]] ||
    fail "no reset to $first first: $(head -5 "$T/reset.txt")"
ids=$(sed -n 's/^id: //p' "$T/reset.txt" | tr '\n' ' ')
[[ "$ids" == "$(seq "$first" "$head" | tr '\n' ' ')" ]] || fail "after the reset: ids $ids"
stop_web
