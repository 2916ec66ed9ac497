#!/usr/bin/env bash
# Disk full: the broker's database and an agent's outbox on small tmpfs mounts that a filler
# file fills up, in a mount namespace of the test's own (it re-executes itself under
# `unshare --mount`; exit 77, a skip, where that or mounting a tmpfs is not permitted).
#
# Broker: a fault-load drives events while the database's disk is filled and freed again.
# sqlite may go on committing for a while into room its files already hold (the WAL's tail
# after a checkpoint reset it): those acks are real commits, which the checker holds against
# the log. Once a single event no longer fits, every answer is the temporary refusal
# "storage" with a reason that says the disk is full (an ack in that run must be a commit the
# store itself logged as "writable again"), the broker stays up (it is even restarted once on
# the full disk and must come up), and its log has a line when a spell starts and one when
# it ends, none per message; after the filler is removed the next ack comes within seconds
# (the time is measured). A broker that cannot open a new database on a full disk exits
# non-zero with one line saying so.
#
# Agent: its outbox's disk is filled while the daemon runs: `send --queue` exits 73 with "the
# outbox is full", a spool file stays in the spool (not in failed/, nothing of it taken),
# status and status --json show the condition, the daemon logs it once and keeps running;
# after the filler is removed the file is taken and every event is acked.
#
# Then the checker: every acked id in the log once, every event the agent took logged once,
# the state equal to a rebuild, integrity_check ok. FAULT_PROFILE=long runs more fill/free
# cycles over a bigger load.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

if [[ -z "${DISKFULL_NS:-}" ]]; then
    if ! command -v unshare >/dev/null 2>&1; then
        echo "test_diskfull: SKIP: unshare(1) is not installed" >&2
        exit 77
    fi
    # Root makes a mount namespace; anyone else may, where user namespaces are allowed.
    for how in "" "--user --map-root-user"; do
        # shellcheck disable=SC2086
        if unshare $how --mount --propagation private true 2>/dev/null; then
            # shellcheck disable=SC2086
            DISKFULL_NS=1 exec unshare $how --mount --propagation private bash "$0" "$@"
        fi
    done
    echo "test_diskfull: SKIP: cannot make a mount namespace here (unshare --mount needs root" \
        "or user namespaces)" >&2
    exit 77
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$PERMIT_SRC/tests/integration/agent_lib.sh"

if [[ "$FAULT_PROFILE" == long ]]; then
    PROJECTS=${FAULT_PROJECTS:-1500} CYCLES=${FAULT_CYCLES:-20} RATE=200 SPOOLED=200
    DB_FS=64m OUTBOX_FS=16m # room for the whole load once the filler is gone
else
    PROJECTS=${FAULT_PROJECTS:-40} CYCLES=2 RATE=150 SPOOLED=20
    DB_FS=24m OUTBOX_FS=2m # the WAL grows to 16 MiB between checkpoints
fi
EVENTS_PER_PROJECT=$((2 * ($(grep -c '^procedure,' "$PERMIT_SRC/deploy/template.csv"))))
RESUME_MAX_MS=5000

# Two small file systems: the broker's database and the agent's outbox.
mkdir -p "$T/fs" "$T/afs" "$T/spool"
if ! mount -t tmpfs -o "size=$DB_FS" tmpfs "$T/fs" 2>"$T/mount.err" ||
    ! mount -t tmpfs -o "size=$OUTBOX_FS" tmpfs "$T/afs" 2>>"$T/mount.err"; then
    echo "$TEST_NAME: SKIP: cannot mount a tmpfs: $(cat "$T/mount.err")" >&2
    rm -rf "$T"
    trap - EXIT
    exit 77
fi
# Detach them before lib.sh's cleanup removes $T (the namespace dies with the test anyway).
diskfull_exit() {
    local rc=$1
    set +e
    umount -l "$T/fs" "$T/afs" 2>/dev/null
    set_status() { return "$1"; }
    set_status "$rc"
    cleanup
}
trap 'diskfull_exit $?' EXIT
DB=$T/fs/permit.db

# fill DIR: a filler file that takes every free byte of DIR's file system.
fill() {
    dd if=/dev/zero of="$1/filler" bs=64k status=none 2>/dev/null || true
    local free
    free=$(df --output=avail -B1 "$1" | tail -n 1)
    ((free < 65536)) || fail "$1 still has $free bytes free after the filler"
}

unfill() {
    rm -f "$1/filler"
}

log_count() {
    grep -c -- "$2" "$1" 2>/dev/null || true
}

# history lines of the load after line FROM that match PATTERN
hist_after() {
    tail -n +"$(($2 + 1))" "$T/$1.history" | grep -c -- "$3" || true
}

enough_retries() {
    (($(hist_after L "$1" '^retry .* storage$') >= $2))
}

acked_more_than() {
    (($(lines_in "$T/L.acked") > $1))
}

broker_says() {
    (($(log_count "$BROKER_LOG" "$1") >= $2))
}
FULL_LINE='the disk is full (.*): events are refused'
WRITABLE_LINE='writable again after'
# As many "writable again" lines as "the disk is full" lines since the counts FULL0 WRITABLE0.
broker_says_balanced() {
    local full writable
    full=$(($(log_count "$BROKER_LOG" "$FULL_LINE") - $1))
    writable=$(($(log_count "$BROKER_LOG" "$WRITABLE_LINE") - $2))
    ((full >= 1 && writable == full))
}

fault_seed
start_broker
fault_import
register_projects DFP $((CYCLES * 20 + 50)) # a fresh one for each probe

# ---------------------------------------------------------------------------------------
step "broker: $PROJECTS projects ($((PROJECTS * EVENTS_PER_PROJECT)) events) at $RATE/s, $CYCLES fill/free cycles"
start_load L DF "$PROJECTS" --window 8 --timeout-ms 2000 --rate "$RATE"

# The last N answers (acks and storage refusals) after history line FROM are all refusals.
refusal_run() {
    local from=$1 n=$2 got
    got=$(tail -n +"$((from + 1))" "$T/L.history" | grep -E '^(ack|retry) ' | tail -n "$n" |
        grep -c '^retry .* storage$' || true)
    ((got == n))
}
# Answers of the history between lines FROM and TO matching PATTERN.
hist_count() {
    tail -n +"$(($1 + 1))" "$T/L.history" | head -n "$(($2 - $1))" | grep -c -- "$3" || true
}

# probe: one event on a fresh project through permit-agent send. True when it was refused
# with "storage" and a reason that says the disk is full; false when it was acked (it fitted
# into space sqlite held: the ack is kept for the checker).
probe_n=0
probe() {
    local id
    probe_n=$((probe_n + 1))
    id=diskfull-probe-$probe_n
    run "$PERMIT_AGENT" send --dept NRB --project "$(printf 'DFP-%03d' "$probe_n")" \
        --procedure LAND_PREREVIEW --event accepted --id "$id" --tries 1
    if ((RC == 0)); then
        echo "$id $OUT" >>"$T/probes.acked"
        return 1
    fi
    ((RC == 75)) || fail "permit-agent send on a full broker disk exited $RC (expected 75): $ERR"
    [[ "$ERR" == *"refused (storage)"*"disk is full"* ]] ||
        fail "the refusal does not say the disk is full: $ERR"
}

resume_ms=()
refused_total=0
acked_filled=0
for ((cycle = 1; cycle <= CYCLES; cycle++)); do
    pid_alive "${LOAD_PID[L]}" ||
        fail "the load ended before fill $cycle: give it more events (FAULT_PROJECTS)"
    rnd 60
    wait_for 60 "the load to make progress before fill $cycle" \
        acked_more_than $(($(lines_in "$T/L.acked") + 20 + RND))
    full0=$(log_count "$BROKER_LOG" "$FULL_LINE")
    writable0=$(log_count "$BROKER_LOG" "$WRITABLE_LINE")
    hf=$(lines_in "$T/L.history")
    fill "$T/fs"
    # sqlite may still commit into space its files already hold (the WAL's tail after a
    # checkpoint reset it, the frames of a failed commit): those acks are durable, and the
    # checker holds them against the log. Once that space is used up every answer is a refusal.
    wait_for 30 "the broker to log the full disk (cycle $cycle)" \
        broker_says "$FULL_LINE" $((full0 + 1))
    # A single event is about the smallest transaction: once one is refused, nothing fits.
    wait_for 30 "a probe to be refused (cycle $cycle)" probe
    wait_for 30 "a run of 20 refusals in a row (cycle $cycle)" refusal_run "$hf" 20
    h0=$(lines_in "$T/L.history")
    log0=$(lines_in "$BROKER_LOG")
    acked0=$(lines_in "$T/L.acked")
    acked_filled=$((acked_filled + $(hist_count "$hf" "$h0" '^ack ')))
    wait_for 30 "refusals while the disk is full" enough_retries "$h0" 20
    probe || true # refused (checked in probe), or it fitted: then as below
    pid_alive "$BROKER_PID" || fail "permitd died on a full disk"

    if ((cycle == 2)); then
        step "broker: restarted on the full disk, it must come up and keep refusing"
        crash_broker
        start_broker
        full0=0 writable0=0
        hf=$(lines_in "$T/L.history")
        wait_for 30 "a probe to be refused after the restart" probe
        wait_for 30 "refusals after the restart" refusal_run "$hf" 20
        broker_says "$FULL_LINE" 1 || fail "the restarted broker did not log the full disk"
        # Its state tables were left behind (rows held at the kill) and wait for a rebuild:
        # a status from them is refused too, the log still answers.
        if broker_says "cannot be rebuilt on a full disk" 1; then
            run "$PERMITCTL" status DF-000001
            ((RC != 0)) && [[ "$ERR" == *"refused (storage)"*"rebuild"* ]] ||
                fail "status while the tables wait for a rebuild: $RC $OUT $ERR"
            run "$PERMITCTL" tail
            ((RC == 0)) || fail "tail while the tables wait for a rebuild exited $RC: $ERR"
            step "broker: its tables wait for a rebuild; status refused (storage), tail answers"
        fi
        log0=$(lines_in "$BROKER_LOG")
        h0=$(lines_in "$T/L.history")
        acked0=$(lines_in "$T/L.acked")
        acked_filled=$((acked_filled + $(hist_count "$hf" "$h0" '^ack ')))
        wait_for 30 "refusals after the restart" enough_retries "$h0" 20
        probe || true
    fi

    h1=$(lines_in "$T/L.history")
    acks=$(hist_count "$h0" "$h1" '^ack ')
    refused=$(hist_count "$h0" "$h1" '^retry .* storage$')
    refused_total=$((refused_total + refused))
    # Said once: not a line per refused message. The only lines are the store's own "writable
    # again" and "full" when a commit still found room in space sqlite held (rare: a WAL
    # reset by a checkpoint that still completed); an ack of a new event in the run must be
    # such a commit, which the store notices and says, or it would be an ack without a write.
    window=$(tail -n +"$((log0 + 1))" "$BROKER_LOG")
    wrote=$(grep -c -- "$WRITABLE_LINE" <<<"$window" || true)
    other=$(grep -v -c -e "$WRITABLE_LINE" -e "$FULL_LINE" -e "checkpoint" <<<"$window" || true)
    [[ -n "$window" ]] || other=0
    ((other == 0)) || fail "the broker logged $other other lines during $refused refusals: $window"
    ((acks == 0 || wrote > 0)) ||
        fail "$acks events were acked in a run of refusals on a full disk with no commit that wrote (cycle $cycle)"
    ((wrote <= 5)) || fail "the broker flickered $wrote times between full and writable (cycle $cycle)"
    acked_filled=$((acked_filled + acks))
    acked0=$(lines_in "$T/L.acked")

    unfill "$T/fs"
    t0=$(now_ms)
    wait_for 10 "an ack after space returned (cycle $cycle)" acked_more_than "$acked0"
    resume_ms+=($(($(now_ms) - t0)))
    ((resume_ms[-1] <= RESUME_MAX_MS)) ||
        fail "the first ack came ${resume_ms[-1]} ms after space returned (max $RESUME_MAX_MS)"
    # Every start of a full spell is logged with its end; a spell may flicker while sqlite
    # uses up the space its files held, a line each way, never a line per message.
    wait_for 10 "the broker to log that it writes again" broker_says_balanced "$full0" "$writable0"
    n=$(($(log_count "$BROKER_LOG" "$FULL_LINE") - full0))
    ((n >= 1 && n <= 5)) || fail "the broker logged the full disk $n times in one spell (cycle $cycle)"
    step "cycle $cycle: $refused refusals in a row while full, first ack ${resume_ms[-1]} ms after space returned"
done
wait_loads $((PROJECTS * EVENTS_PER_PROJECT / RATE + 120))

# A new database on a full disk cannot be made: one clear line and a non-zero exit.
step "broker: start on a full disk with a new database"
fill "$T/fs"
rc=0
timeout 20 "$PERMITD" --db "$T/fs/new.db" --ingest "ipc://$T/in2" --publish "ipc://$T/pub2" \
    --query "ipc://$T/q2" --curve no >"$T/newdb.out" 2>&1 || rc=$?
((rc != 0 && rc != 124)) || fail "permitd on a full disk exited $rc (expected a failure, not a hang)"
grep -q "disk is full" "$T/newdb.out" || fail "permitd on a full disk did not say so: $(cat "$T/newdb.out")"
n=$(grep -c -v "^$" "$T/newdb.out" || true)
((n <= 3)) || fail "permitd on a full disk printed $n lines: $(cat "$T/newdb.out")"
grep -q "ERROR: AddressSanitizer\|runtime error" "$T/newdb.out" && fail "sanitizer: $(cat "$T/newdb.out")"
unfill "$T/fs"
rm -f "$T/fs/new.db"*

# ---------------------------------------------------------------------------------------
step "agent: outbox on a full disk, $CYCLES cycles"
NOTE=$(printf 'n%.0s' {1..2000})
ASTATE=$T/afs/NRB
agent_conf NRB NRB "state=$ASTATE" "spool=$T/spool"
start_agent NRB
agent_status() {
    run "$PERMIT_AGENT" status --state "$ASTATE" "$@"
    ((RC == 0)) || fail "permit-agent status exited $RC: $ERR"
}
queued_none_sent() {
    agent_status --json
    [[ "$(jq -r '"\(.sent) \(.queued)"' <<<"$OUT")" == "$1 0" ]]
}
agent_says() {
    (($(log_count "$AGENT_LOG" "$1") >= $2))
}
# queue ID PROJECT [EVENT]: send --queue, which must succeed; the id is one the agent took.
queue() {
    run "$PERMIT_AGENT" send --queue --state "$ASTATE" --project "$2" --procedure LAND_PREREVIEW \
        --event "${3:-accepted}" --id "$1"
    ((RC == 0)) || fail "send --queue $1 exited $RC: $ERR"
    echo "$1" >>"$T/agent.accepted"
    sent_expected=$((sent_expected + 1))
}
spool_taken() {
    [[ ! -e "$T/spool/batch$1.csv" && -e "$T/spool/done/batch$1.csv" ]]
}
: >"$T/agent.accepted"
sent_expected=0
take_ms=()
HELD=5 PROBES=400
for ((cycle = 1; cycle <= CYCLES; cycle++)); do
    P=AG$cycle
    # A fresh start: the daemon's last close folded the WAL back and removed it, so the only
    # room left in the outbox's files after the fill is what this cycle's writes leave.
    if ((cycle > 1)); then
        stop_agent NRB
        start_agent NRB
    fi
    register_projects "$P" $((HELD + SPOOLED + PROBES))
    queue "$P-warm" "$P-001"
    wait_for 20 "the first queued event to be acked (cycle $cycle)" queued_none_sent "$sent_expected"

    # Events in the outbox whose acks will come while the disk is full: the broker is
    # stopped while they are queued and started again once the outbox's disk is full.
    stop_broker
    for ((i = 2; i <= HELD + 1; i++)); do
        queue "$P-held-$i" "$(printf '%s-%03d' "$P" "$i")"
    done
    full0=$(log_count "$AGENT_LOG" "outbox: the disk holding")
    writable0=$(log_count "$AGENT_LOG" "outbox: writable again")
    fill "$T/afs"
    # The outbox's files may hold room for a few more (the WAL's tail): queue until the disk
    # says no, big events first, then small ones for what is left.
    for ((i = 1; i <= PROBES; i++)); do
        id="$P-probe-$i"
        note=$NOTE
        ((i % 2 == 0)) && note=n
        run "$PERMIT_AGENT" send --queue --state "$ASTATE" \
            --project "$(printf '%s-%03d' "$P" $((HELD + SPOOLED + i)))" \
            --procedure LAND_PREREVIEW --event accepted --note "$note" --id "$id"
        if ((RC != 0)); then
            ((RC == 73)) || fail "send --queue on a full outbox disk exited $RC (expected 73): $ERR"
            [[ "$note" == n ]] && break
            continue
        fi
        echo "$id" >>"$T/agent.accepted"
        sent_expected=$((sent_expected + 1))
    done
    ((RC == 73)) || fail "send --queue still queued after $PROBES tries on a full outbox disk"
    [[ "$ERR" == *"the outbox is full"* ]] || fail "send --queue does not say the outbox is full: $ERR"
    (($(wc -l <<<"$ERR") == 1)) || fail "send --queue printed more than one line: $ERR"

    {
        echo "project,procedure,event,id"
        for ((i = HELD + 2; i <= HELD + SPOOLED; i++)); do
            printf '%s-%03d,LAND_PREREVIEW,accepted,%s-spool-%d\n' "$P" "$i" "$P" "$i"
        done
    } >"$T/batch$cycle.csv"
    cp "$T/batch$cycle.csv" "$T/spool/.batch$cycle.csv"
    mv "$T/spool/.batch$cycle.csv" "$T/spool/batch$cycle.csv"
    start_broker
    wait_for 20 "the agent to log the full outbox" agent_says "outbox: the disk holding" $((full0 + 1))
    agent_status
    [[ "$OUT" == *"outbox      FULL since"* ]] || fail "status does not show the full outbox: $OUT"
    agent_status --json
    [[ "$(jq -r '.outbox.full' <<<"$OUT")" == true ]] || fail "status --json: outbox.full is not true: $OUT"
    # A few rounds pass: the spool is looked at every second, the held events are sent and
    # acked (their acks cannot be recorded: they are sent again later and answered as
    # duplicates), all of it said once in the agent's log.
    log0=$(lines_in "$AGENT_LOG")
    sleep 2.5 # an observation window, not a synchronisation: nothing may change in it
    [[ -f "$T/spool/batch$cycle.csv" ]] || fail "the spool file left the spool while the outbox was full"
    [[ -z "$(ls -A "$T/spool/failed")" ]] || fail "something went to failed/: $(ls "$T/spool/failed")"
    [[ ! -e "$T/spool/done/batch$cycle.csv" ]] || fail "the file went to done/ while the outbox was full"
    n=$(($(log_count "$AGENT_LOG" "outbox: the disk holding") - full0))
    ((n == 1)) || fail "the agent logged the full outbox $n times"
    lines=$(($(lines_in "$AGENT_LOG") - log0))
    ((lines <= 2)) || fail "the agent logged $lines lines while full: $(tail -n "$lines" "$AGENT_LOG")"
    pid_alive "${AGENT_PID[NRB]}" || fail "the agent died on a full disk"

    unfill "$T/afs"
    t0=$(now_ms)
    wait_for 10 "the spool file to be taken after space returned" spool_taken "$cycle"
    take_ms+=($(($(now_ms) - t0)))
    for ((i = HELD + 2; i <= HELD + SPOOLED; i++)); do
        echo "$P-spool-$i" >>"$T/agent.accepted"
        sent_expected=$((sent_expected + 1))
    done
    queue "$P-after" "$P-001" approved
    wait_for 30 "every agent event to be acked" queued_none_sent "$sent_expected"
    wait_for 10 "the agent to log that the outbox is writable" \
        agent_says "outbox: writable again" $((writable0 + 1))
    agent_status
    [[ "$OUT" != *"FULL"* ]] || fail "status still shows the outbox full: $OUT"
    [[ ! -e "$ASTATE/outbox.full" ]] || fail "the outbox.full marker is still there"
    step "agent cycle $cycle: spool file taken ${take_ms[-1]} ms after space returned"
done
stop_agent NRB
step "agent: $sent_expected events acked, none dropped"

check_all --accepted "$T/agent.accepted"
step "summary: $CYCLES fill/free cycles, $refused_total refusals in runs on a full disk;" \
    "$acked_filled events and $(lines_in "$T/probes.acked") probes acked on the full disk, each" \
    "a commit into space sqlite held (checked above and by the checker);" \
    "first ack after space returned: ${resume_ms[*]} ms; agent spool taken after ${take_ms[*]} ms"
