#!/usr/bin/env bash
# A query client that asks and never reads costs the broker a bounded amount of memory: at
# most QUERY_SNDHWM (8) replies wait for one peer, each a page of at most 1 MiB (broker.h,
# store.h), and what does not fit is dropped, never waited for. 300 unread page requests used to
# take a broker from 148 MB to 1.27 GB. The broker goes on answering everyone else.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# A small AddressSanitizer quarantine, so freed pages do not count as memory held.
export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=4

# The stated bound per unread peer (8 replies of at most 1 MiB), and room for one page being
# built and the sanitizer's own bookkeeping.
BOUND_MB=8
SLACK_MB=24

start_broker
import_samples
step "a log of 1,100 projects with long names: a page of 1,000 entries is most of 1 MiB"
long=$(printf '长%.0s' {1..200})
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= 1100; i++)); do
        printf 'QU-%04d,未读测试项目%d号%s,科尔沁区,新能源,通辽未读能源有限公司,王管家,李领导,standard,\n' \
            "$i" "$i" "$long"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"

# Envelope {version 1, query (field 6) {after 0, limit 1000}}.
PAGE="0801 3205 0800 10e807"
step "a page read as usual, so the baseline has built one"
run "$RAWSEND" -t 10000 "$QUERY" "$PAGE"
((RC == 0)) || fail "no page (rawsend exit $RC): $ERR"
page_kb=$(($(printf "%s" "$OUT" | wc -c) / 1024))
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$BROKER_PID/status"; }
base=$(rss_kb VmRSS)

step "a client sends 300 page requests and never reads"
for ((i = 0; i < 300; i++)); do echo "$PAGE"; done >"$T/pages.hex"
spawn unread "$RAWSEND" -t 60000 "$QUERY" -u "$T/pages.hex"
UNREAD_PID=$SPAWNED
# The broker is done with them when its CPU time stops moving (heartbeats cost next to nothing).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$BROKER_PID/stat"; }
LAST_TICKS=-1
idle() {
    local now
    now=$(cpu_ticks)
    sleep 0.5
    [[ "$now" == "$LAST_TICKS" ]] && [[ "$(cpu_ticks)" == "$now" ]] && return 0
    LAST_TICKS=$now
    return 1
}
wait_for 120 "the broker to be done with the unread requests" idle
peak=$(rss_kb VmHWM)
grew=$(((peak - base) / 1024))
step "RSS: ${base} kB before, peak ${peak} kB: +${grew} MB for a page of ${page_kb} kB (bound ${BOUND_MB} MB + ${SLACK_MB} MB)"
((grew <= BOUND_MB + SLACK_MB)) ||
    fail "300 unread pages grew the broker by $grew MB (bound $BOUND_MB MB + $SLACK_MB MB)"

step "the broker still answers other clients, and says it dropped the unread replies"
ctl --timeout 3000 --tries 1 status TL-2026-001
[[ "$OUT" == *LAND_PREREVIEW* ]] || fail "no status for another client: $OUT"
grep -q "query: a reply to plain was dropped" "$BROKER_LOG" || fail "the dropped replies are not logged"
pid_alive "$UNREAD_PID" || fail "the unread client gave up before the measurement"
kill_wait "$UNREAD_PID"
stop_broker
grep -q "replies dropped unread" "$BROKER_LOG" || fail "the stop line does not count dropped replies"
