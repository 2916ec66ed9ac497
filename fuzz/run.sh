#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: build the libFuzzer harnesses with clang
# (-fsanitize=fuzzer,address,undefined) in their own build folder and run each one for SECONDS
# (default 60) on a working copy of its seed corpus (fuzz/corpus/NAME stays as committed).
# Exit 0 when no harness found a crash, leak, sanitizer error or timeout; otherwise 1, with the
# reproducer left in the build folder (crash-*, leak-*, timeout-*) and named on stderr.
#
#   FUZZ_BUILD=DIR   the build folder (default build-fuzz beside fuzz/)
#   FUZZ_JOBS=N      compile jobs, and harnesses fuzzing at once (default 2)
#   FUZZ_ONLY=NAME   run one harness (codec, csvin, spool, conftab)
# Without clang it says so and exits 77 (ctest's "skipped").
set -euo pipefail

SECS=${1:-60}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD:-$SRC/build-fuzz}
JOBS=${FUZZ_JOBS:-2}
HARNESSES=(codec csvin spool conftab)
[[ -n "${FUZZ_ONLY:-}" ]] && HARNESSES=("$FUZZ_ONLY")

if ! [[ "$SECS" =~ ^[0-9]+$ ]] || ((SECS < 1)); then
    echo "usage: fuzz/run.sh [SECONDS]" >&2
    exit 64
fi
CC=${CC:-$(command -v clang || command -v clang-14 || true)}
if [[ -z "$CC" ]] || ! "$CC" --version 2>/dev/null | grep -q clang; then
    echo "fuzz: clang is not installed (scripts/deps.sh installs clang and libclang-rt-14-dev)" >&2
    exit 77
fi

cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Debug -DPERMIT_FUZZ=ON \
    >"$BUILD.cmake.log" 2>&1 || {
    cat "$BUILD.cmake.log" >&2
    exit 1
}
targets=()
for h in "${HARNESSES[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$BUILD" -j"$JOBS" "${targets[@]}" >"$BUILD.build.log" 2>&1 || {
    tail -n 40 "$BUILD.build.log" >&2
    exit 1
}

# Leaks are errors; the allocator may say no instead of aborting on a huge request, which is
# what a budgeted decoder must cope with anyway.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One harness: its corpus copied, SECS of fuzzing, its verdict on stdout/stderr.
fuzz_one() {
    local h=$1 work=$BUILD/corpus-$1
    mkdir -p "$work" "$BUILD/artifacts-$h"
    cp -n "$SRC/fuzz/corpus/$h"/* "$work/" 2>/dev/null || true
    echo "fuzz: $h for ${SECS}s ($(find "$work" -type f | wc -l) inputs in the corpus)"
    if ! "$BUILD/fuzz_$h" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts-$h/" \
        "$work" >"$BUILD/fuzz_$h.log" 2>&1; then
        echo "fuzz: $h FAILED; reproducer in $BUILD/artifacts-$h/, log $BUILD/fuzz_$h.log:" >&2
        grep -E "ERROR|SUMMARY|Test unit written" "$BUILD/fuzz_$h.log" >&2 || tail -n 30 \
            "$BUILD/fuzz_$h.log" >&2
        return 1
    fi
    grep -E "^stat::number_of_executed_units" "$BUILD/fuzz_$h.log" | sed "s/^/fuzz: $h: /"
}

# JOBS harnesses at a time: each fuzzes on one core.
status=0
pids=()
for h in "${HARNESSES[@]}"; do
    if ((${#pids[@]} >= JOBS)); then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
    fuzz_one "$h" &
    pids+=("$!")
done
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
exit "$status"
