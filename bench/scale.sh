#!/usr/bin/env bash
# Cost per event against the number of projects in progress (issue 24), on demand: permit-bench
# at PROJECTS (default "100000 1000000") projects, each run preceded by a reference run at
# 1,000 on a broker of its own (--versus), so every ratio it prints is of one invocation. Then
# 4x1 at 1,000 for the events/s to fdatasync/s ratio. One JSON line per run to OUT (default
# scale.jsonl), the tables to the terminal. Run it on a quiet machine: each run measures the
# disk's limits too, and on a machine shared with builds they move from run to run.
#
#   bash bench/scale.sh [BUILD_DIR]              (default build-rel: a Release build)
#   PROJECTS=100000 DURATION=15 bash bench/scale.sh /tmp/bench-rel
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${1:-build-rel}
PROJECTS=${PROJECTS:-"100000 1000000"}
DURATION=${DURATION:-10}
OUT=${OUT:-scale.jsonl}
[[ -x "$BIN/permit-bench" ]] || {
    echo "scale.sh: no $BIN/permit-bench (cmake -S . -B $BIN -DCMAKE_BUILD_TYPE=Release" \
        "-DPERMIT_TESTS=OFF && cmake --build $BIN)" >&2
    exit 2
}

run() {
    local out
    echo "== permit-bench $*"
    out=$("$BIN/permit-bench" --permitd-opt=--curve=no --duration "$DURATION" "$@")
    printf '%s\n' "$out"
    printf '%s\n' "$out" | tail -n 1 >>"$OUT"
}

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $PROJECTS; do
    run --projects "$n" --versus 1000
done
run --projects 1000 --window 1
echo "JSON lines appended to $OUT"
