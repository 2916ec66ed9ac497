#!/usr/bin/env bash
# The notifier's delivery rate to one webhook that answers at once, on demand (never in the
# test suite):
#   PERMIT_BIN=build-rel bench/notify_rate.sh [N]
# A broker gets N projects (default 400); registering them logs four "unblocked" entries each
# (the procedures ready from the start), all routed to one webhook recorder. The notifier
# starts after the import, so they all wait at once; prints how many were delivered, in how
# many seconds, and the deliveries a second. One destination has one attempt in flight at a
# time, so this is the loop's turn-around per delivery: the fault suite's long nemesis waits
# for 500,000 of them.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
N=${1:-400}
TEST_NAME=notify_rate
PERMIT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$PERMIT_SRC/tests/integration/lib.sh"
source "$PERMIT_SRC/tests/integration/notify_lib.sh"

start_broker
import_samples
tmplname=$(csv_value "$PERMIT_SRC/deploy/projects.csv" id TL-2026-001 template)
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= N; i++)); do
        printf 'NR-%05d,通知速率项目%d号,科尔沁区,新能源,通辽能源有限公司,王管家,李领导,%s,\n' \
            "$i" "$i" "$tmplname"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
want=$(sqlite3 "$DB" "SELECT COUNT(*) FROM log WHERE kind = 'unblocked'")
start_http web
routes_unblocked_webhook
notify_conf
t0=$(date +%s%N)
start_notify
delivered() { (($(lines_in "$T/web.jsonl") >= want)); }
wait_for 600 "$want deliveries" delivered
ms=$((($(date +%s%N) - t0) / 1000000))
echo "notify_rate: $want deliveries to one webhook in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s:" \
    "$((want * 1000 / (ms > 0 ? ms : 1))) a second"
stop_notify
