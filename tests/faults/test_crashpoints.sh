#!/usr/bin/env bash
# The crash-point sweep: a test build's permitd dies at the N-th pass of a named point
# (PERMIT_CRASH=NAME:N, common/crashpoint.h) while a fault-load drives events through it:
#   after_receive  a message was received, before it is handled
#   after_append   the batch's entries are appended, before COMMIT
#   after_commit   committed, before the acks are sent
#   after_ack      the acks are sent, before the entries are published
#   checkpoint     during the WAL checkpoint: its start, every write and sync of the database
#                  files meanwhile (the crash VFS counts them; in kill mode it keeps every
#                  write, as the kernel does when only the process dies), its end
# For each point and each N: the broker must die there (its own SIGKILL, exit 137, and the
# marker line in its log), integrity_check, restart without the crash, the load finishes, and
# the checker holds the history against the log (0 lost, 0 duplicates, state = rebuild).
# After after_commit the load's resends must meet duplicates (committed, never acked).
# Each point runs on a fresh database so every check stays small.
#
# FAULT_PROFILE=long sweeps many values of N per point. FAULT_SEED is printed but unused: the
# sweep is the same every run.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The N of each point; a batch holds several events, a checkpoint needs 4000 WAL frames
# (STORE_CHECKPOINT_FRAMES): the loads go on until the point is reached.
if [[ "$FAULT_PROFILE" == long ]]; then
    mapfile -t N_RECEIVE < <(seq 1 41 1500)
    mapfile -t N_BATCH < <(seq 1 3 100)
    mapfile -t N_CHECKPOINT < <(seq 1 7 250)
else
    N_RECEIVE=(1 60 400)
    N_BATCH=(1 9 30)
    N_CHECKPOINT=(1 4 40)
fi
PROJECTS=30 CHECKPOINT_PROJECTS=90 # ~600 and ~1800 events per load

CRASH_VARS=(PERMIT_CRASH PERMIT_CRASH_MODE PERMIT_CRASH_SEED PERMIT_TEST_VFS)

# start_crashing VAR=VALUE...: start_broker with these in its environment only.
start_crashing() {
    local kv
    for kv in "$@"; do
        export "${kv?}"
    done
    start_broker
    unset "${CRASH_VARS[@]}"
}

# await_crash NAME:N LOAD: the broker must die at that point by its own SIGKILL, with the
# marker line. Should the load finish first (a large N), one more load starts (LOAD.2, ...),
# so a point is only given up on after 120 s: one that never fires fails the test.
await_crash() {
    local spec=$1 load=$2 pid=$BROKER_PID rc=0 deadline=$((SECONDS + 120)) more=1
    while pid_alive "$pid"; do
        ((SECONDS < deadline)) || fail "permitd did not reach crash point $spec within 120s"
        if ! pid_alive "${LOAD_PID[$load]}"; then
            more=$((more + 1))
            load=${load%%.*}.$more
            start_load "$load" "${load%%.*}x$more" "$projects" --window 16 --timeout-ms 400
        fi
        { sleep 0.02; } 2>/dev/null # bash's "Killed" notice of the broker lands here
    done
    # shellcheck disable=SC2034 # restart_broker's recovery sample: CRASHED (KILLED_AT_MS before)
    KILLED_AT_MS=$(now_ms) CRASHED=1
    wait "$pid" 2>/dev/null || rc=$? # no "Killed" line from bash: the marker says it
    BROKER_PID=
    ((rc == 137)) || fail "permitd exited $rc at $spec (expected 137: its own SIGKILL)"
    grep -q "crash point $spec reached" "$BROKER_LOG" ||
        fail "permitd died without the marker of crash point $spec"
}

# A fresh database for the next point; the finished histories move aside.
RUNS=0
fresh_db() {
    RUNS=$((RUNS + 1))
    mkdir "$T/done$RUNS"
    mv "$T"/*.acked "$T"/*.history "$T/done$RUNS/" 2>/dev/null || true
    rm -f "$DB" "$DB-wal" "$DB-shm"
    start_broker
    fault_import
    stop_broker
}

require_hooks
fault_seed
step "a malformed PERMIT_CRASH is refused at start with exit 2 and one line"
for bad in "after_commit" "after_commit:0" "after_comit:3" "after_commit:x"; do
    run env PERMIT_CRASH="$bad" "$PERMITD" --db "$T/bad.db" --ingest "$INGEST" \
        --publish "$PUBLISH" --query "$QUERY" --curve no
    ((RC == 2)) || fail "PERMIT_CRASH=$bad: exit $RC (expected 2)"
    [[ "$ERR" == *"PERMIT_CRASH='$bad' is malformed"* ]] || fail "PERMIT_CRASH=$bad: stderr '$ERR'"
done
run env PERMIT_CRASH=vfs_sync:1 "$PERMITD" --db "$T/bad.db" --curve no
((RC == 2)) || fail "vfs_sync without the crash VFS: exit $RC (expected 2)"

crashes=0 acked_total=0 k=0
sweep_summary=()
for point in after_receive after_append after_commit after_ack checkpoint; do
    case $point in
    after_receive) ns=("${N_RECEIVE[@]}") projects=$PROJECTS vfs=() ;;
    checkpoint) ns=("${N_CHECKPOINT[@]}") projects=$CHECKPOINT_PROJECTS vfs=(PERMIT_TEST_VFS=crash) ;;
    *) ns=("${N_BATCH[@]}") projects=$PROJECTS vfs=() ;;
    esac
    step "$point: N = ${ns[*]}"
    fresh_db
    for n in "${ns[@]}"; do
        k=$((k + 1))
        start_crashing PERMIT_CRASH="$point:$n" "${vfs[@]}"
        start_load "c$k" "C$k" "$projects" --window 16 --timeout-ms 400
        await_crash "$point:$n" "c$k"
        crashes=$((crashes + 1))
        restart_broker
        wait_loads 180
        # Committed but never acked: the resends after the restart must be answered duplicate.
        if [[ $point == after_commit ]] && ! grep -q "^dup " "$T/c$k".*history; then
            fail "after_commit:$n: no resend was answered as a duplicate"
        fi
        check_all >/dev/null
        acked_total=$((acked_total + $(cat "$T/c$k".*acked | wc -l)))
    done
    sweep_summary+=("$point x${#ns[@]}")
done

points=$(printf '%s, ' "${sweep_summary[@]}")
echo "crashpoints: 0 lost of $acked_total acked events over $crashes crashes at named points" \
    "(${points%, }); 0 duplicates; 0 state divergences;" \
    "$INTEGRITY_OK/$INTEGRITY_RUNS integrity checks ok; $(recovery_summary)"
