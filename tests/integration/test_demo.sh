#!/usr/bin/env bash
# The `make run` demo works from a fresh folder with its output not on a terminal: it exits 0,
# shows the unblocked entries and both milestones, and leaves no process behind.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sqlite_only "the demo runs the default backend, a sqlite file in run/"

step "deploy/demo.sh in $T"
rc=0
(cd "$T" && DEMO_PAUSE=0.05 timeout 120 bash "$PERMIT_SRC/deploy/demo.sh" "$PERMIT_BIN") \
    >"$T/demo.out" 2>"$T/demo.err" </dev/null || rc=$?
BROKER_LOG=$T/run/permitd.log
((rc == 0)) || fail "demo.sh exited $rc: $(tail -n 20 "$T/demo.err") $(tail -n 20 "$T/demo.out")"

step "its output tells the story"
grep -q unblocked "$T/demo.out" || fail "the demo shows no unblocked entry"
for proc in PROJECT_APPROVAL FOREST_USE LAND_PLAN_PERMIT CONSTRUCTION_PERMIT; do
    grep unblocked "$T/demo.out" | grep -q "$proc" || fail "the demo does not show $proc unblocked"
done
grep -q READY_TO_START "$T/demo.out" || fail "the demo does not show the milestone READY_TO_START"
grep -q CERTS_TOGETHER "$T/demo.out" || fail "the demo does not show the milestone CERTS_TOGETHER"
grep -q "refused (prerequisites)" "$T/demo.out" || fail "the demo does not show the refused event"
if grep -q $'\e\[' "$T/demo.out"; then
    fail "the demo wrote colour codes although its output is not a terminal"
fi

step "it left its data, and no process, behind"
[[ -s "$T/run/permit.db" ]] || fail "no run/permit.db"
n=$(sqlite3 "$T/run/permit.db" "SELECT COUNT(*) FROM log")
((n >= 30)) || fail "run/permit.db's log holds only $n entries"
if [[ -d /proc ]]; then
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null || true)
        if [[ "$cwd" == "$T"* ]]; then
            fail "process $(cat "$p/comm" 2>/dev/null) (pid ${p#/proc/}) still runs in $T"
        fi
    done
fi

step "a second run starts afresh"
rc=0
(cd "$T" && DEMO_PAUSE=0 timeout 120 bash "$PERMIT_SRC/deploy/demo.sh" "$PERMIT_BIN") \
    >"$T/demo2.out" 2>"$T/demo2.err" </dev/null || rc=$?
((rc == 0)) || fail "the second demo run exited $rc: $(tail -n 20 "$T/demo2.err")"
