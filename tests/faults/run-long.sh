#!/usr/bin/env bash
# The fault suite's long profile: every scenario of tests/faults with FAULT_PROFILE=long, on a
# release build with the test hooks (build-faults/), one after the other. About an hour on two
# cores; each scenario prints its summary line, collected at the end in
# build-faults/faults-long.txt.
#
#   bash tests/faults/run-long.sh [SCENARIO...]   (default: all; e.g. nemesis powerloss)
#   FAULT_SEED=N replays a run; KEEP_TMP=1 keeps each scenario's folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BUILD=${FAULT_BUILD:-build-faults}
bash scripts/deps.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPERMIT_TEST_HOOKS=ON >/dev/null
cmake --build "$BUILD" -j"${JOBS:-2}"

scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
    scenarios=(checker nemesis crashpoints powerloss diskfull links)
fi
summary=$BUILD/faults-long.txt
: >"$summary"
rc=0
for s in "${scenarios[@]}"; do
    script=tests/faults/test_$s.sh
    [[ -f "$script" ]] || {
        echo "run-long: no scenario $s ($script)" >&2
        exit 2
    }
    echo "run-long: $s ($(date -u +%H:%M:%S) UTC)"
    start=$SECONDS
    if FAULT_PROFILE=long PERMIT_BIN=$PWD/$BUILD PERMIT_SRC=$PWD bash "$script" \
        2>&1 | tee "$BUILD/faults-long.$s.log"; then
        status=PASS
    else
        status=FAIL
        rc=1
    fi
    {
        echo "== $s: $status in $((SECONDS - start)) s"
        grep -E "^(nemesis|crashpoints|powerloss|diskfull|links|test_[a-z]+): .*(lost|acked|kills|events)" \
            "$BUILD/faults-long.$s.log" | grep -v "VIOLATION" || true
    } >>"$summary"
done
echo
cat "$summary"
exit "$rc"
