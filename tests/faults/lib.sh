# Shared helpers of the fault-injection suite; each tests/faults/test_*.sh sources this file.
#
# It sources tests/integration/lib.sh (the temporary folder $T, $DB, the ipc endpoints,
# start_broker, stop_broker, kill9_broker, spawn, wait_for, fail, step, ctl, ...) and adds:
#
#   FAULT_PROFILE          short (default: what `make test` runs) or long (run-long.sh)
#   fault_seed             print the seed and seed $RANDOM with it: FAULT_SEED=N replays a run
#   rnd N                  a number in [0, N) from the seeded generator, in RND
#   fault_import           the sample departments and template (no sample projects)
#   start_load NAME PREFIX PROJECTS [ARGS]
#                          a fault-load in the background: history in $T/NAME.history,
#                          acked ids in $T/NAME.acked, output in $T/NAME.out; PID in
#                          LOAD_PID[NAME]. Starting a NAME again resumes that load.
#   kill9_load NAME        kill -9 one load (it is started again with start_load NAME)
#   wait_loads SECS        wait until every load has exited 0
#   loads_running          true while some load still runs
#   integrity_check        PRAGMA integrity_check on $DB while no broker runs
#   crash_broker           kill -9 the broker
#   restart_broker [ARGS]  integrity_check, then start_broker; the time from its start to
#                          "ready:" (opening the database after the crash, the WAL recovered)
#                          is a recovery sample (RECOVERY_MS)
#   recovery_summary       "restart to ready p50 X ms, p99 Y ms" over the samples
#   require_hooks          exit 77 (skip) unless permitd was built with the test hooks
#   check_all [ARGS]       stop the broker, run check.py over every $T/*.acked with a rebuild
#                          comparison; the summary line is left in CHECK_SUMMARY
# shellcheck shell=bash disable=SC2034

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

FAULT_LOAD=$PERMIT_BIN/fault-load
[[ -x "$FAULT_LOAD" ]] || fail "$FAULT_LOAD is missing (build first)"
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
CHECK_PY=$PERMIT_SRC/tests/faults/check.py
FAULT_PROFILE=${FAULT_PROFILE:-short}
[[ "$FAULT_PROFILE" == short || "$FAULT_PROFILE" == long ]] ||
    fail "FAULT_PROFILE must be short or long, not '$FAULT_PROFILE'"

declare -A LOAD_PID=()
declare -A LOAD_ARGS=()
INTEGRITY_RUNS=0
INTEGRITY_OK=0
RECOVERY_MS=()
CRASHED=0
CHECK_SUMMARY=
RND=0

now_ms() {
    local t
    t=$(date +%s%N)
    echo $((t / 1000000))
}

fault_seed() {
    FAULT_SEED=${FAULT_SEED:-$(($(date +%s%N) % 1000000007))}
    RANDOM=$((FAULT_SEED % 32768))
    step "seed $FAULT_SEED (FAULT_SEED=$FAULT_SEED replays this run)"
}

# rnd N: RND in [0, N), from two draws of the seeded $RANDOM so N may exceed 32768.
rnd() {
    RND=$(((RANDOM * 32768 + RANDOM) % $1))
}

fault_import() {
    ctl import departments "$PERMIT_SRC/deploy/departments.csv"
    ctl import template "$PERMIT_SRC/deploy/template.csv"
}

start_load() {
    local name=$1 prefix projects
    shift
    if [[ -z "${LOAD_ARGS[$name]:-}" ]]; then
        LOAD_ARGS[$name]="$*"
    fi
    # shellcheck disable=SC2086
    set -- ${LOAD_ARGS[$name]}
    prefix=$1 projects=$2
    shift 2
    "$FAULT_LOAD" --ingest "$INGEST" --template "$PERMIT_SRC/deploy/template.csv" \
        --prefix "$prefix" --projects "$projects" \
        --history "$T/$name.history" --acked "$T/$name.acked" "$@" \
        >>"$T/$name.out" 2>>"$T/$name.err" &
    LOAD_PID[$name]=$!
    CHILDREN+=("${LOAD_PID[$name]}")
}

kill9_load() {
    local pid=${LOAD_PID[$1]}
    kill -s KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    LOAD_PID[$1]=
}

loads_running() {
    local name
    for name in "${!LOAD_PID[@]}"; do
        [[ -n "${LOAD_PID[$name]}" ]] && pid_alive "${LOAD_PID[$name]}" && return 0
    done
    return 1
}

# wait_loads SECS: every load must exit 0 within SECS seconds.
wait_loads() {
    local secs=$1 name pid rc deadline=$((SECONDS + $1))
    for name in "${!LOAD_PID[@]}"; do
        pid=${LOAD_PID[$name]}
        [[ -n "$pid" ]] || continue
        while pid_alive "$pid"; do
            ((SECONDS < deadline)) || fail "load $name did not finish within ${secs}s: $(tail -n 3 "$T/$name.history")"
            sleep 0.1
        done
        rc=0
        wait "$pid" || rc=$?
        ((rc == 0)) || fail "load $name exited $rc: $(tail -n 5 "$T/$name.err")"
        LOAD_PID[$name]=
    done
}

integrity_check() {
    local res
    INTEGRITY_RUNS=$((INTEGRITY_RUNS + 1))
    res=$(sqlite3 "$DB" "PRAGMA integrity_check" 2>&1) || true
    [[ "$res" == ok ]] || fail "integrity_check after restart $INTEGRITY_RUNS: $res"
    INTEGRITY_OK=$((INTEGRITY_OK + 1))
}

# kill9_broker, remembering it, so the next restart_broker measures the recovery.
crash_broker() {
    CRASHED=1
    kill9_broker
}

restart_broker() {
    local t0
    integrity_check
    t0=$(now_ms)
    start_broker "$@"
    if ((CRASHED)); then
        RECOVERY_MS+=($(($(now_ms) - t0)))
        CRASHED=0
    fi
}

recovery_summary() {
    local n=${#RECOVERY_MS[@]} sorted
    if ((n == 0)); then
        echo "no recoveries"
        return
    fi
    mapfile -t sorted < <(printf '%s\n' "${RECOVERY_MS[@]}" | sort -n)
    echo "restart to ready after a crash p50 ${sorted[$(((n - 1) * 50 / 100))]} ms," \
        "p99 ${sorted[$(((n - 1) * 99 / 100))]} ms"
}

check_all() {
    local acked=() f rc=0
    [[ -z "$BROKER_PID" ]] || stop_broker
    for f in "$T"/*.acked; do
        [[ -e "$f" ]] && acked+=(--acked "$f")
    done
    CHECK_SUMMARY=$("$PY" "$CHECK_PY" --db "$DB" --permitd "$PERMITD" --label "$TEST_NAME" \
        "${acked[@]}" "$@" 2>"$T/check.err") || rc=$?
    ((rc == 0)) || fail "checker: $CHECK_SUMMARY $(cat "$T/check.err")"
    echo "$CHECK_SUMMARY"
}

# The hooks exist in test builds only (cmake -DPERMIT_TEST_HOOKS=ON); skip (77) elsewhere.
require_hooks() {
    local rc=0
    PERMIT_CRASH=probe "$PERMITD" -n >/dev/null 2>&1 || rc=$?
    if ((rc != 2)); then
        echo "$TEST_NAME: SKIP: $PERMITD has no test hooks (build with -DPERMIT_TEST_HOOKS=ON)"
        exit 77
    fi
}
