#!/usr/bin/env bash
# bench_smoke: permit-bench runs end to end for a few seconds on a tiny load and prints its
# JSON line with sane figures, so the benchmark cannot rot between the times it is run for
# real (issue 8). Not a measurement: the test build has sanitizers on.
set -euo pipefail

PERMIT_BIN=${PERMIT_BIN:?set PERMIT_BIN to the build folder}
command -v jq >/dev/null || { echo "bench_smoke: FAIL: jq is not installed" >&2; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

out=$("$PERMIT_BIN/permit-bench" --duration 3 --agents 2 --window 8 --projects 50 \
    --limits-secs 0.2 --json-only --permitd-opt=--curve=no)
line=$(printf '%s\n' "$out" | tail -n 1)
echo "bench_smoke: $line"
printf '%s\n' "$line" | jq -e '
    .events > 0 and .events_per_s > 0 and .refusals == 0 and .errors == 0
    and .duplicates == 0 and .ack_p50_ms > 0 and .ack_p99_ms >= .ack_p50_ms
    and .unblocked_samples > 0 and .broker_cpu_s_per_100k > 0
    and .broker_peak_rss_mib > 0 and .rebuild_entries >= .head
    and .rebuild_entries_per_s > 0 and .limit_fdatasync_per_s > 0
    and .limit_sqlite_1_per_txn_rows_s > 0 and .limit_sqlite_1000_per_txn_rows_s > 0' \
    >/dev/null || { echo "bench_smoke: FAIL: figures out of range" >&2; exit 1; }
echo "bench_smoke: PASS"
