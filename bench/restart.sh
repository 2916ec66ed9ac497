#!/usr/bin/env bash
# What a crash costs a restart (issue 8), on demand: permit-bench drives a broker of our own
# until its log holds ENTRIES entries, the broker is killed with SIGKILL in mid-load (it holds
# rows then: see docs/install.md, "Storage engines"), and started again on the same database. Prints the
# time to "ready:", what the start replayed (its own log line) and, for comparison, how long
# `permitd --rebuild` of the same log takes: what every restart after a crash cost before the
# replay started at the mark. A start after a clean stop, with nothing to replay, shows what the
# length of the log alone costs (the file's check at start).
#
#   bash bench/restart.sh [BUILD_DIR]          (default build-rel: a Release build)
#   PROJECTS=50000 ENTRIES=1000000 KEEP=1 bash bench/restart.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${1:-build-rel}
PROJECTS=${PROJECTS:-50000}
ENTRIES=${ENTRIES:-1000000}
for b in permitd permitctl permit-bench; do
    [[ -x "$BIN/$b" ]] || {
        echo "restart.sh: no $BIN/$b (build it: cmake --build $BIN)" >&2
        exit 2
    }
done
command -v sqlite3 >/dev/null || {
    echo "restart.sh: needs the sqlite3 shell (apt-get install sqlite3)" >&2
    exit 2
}

T=$(mktemp -d /tmp/permit-restart.XXXXXX)
DB=$T/permit.db
EP=(--ingest "ipc://$T/ingest.sock" --publish "ipc://$T/publish.sock" --query "ipc://$T/query.sock")
broker=
bench=
cleanup() {
    [[ -n "$bench" ]] && kill "$bench" 2>/dev/null
    [[ -n "$broker" ]] && kill -KILL "$broker" 2>/dev/null
    wait 2>/dev/null || true
    if [[ "${KEEP:-0}" == 1 ]]; then echo "restart.sh: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

ms() { date +%s%3N; }

# start N: permitd on the database, its log in permitd.N.log; sets broker and ready_ms.
start() {
    local t0 i
    t0=$(ms)
    "$BIN/permitd" --db "$DB" "${EP[@]}" --curve no --quota-rate=0 --log-level info >"$T/permitd.$1.log" 2>&1 &
    broker=$!
    for ((i = 0; i < 6000; i++)); do
        grep -qs "ready:" "$T/permitd.$1.log" && {
            ready_ms=$(($(ms) - t0))
            return 0
        }
        kill -0 "$broker" 2>/dev/null || break
        sleep 0.01
    done
    echo "restart.sh: permitd did not get ready: $(tail -n 5 "$T/permitd.$1.log")" >&2
    exit 1
}

head_seq() { sqlite3 "$DB" "SELECT COALESCE(MAX(seq), 0) FROM log" 2>/dev/null || echo 0; }

start 1
for what in departments template; do
    "$BIN/permitctl" --broker "ipc://$T/ingest.sock" --query "ipc://$T/query.sock" \
        import "$what" "deploy/$what.csv" >/dev/null
done
"$BIN/permit-bench" --ingest "ipc://$T/ingest.sock" --publish "ipc://$T/publish.sock" \
    --query "ipc://$T/query.sock" --projects "$PROJECTS" --duration 3600 --json-only \
    --no-rebuild --limits-secs 0 >"$T/bench.out" 2>"$T/bench.err" &
bench=$!
while (($(head_seq) < ENTRIES)); do
    kill -0 "$bench" 2>/dev/null || {
        echo "restart.sh: permit-bench ended early: $(tail -n 5 "$T/bench.err")" >&2
        exit 1
    }
    sleep 1
done
kill -KILL "$broker"
wait "$broker" 2>/dev/null || true
kill "$bench" 2>/dev/null || true
wait "$bench" 2>/dev/null || true
bench=
mark=$(sqlite3 "$DB" "SELECT group_concat(key || '=' || value, ' ') FROM meta
    WHERE key IN ('derived', 'replay_from')")
entries=$(head_seq)

checked() { grep -o "checked in [0-9]* ms" "$T/permitd.$1.log" || echo "not checked"; }

start 2
crash_ms=$ready_ms
replayed=$(grep -o "brought up to the log: .*" "$T/permitd.2.log" || echo "nothing to replay")
kill -TERM "$broker"
wait "$broker" 2>/dev/null || true
broker=

# After a clean stop: nothing to replay, so what a start costs at this length of log.
start 3
clean_ms=$ready_ms
kill -TERM "$broker"
wait "$broker" 2>/dev/null || true
broker=

t0=$(ms)
"$BIN/permitd" --db "$DB" --rebuild --log-level info >"$T/rebuild.log" 2>&1
rebuild_ms=$(($(ms) - t0))

echo "restart.sh: $PROJECTS projects, $entries log entries, killed in mid-load ($mark)"
echo "  restart to ready:      $crash_ms ms ($replayed; file $(checked 2))"
echo "  after a clean stop:    $clean_ms ms (file $(checked 3))"
echo "  permitd --rebuild:     $rebuild_ms ms (the whole log)"
