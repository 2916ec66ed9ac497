#!/usr/bin/env bash
# permitctl import on a large file: its checks are linear in the rows (200,000 projects with a
# repeat in the last row are refused locally at once; the quadratic duplicate check ran past
# 600 s with 320,000), and SIGINT or SIGTERM before the import is sent stops permitctl with a
# message and nothing sent.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker
import_samples

step "200,000 projects, the last one repeating the first: refused by permitctl, nothing sent"
awk 'BEGIN { print "id,name"; for (i = 1; i <= 200000; i++) printf "BIG-%06d,Project %d\n", i, i;
             print "BIG-000001,the first again" }' >"$T/big.csv"
run "$PERMITCTL" import projects "$T/big.csv"
((RC == 65)) || fail "import of the big file exited $RC (expected 65): $ERR"
[[ "$ERR" == *"big.csv:200002: project BIG-000001 is listed twice (line 2)"* ]] ||
    fail "the repeat was not reported with its lines: $ERR"

# permitctl holds the file's read open while the signal comes: a FIFO nobody writes yet.
interrupt_import() {
    local sig=$1 want=$2 pid rc=0
    rm -f "$T/slow.csv"
    mkfifo "$T/slow.csv"
    spawn "ctl-$sig" "$PERMITCTL" import projects "$T/slow.csv"
    pid=$SPAWNED
    # Blocked in opening the FIFO (the kernel's wait_for_partner): its signal handlers are set
    # by then, before any command runs.
    wait_for 10 "permitctl to wait in opening the FIFO" \
        grep -qsx wait_for_partner "/proc/$pid/wchan"
    kill -s "$sig" "$pid"
    wait "$pid" || rc=$?
    ((rc == want)) || fail "permitctl exited $rc after SIG$sig (expected $want): $(cat "$T/ctl-$sig.err")"
    grep -q "interrupted by signal" "$T/ctl-$sig.err" ||
        fail "permitctl said nothing about the interruption: $(cat "$T/ctl-$sig.err")"
}

step "SIGINT and SIGTERM while the file is read: exit 130 and 143, nothing imported"
head_before=$(db_head)
interrupt_import INT 130
interrupt_import TERM 143
[[ "$(db_head)" == "$head_before" ]] || fail "an interrupted import logged something"

stop_broker
