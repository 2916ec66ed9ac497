# Shared helpers of the integration tests; each test_*.sh sources this file first.
#
# The tests run the real programs from PERMIT_BIN (a build folder holding permitd,
# permit-agent, permitctl and rawsend) in a fresh temporary folder, on ipc:// endpoints inside
# it, so several tests can run side by side. Every child is started through this file and
# killed by PID on exit, whatever happens. KEEP_TMP=1 keeps the folder for a post-mortem.
#
#   start_broker [ARGS]   start permitd on the test's db and endpoints, wait for "ready:";
#                         plain sockets (curve = no) unless ARGS say otherwise
#   stop_broker           SIGTERM, wait, and fail unless it exited 0 (ASan/LSan make a leak
#                         or a memory error a non-zero exit in the test build)
#   kill9_broker          SIGKILL, no questions asked
#   spawn NAME CMD...     run CMD in the background, stdout to $T/NAME.out, stderr to
#                         $T/NAME.err; its PID is left in SPAWNED
#   wait_for SECS DESC CMD...   poll CMD until it succeeds, fail after SECS seconds
#   run CMD...            run CMD, keep stdout/stderr/exit code in OUT, ERR, RC
#   send ARGS...          permit-agent send ARGS, must be acked: the seq is left in SEQ
#   refused CODE ARGS...  permit-agent send ARGS, must be refused (exit 65) with CODE
#   fail MSG              print MSG and the broker log's tail, exit 1
#   import_samples        import deploy/departments.csv, template.csv and projects.csv
#   log_json [ARGS]       the whole log as JSON lines (permitctl tail --from 0 --json ARGS)
#   pb_event_frame V KIND ID DEPT PROJECT PROCEDURE
#                         a hand-encoded envelope of protocol version V around an event, in hex
#
# The storage backend: PERMIT_TEST_BACKEND=sqlite (the default; DB is a file in the test's
# folder) or postgresql (DB is the URI of a throw-away cluster in $T/pg, tests/pg/pgtmp.sh,
# started once per test at the first need and thrown away at exit). ctest runs every
# integration test on both, the second time as pg_NAME. What reads the database directly
# goes through these, which work the same on both:
#   dbq SQL               one statement (portable SQL: no group_concat, aliases on
#                         subqueries); rows on stdout, columns separated by one space
#   db_dump TABLE ORDERBY every row of TABLE ordered by ORDERBY, columns separated by |, NULL
#                         as \N, blobs in lower-case hex: the same text on both backends
#   db_dump_derived       db_dump of every table a rebuild recomputes (DERIVED_TABLES)
#   db_head               the highest sequence number in the log
#   db_start              start the cluster now (start_broker, dbq... do it themselves; for
#                         a test that runs permitd on $DB before any of those)
#   sqlite_only [WHY]     skip the test (exit 77) unless the backend is sqlite: for what only
#                         an embedded file has (copies of the file, integrity_check, two
#                         brokers on one file, the flock lock file)
#   on_sqlite             true when the backend is sqlite, for guarding a part of a test
#
# shellcheck shell=bash disable=SC2034

set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
PERMIT_SRC=${PERMIT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PERMIT_BIN=${PERMIT_BIN:-$PERMIT_SRC/build}

PERMITD=$PERMIT_BIN/permitd
PERMIT_AGENT=$PERMIT_BIN/permit-agent
PERMITCTL=$PERMIT_BIN/permitctl
RAWSEND=$PERMIT_BIN/rawsend

for prog in "$PERMITD" "$PERMIT_AGENT" "$PERMITCTL" "$RAWSEND"; do
    if [[ ! -x "$prog" ]]; then
        echo "$TEST_NAME: FAIL: $prog is missing (build first, or set PERMIT_BIN)" >&2
        exit 1
    fi
done
PERMIT_TEST_BACKEND=${PERMIT_TEST_BACKEND:-sqlite}
case $PERMIT_TEST_BACKEND in
sqlite) tools=(jq sqlite3) ;;
postgresql) tools=(jq sqlite3 psql setpriv) ;;
*)
    echo "$TEST_NAME: FAIL: PERMIT_TEST_BACKEND=$PERMIT_TEST_BACKEND (sqlite or postgresql)" >&2
    exit 1
    ;;
esac
for tool in "${tools[@]}"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$TEST_NAME: FAIL: $tool is not installed (run scripts/deps.sh)" >&2
        exit 1
    fi
done

# Sanitizer builds: a leak or an error anywhere makes the program exit non-zero.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Plain, stable output: no colour, one time zone.
export NO_COLOR=1
# The programs speak the locale's language (issue 20); the tests read English unless a test
# asks for another, whatever locale the developer's shell has.
export LC_ALL=C.UTF-8
unset LANGUAGE
export TZ=${TZ:-Asia/Shanghai}

T=$(mktemp -d "${TMPDIR:-/tmp}/permit-$TEST_NAME.XXXXXX")
if [[ $PERMIT_TEST_BACKEND == postgresql ]]; then
    # shellcheck source-path=SCRIPTDIR source=../pg/pgtmp.sh
    source "$PERMIT_SRC/tests/pg/pgtmp.sh"
    # As root the cluster runs as nobody, who must get through $T to its own $T/pg.
    ((EUID != 0)) || chmod 711 "$T"
    PG_TEST_PORT=$(pg_port)
    DB=$(pg_uri "$T/pg" "$PG_TEST_PORT")
else
    DB=$T/permit.db
fi
INGEST=ipc://$T/ingest.sock
PUBLISH=ipc://$T/publish.sock
QUERY=ipc://$T/query.sock
export PERMIT_BROKER=$INGEST PERMIT_QUERY=$QUERY PERMIT_PUBLISH=$PUBLISH

BROKER_PID=
BROKER_LOG=$T/permitd.log
BROKER_STARTS=0
CHILDREN=()
SPAWNED=
OUT=
ERR=
RC=0
SEQ=

# True while PID is a live process (a zombie that was not waited for yet counts as gone).
# The read is one guarded command: a process reaped between a test and a $(<file) would end
# the whole script under set -e.
pid_alive() {
    local pid=$1 stat
    [[ -n "$pid" ]] || return 1
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
}

# Signal a process and wait until it is gone, at most SECS seconds; then SIGKILL.
kill_wait() {
    local pid=$1 sig=${2:-TERM} secs=${3:-5} i
    pid_alive "$pid" || return 0
    kill -s "$sig" "$pid" 2>/dev/null || return 0
    for ((i = 0; i < secs * 20; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.05
    done
    kill -s KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${CHILDREN[@]}" "$BROKER_PID"; do
        [[ -n "$pid" ]] && kill_wait "$pid" TERM 3
    done
    wait 2>/dev/null || true
    # The cluster may have been started in a subshell ($(dbq ...) first): found by its folder.
    if [[ $PERMIT_TEST_BACKEND == postgresql ]] && pg_adopt "$T/pg"; then
        pg_stop || rc=1
    fi
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then
        echo "$TEST_NAME: kept $T" >&2
    else
        rm -rf "$T"
    fi
    if ((rc == 0)); then
        echo "$TEST_NAME: PASS"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "$TEST_NAME: FAIL: $*" >&2
    if [[ -s "$BROKER_LOG" ]]; then
        echo "--- last lines of $BROKER_LOG ---" >&2
        tail -n 30 "$BROKER_LOG" >&2
    fi
    if [[ -n "${PG_DIR:-}" && -s "$PG_DIR/postgres.log" ]]; then
        echo "--- last lines of $PG_DIR/postgres.log ---" >&2
        tail -n 10 "$PG_DIR/postgres.log" >&2
    fi
    exit 1
}

# Say what the test is doing, so a failure in ctest's output reads like a story.
step() {
    echo "$TEST_NAME: $*"
}

# wait_for SECS DESCRIPTION CMD...: run CMD every 50 ms until it succeeds.
wait_for() {
    local secs=$1 desc=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            fail "timed out after ${secs}s waiting for $desc"
        fi
        sleep 0.05
    done
}

# run CMD...: never fails by itself; leaves stdout in OUT, stderr in ERR, exit code in RC.
run() {
    local errf=$T/run.err
    RC=0
    OUT=$("$@" 2>"$errf") || RC=$?
    ERR=$(<"$errf")
}

spawn() {
    local name=$1
    shift
    "$@" >"$T/$name.out" 2>"$T/$name.err" &
    SPAWNED=$!
    CHILDREN+=("$SPAWNED")
}

broker_is_ready() {
    pid_alive "$BROKER_PID" || fail "permitd (pid $BROKER_PID) died while starting"
    grep -qsE "ready:|就绪：" "$BROKER_LOG" # a broker may run under a Chinese locale
}

# start_broker [ARGS]: every start gets its own log file; BROKER_LOG names the current one.
start_broker() {
    db_start
    BROKER_STARTS=$((BROKER_STARTS + 1))
    BROKER_LOG=$T/permitd.$BROKER_STARTS.log
    # Plain sockets on ipc inside the test's folder; test_security.sh passes --curve yes.
    "$PERMITD" --db "$DB" --ingest "$INGEST" --publish "$PUBLISH" --query "$QUERY" \
        --log-level info --curve no "$@" >"$BROKER_LOG" 2>&1 &
    BROKER_PID=$!
    wait_for 20 "permitd to log ready:" broker_is_ready
    on_sqlite || grep -q "^.* ready: .*(postgresql)" "$BROKER_LOG" ||
        fail "permitd is not on the PostgreSQL backend: $(grep " ready: " "$BROKER_LOG")"
}

stop_broker() {
    local pid=$BROKER_PID rc=0 i
    [[ -n "$pid" ]] || fail "stop_broker: no broker running"
    kill -s TERM "$pid" 2>/dev/null || fail "permitd (pid $pid) was already gone"
    for ((i = 0; i < 300; i++)); do
        pid_alive "$pid" || break
        sleep 0.05
    done
    if pid_alive "$pid"; then
        kill -s KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        BROKER_PID=
        fail "permitd did not stop within 15s of SIGTERM"
    fi
    wait "$pid" || rc=$?
    BROKER_PID=
    ((rc == 0)) || fail "permitd exited $rc after SIGTERM (expected 0)"
}

kill9_broker() {
    local pid=$BROKER_PID
    [[ -n "$pid" ]] || fail "kill9_broker: no broker running"
    kill -s KILL "$pid"
    wait "$pid" 2>/dev/null || true
    BROKER_PID=
}

# send ARGS...: one event through permit-agent; it must be acked with a sequence number.
send() {
    run "$PERMIT_AGENT" send "$@"
    ((RC == 0)) || fail "permit-agent send $* exited $RC (expected 0): $ERR"
    [[ "$OUT" =~ ^[0-9]+$ ]] || fail "permit-agent send $* printed '$OUT' (expected a sequence number)"
    SEQ=$OUT
}

# refused CODE ARGS...: one event through permit-agent; it must be refused with CODE.
refused() {
    local code=$1
    shift
    run "$PERMIT_AGENT" send "$@"
    ((RC == 65)) || fail "permit-agent send $* exited $RC (expected 65, refused $code): $OUT $ERR"
    [[ "$ERR" == *"refused ($code)"* ]] ||
        fail "permit-agent send $*: stderr '$ERR' does not say 'refused ($code)'"
    [[ -z "$OUT" ]] || fail "permit-agent send $*: printed '$OUT' on stdout although refused"
}

# ctl ARGS...: permitctl ARGS, which must succeed; its stdout is left in OUT.
ctl() {
    run "$PERMITCTL" "$@"
    ((RC == 0)) || fail "permitctl $* exited $RC: $ERR"
}

import_samples() {
    ctl import departments "$PERMIT_SRC/deploy/departments.csv"
    ctl import template "$PERMIT_SRC/deploy/template.csv"
    ctl import projects "$PERMIT_SRC/deploy/projects.csv"
}

# The log as JSON lines, oldest first; extra ARGS filter (e.g. --project ID).
log_json() {
    "$PERMITCTL" tail --from 0 --json "$@"
}

on_sqlite() {
    [[ $PERMIT_TEST_BACKEND == sqlite ]]
}

sqlite_only() {
    on_sqlite && return 0
    echo "$TEST_NAME: SKIP on $PERMIT_TEST_BACKEND: ${*:-this test needs the sqlite backend}"
    exit 77
}

# The database exists: a file sqlite creates itself, or a cluster to start the first time
# (or to find again, when the first start happened in a subshell).
db_start() {
    [[ $PERMIT_TEST_BACKEND == postgresql && -z "${PG_PID:-}" ]] || return 0
    pg_adopt "$T/pg" && return 0
    PG_GUARD_PID=$$ pg_start "$T/pg" "$PG_TEST_PORT" ||
        fail "could not start a PostgreSQL cluster in $T/pg"
    [[ "$PG_URI" == "$DB" ]] || fail "the cluster's URI $PG_URI is not DB $DB"
}

# On sqlite the broker holds changed rows in memory for up to ten seconds (or until it is idle
# for 20 ms) and marks the tables "behind" meanwhile (docs/install.md, "Storage engines"): a
# read of them (not of the log) waits for them to be current, for 12 s at most (a crashed
# broker's tables stay behind until the next start replays the log into them).
db_settled() {
    local i
    for ((i = 0; i < 240; i++)); do
        [[ "$(sqlite3 -batch "$DB" "SELECT value FROM meta WHERE key = 'derived'" 2>/dev/null)" \
            != behind ]] && return 0
        sleep 0.05
    done
}

dbq() {
    db_start
    if on_sqlite; then
        if [[ -f $DB && $1 =~ procedures|projects|milestones|departments|templates ]]; then
            db_settled
        fi
        sqlite3 -batch -separator ' ' "$DB" "$1"
    else
        psql -X -A -t -q -F ' ' -v ON_ERROR_STOP=1 -d "$DB" -c "$1"
    fi
}

# The tables `permitd --rebuild` recomputes from the log, each with the columns that order
# its rows (its primary key). meta and the log itself are not derived.
DERIVED_TABLES=(
    "departments code"
    "templates name, version"
    "projects id"
    "procedures project, ordinal"
    "milestones project, code"
)

# db_dump TABLE ORDERBY: a header naming the columns, then the rows. The columns come from
# the catalog, so a column added later is compared too; values are normalised to one text
# form (blob/bytea in hex, a PostgreSQL boolean as 0/1).
db_dump() {
    local table=$1 order=$2 name type cols=() names=()
    db_start
    if on_sqlite; then
        while read -r name type; do
            names+=("$name")
            case ${type^^} in
            BLOB) cols+=("CASE WHEN \"$name\" IS NOT NULL THEN lower(hex(\"$name\")) END") ;;
            *) cols+=("\"$name\"") ;;
            esac
        done < <(dbq "SELECT name, type FROM pragma_table_info('$table') ORDER BY cid")
    else
        while read -r name type; do
            names+=("$name")
            case $type in
            bytea) cols+=("encode(\"$name\", 'hex')") ;;
            boolean) cols+=("(\"$name\")::int") ;;
            *) cols+=("\"$name\"") ;;
            esac
        done < <(dbq "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute
                WHERE attrelid = '$table'::regclass AND attnum > 0 AND NOT attisdropped
                ORDER BY attnum")
    fi
    ((${#cols[@]} > 0)) || fail "db_dump: no table $table in the database"
    local IFS=,
    echo "-- $table (${names[*]})"
    local sql="SELECT ${cols[*]} FROM \"$table\" ORDER BY $order"
    if on_sqlite; then
        sqlite3 -batch -separator '|' -nullvalue '\N' "$DB" "$sql"
    else
        psql -X -A -t -q -F '|' -P 'null=\N' -v ON_ERROR_STOP=1 -d "$DB" -c "$sql"
    fi
}

db_dump_derived() {
    local t
    for t in "${DERIVED_TABLES[@]}"; do
        db_dump "${t%% *}" "${t#* }"
    done
}

# The highest sequence number in the log, read straight from the database.
db_head() {
    dbq "SELECT COALESCE(MAX(seq), 0) FROM log"
}

# lines_in FILE: number of complete lines in FILE (0 if it does not exist yet).
lines_in() {
    if [[ -f "$1" ]]; then
        wc -l <"$1"
    else
        echo 0
    fi
}

# has_line FILE JQFILTER: some JSON line of FILE matches (jq -e 'select(...)' style filter).
has_line() {
    [[ -f "$1" ]] && jq -e -s "any(.[]; $2)" "$1" >/dev/null 2>&1
}

# stop_child PID NAME: SIGTERM a spawned client and check it stopped cleanly with exit 0.
stop_child() {
    local pid=$1 name=$2 rc=0 i
    pid_alive "$pid" || fail "$name (pid $pid) had already exited"
    kill -s TERM "$pid"
    for ((i = 0; i < 200; i++)); do
        pid_alive "$pid" || break
        sleep 0.05
    done
    pid_alive "$pid" && fail "$name did not stop within 10s of SIGTERM"
    wait "$pid" || rc=$?
    ((rc == 0)) || fail "$name exited $rc after SIGTERM (expected 0): $(tail -n 5 "$T/$name.err")"
}

# csv_value FILE KEYCOL KEY COL: the COL field of the row whose KEYCOL is KEY, read with a
# real CSV parser (sqlite3's), so quoting and UTF-8 are handled as any CSV reader would.
csv_value() {
    local file=$1 keycol=$2 key=${3//\'/\'\'} col=$4
    sqlite3 :memory: -cmd ".import --csv '$file' t" \
        "SELECT \"$col\" FROM t WHERE \"$keycol\" = '$key'"
}

# Protobuf by hand, for frames made without our codec (rawsend sends them): a length-delimited
# field whose value is shorter than 128 bytes, and an envelope (field 1 = version, field 2 =
# event) around an event (2 kind, 3 id, 5 department, 6 project, 7 procedure).
pb_str() {
    local field=
    pb_str_into field "$1" "$2"
    printf '%s' "$field"
}
pb_event_frame() {
    local event=
    pb_str_into event 2 "$2"
    pb_str_into event 3 "$3"
    pb_str_into event 5 "$4"
    pb_str_into event 6 "$5"
    pb_str_into event 7 "$6"
    printf '08%02x%02x%02x%s' "$1" $((2 << 3 | 2)) $((${#event} / 2)) "$event"
}

# hex_into VAR TEXT: TEXT's bytes in lower-case hex, into VAR. No subshell and no od: a test
# that builds hundreds of frames spent most of its time forking (15 processes a frame).
hex_into() {
    local -n hex_into_out=$1
    local LC_ALL=C hex_into_s=$2 hex_into_i
    hex_into_out=
    for ((hex_into_i = 0; hex_into_i < ${#hex_into_s}; hex_into_i++)); do
        printf -v hex_into_out '%s%02x' "$hex_into_out" "'${hex_into_s:hex_into_i:1}"
    done
}
hex_of() {
    local hex
    hex_into hex "$1"
    printf '%s' "$hex"
}
# pb_str_into VAR FIELD TEXT: pb_str's field appended to VAR.
pb_str_into() {
    local -n pb_str_into_out=$1
    local pb_str_into_hex
    hex_into pb_str_into_hex "$3"
    printf -v pb_str_into_out '%s%02x%02x%s' "$pb_str_into_out" $(($2 << 3 | 2)) \
        $((${#pb_str_into_hex} / 2)) "$pb_str_into_hex"
}
