#!/usr/bin/env bash
# Simulated power loss: permitd runs on the crash VFS (PERMIT_TEST_VFS=crash,
# tests/faults/crashvfs.c), which keeps every write to the database files in memory until
# the file is synced. Each cycle starts the broker with a crash point and N drawn by the
# seeded generator -- mostly the N-th write or sync of the database files (vfs_write,
# vfs_sync: a power cut in the middle of a commit or a checkpoint), sometimes a named point of
# the broker -- and PERMIT_CRASH_MODE=powerloss: there, before the process dies, a seeded
# random subset of the unsynced writes reaches the files, some whole, some dropped, some torn
# at a sector boundary. A fault-load runs all along; every restart is preceded by
# integrity_check. At the end the checker must find every acked event in the log: with
# synchronous=FULL an ack means synced, so no power loss may take it back.
#
# Then the contrast, on a fresh database: the same cycles with PERMIT_TEST_SYNCHRONOUS=NORMAL
# (commits are not synced; only checkpoints sync). The acked events lost there are counted
# and reported, not asserted (whether an ack reaches the load before the cut is a race), and
# integrity_check must still hold after each cycle.
#
# FAULT_PROFILE=long: 1,000 power losses with FULL, 100 with NORMAL. FAULT_SEED=N replays the
# choices of points, N and the loss seeds (not the timing of the load).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "$FAULT_PROFILE" == long ]]; then
    CYCLES=${FAULT_POWERLOSS_CYCLES:-1000} NORMAL_CYCLES=${FAULT_NORMAL_CYCLES:-100}
else
    CYCLES=${FAULT_POWERLOSS_CYCLES:-20} NORMAL_CYCLES=${FAULT_NORMAL_CYCLES:-8}
fi
PROJECTS=40 # per load; a new load starts whenever the last one is done
# A short resend timeout: after each cut the load is back within 0.4 s, which sets the pace.

CRASH_VARS=(PERMIT_CRASH PERMIT_CRASH_MODE PERMIT_CRASH_SEED PERMIT_TEST_VFS
    PERMIT_TEST_SYNCHRONOUS)

# A power cut may come before "ready:" (a write while the store opens): that start counts.
broker_is_ready() {
    if ! pid_alive "$BROKER_PID"; then
        grep -q "crash point .* reached" "$BROKER_LOG" && return 0
        fail "permitd (pid $BROKER_PID) died while starting"
    fi
    grep -q "ready:" "$BROKER_LOG" 2>/dev/null # the log may not be created yet
}

# The point and N of a cycle, drawn from the seeded generator: SPEC (NAME:N) and LOSS_SEED.
draw_point() {
    local n sync_max=30
    # With NORMAL only checkpoints sync (two syncs each, 4000 frames apart): keep N small.
    [[ "$PHASE" == N ]] && sync_max=4
    rnd 100
    if ((RND < 40)); then
        rnd 400 && n=$((RND + 1)) && SPEC=vfs_write:$n
    elif ((RND < 70)); then
        rnd "$sync_max" && n=$((RND + 1)) && SPEC=vfs_sync:$n
    elif ((RND < 76)); then
        rnd 10 && n=$((RND + 1)) && SPEC=after_append:$n
    elif ((RND < 82)); then
        rnd 10 && n=$((RND + 1)) && SPEC=after_commit:$n
    elif ((RND < 88)); then
        rnd 10 && n=$((RND + 1)) && SPEC=after_ack:$n
    elif ((RND < 94)); then
        rnd 200 && n=$((RND + 1)) && SPEC=after_receive:$n
    else
        rnd 150 && n=$((RND + 1)) && SPEC=checkpoint:$n
    fi
    rnd 1000000007
    LOSS_SEED=$RND
}

LOADS=0
load_running() {
    [[ -n "${LOAD_PID[l$LOADS]:-}" ]] && pid_alive "${LOAD_PID[l$LOADS]}"
}

# Keep one load running: when the last one is done (or, with NORMAL, gave up on a refusal
# after a loss), the next one starts.
keep_loading() {
    local rc=0
    if ((LOADS > 0)); then
        load_running && return 0
        wait "${LOAD_PID[l$LOADS]}" 2>/dev/null || rc=$?
        LOAD_PID[l$LOADS]=
        ((rc == 0)) || ((STRICT == 0)) || fail "load l$LOADS exited $rc: $(tail -n 3 "$T/l$LOADS.err")"
    fi
    LOADS=$((LOADS + 1))
    start_load "l$LOADS" "P$PHASE$LOADS" "$PROJECTS" --window 16 --timeout-ms 400
}

# One cycle: start on the crash VFS with the drawn point, keep the load going until the
# broker dies there; check the marker lines and add up what the loss did.
APPLIED=0 DROPPED=0 TORN=0
cycle() {
    local pid rc=0 deadline line
    draw_point
    export PERMIT_TEST_VFS=crash PERMIT_CRASH_MODE=powerloss PERMIT_CRASH=$SPEC \
        PERMIT_CRASH_SEED=$LOSS_SEED
    [[ "$PHASE" == N ]] && export PERMIT_TEST_SYNCHRONOUS=NORMAL
    restart_broker
    unset "${CRASH_VARS[@]}"
    pid=$BROKER_PID
    deadline=$((SECONDS + 120))
    while pid_alive "$pid"; do
        ((SECONDS < deadline)) || fail "permitd did not reach $SPEC within 120s"
        keep_loading
        { sleep 0.02; } 2>/dev/null # bash's "Killed" notice of the broker lands here
    done
    # shellcheck disable=SC2034 # restart_broker's recovery sample: CRASHED (KILLED_AT_MS before)
    KILLED_AT_MS=$(now_ms) CRASHED=1
    wait "$pid" 2>/dev/null || rc=$?
    BROKER_PID=
    ((rc == 137)) || fail "permitd exited $rc at $SPEC (expected 137: its own SIGKILL)"
    grep -q "crash point $SPEC reached (powerloss, seed $LOSS_SEED)" "$BROKER_LOG" ||
        fail "no power-loss marker for $SPEC in $BROKER_LOG"
    line=$(grep -o "of the unsynced writes [0-9]* applied, [0-9]* dropped, [0-9]* torn" \
        "$BROKER_LOG") || fail "no power-loss summary in $BROKER_LOG"
    read -r _ _ _ _ a _ d _ t _ <<<"$line"
    APPLIED=$((APPLIED + a)) DROPPED=$((DROPPED + d)) TORN=$((TORN + t))
}

acked_lines() {
    cat "$T"/*.acked 2>/dev/null | wc -l
}

require_hooks
fault_seed
start_broker
fault_import
stop_broker

# --- FULL: no acked event may be lost ---
PHASE=F STRICT=1
step "$CYCLES power losses with synchronous=FULL"
started=$SECONDS
for ((c = 1; c <= CYCLES; c++)); do
    cycle
done
full_s=$((SECONDS - started))
full_losses="$APPLIED applied, $DROPPED dropped, $TORN torn"
restart_broker
wait_loads 300
check_all >/dev/null
full_acked=$(acked_lines)
full_summary="0 lost of $full_acked acked events over $CYCLES power losses with synchronous=FULL"
step "$full_summary in ${full_s}s (unsynced writes at the cuts: $full_losses); $(recovery_summary)"

# --- NORMAL, the contrast, on a fresh database ---
mkdir "$T/full"
mv "$T"/*.acked "$T"/*.history "$T/full/"
rm -f "$DB" "$DB-wal" "$DB-shm"
start_broker
fault_import
stop_broker
PHASE=N STRICT=0 APPLIED=0 DROPPED=0 TORN=0
step "the contrast: $NORMAL_CYCLES power losses with synchronous=NORMAL"
for ((c = 1; c <= NORMAL_CYCLES; c++)); do
    cycle
done
restart_broker
for name in "${!LOAD_PID[@]}"; do
    [[ -n "${LOAD_PID[$name]}" ]] && kill9_load "$name"
done
stop_broker
integrity_check
acked=()
for f in "$T"/*.acked; do
    [[ -e "$f" ]] && acked+=(--acked "$f")
done
rc=0
normal=$("$PY" "$CHECK_PY" --db "$DB" --label normal "${acked[@]}" 2>"$T/check.err") || rc=$?
[[ "$normal" =~ ([0-9]+)\ lost\ of\ ([0-9]+)\ acked ]] || fail "checker said: $normal"
normal_lost=${BASH_REMATCH[1]} normal_acked=${BASH_REMATCH[2]}
[[ "$normal" == *"integrity ok"* ]] || fail "NORMAL: the database is damaged: $normal"
step "NORMAL: $normal_lost lost of $normal_acked acked events over $NORMAL_CYCLES power losses" \
    "(unsynced writes at the cuts: $APPLIED applied, $DROPPED dropped, $TORN torn)"

echo "powerloss: $full_summary; 0 duplicates; 0 state divergences;" \
    "$INTEGRITY_OK/$INTEGRITY_RUNS integrity checks ok; $(recovery_summary);" \
    "contrast: $normal_lost lost of $normal_acked acked over $NORMAL_CYCLES power losses" \
    "with synchronous=NORMAL"
