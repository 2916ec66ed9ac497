#!/usr/bin/env bash
# The `make run` demo, from a folder holding an earlier run's leftovers, on a machine whose zone
# is UTC, with its output not on a terminal: it exits 0 and shows what the product does. Its
# test clock turns procedures yellow and red and breaches a commitment; the notifier delivers
# to the demo's webhook receiver and the demo prints each delivery; overdue and blocked have
# content (checked again with --json on a broker started on the demo's database and config,
# as its closing lines suggest); the bulletin is in run/ as HTML and xlsx; nothing is left
# running. Then a run interrupted as Ctrl-C would: it stops everything it started.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sqlite_only "the demo runs the default backend, a sqlite file in run/"
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3

# The processes whose folder is DIR or below it, one "name (pid N)" a line.
left_in() {
    local p cwd
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null || true)
        [[ "$cwd" == "$1"* ]] && echo "$(cat "$p/comm" 2>/dev/null) (pid ${p#/proc/})"
    done
    return 0
}
# no_process_in DIR: none is left there; the tail's pipe (sed, tee) may take a moment to see
# the end of its input after the tail stopped.
no_process_in() {
    local i
    for ((i = 0; i < 40; i++)); do
        [[ -z "$(left_in "$1")" ]] && return 0
        sleep 0.05
    done
    fail "left running in $1: $(left_in "$1" | tr '\n' ' ')"
}

step "deploy/demo.sh in $T, TZ=UTC, over an earlier run's files"
mkdir -p "$T/run"
echo '{"title": "STALE"}' >"$T/run/received.jsonl"
echo stale >"$T/run/bulletin.html"
rc=0
(cd "$T" && TZ=UTC DEMO_PAUSE=0 timeout 150 bash "$PERMIT_SRC/deploy/demo.sh" "$PERMIT_BIN") \
    >"$T/demo.out" 2>"$T/demo.err" </dev/null || rc=$?
BROKER_LOG=$T/run/permitd.log
((rc == 0)) || fail "demo.sh exited $rc: $(tail -n 20 "$T/demo.err") $(tail -n 20 "$T/demo.out")"

step "project TL-2026-001's story: unblocked entries, a refusal, both milestones"
grep -q unblocked "$T/demo.out" || fail "the demo shows no unblocked entry"
for proc in PROJECT_APPROVAL FOREST_USE LAND_PLAN_PERMIT CONSTRUCTION_PERMIT; do
    grep unblocked "$T/demo.out" | grep -q "$proc" || fail "the demo does not show $proc unblocked"
done
grep -q READY_TO_START "$T/demo.out" || fail "the demo does not show the milestone READY_TO_START"
grep -q CERTS_TOGETHER "$T/demo.out" || fail "the demo does not show the milestone CERTS_TOGETHER"
grep -q "refused (prerequisites)" "$T/demo.out" || fail "the demo does not show the refused event"
# The broker's zone, not the machine's UTC: the first acceptance shows at 09:00 Beijing time.
first=$(awk '/│/ && /TL-2026-001/ && /LAND_PREREVIEW/ { print; exit }' "$T/demo.out")
[[ "$first" =~ 2026-03-02\ 09:00(:00)?\+08:00 ]] ||
    fail "the tail does not show the first acceptance at 2 March 09:00+08:00: $first"
if grep -q $'\e\[' "$T/demo.out"; then
    fail "the demo wrote colour codes although its output is not a terminal"
fi

step "the clock turned procedures yellow and red and breached TL-2026-002's commitment"
q() { sqlite3 "$T/run/permit.db" "$1"; }
[[ "$(q "SELECT project || ' ' || procedure FROM log WHERE kind = 'commitment_breached'")" == \
    "TL-2026-002 EIA" ]] || fail "breaches: $(q "SELECT * FROM log WHERE kind LIKE 'commitment%'")"
(($(q "SELECT COUNT(*) FROM log WHERE kind = 'colour'") >= 10)) || fail "few colour entries"

step "the receiver got red items, the breach and a yellow digest; the demo printed each"
R=$T/run/received.jsonl
cnt() { jq -s "map(select($1)) | length" "$R"; }
(($(cnt '.title == "STALE"') == 0)) || fail "the earlier run's receiver file was kept"
(($(cnt '.route == "colour.red" and .vars.project == "TL-2026-002"') >= 2)) ||
    fail "no red item of TL-2026-002 to steward and leader: $(cat "$R")"
(($(cnt '.route == "commitment_breached" and (.recipient == "王丽娜" or .recipient == "赵志刚")') == 2)) ||
    fail "the breach did not reach TL-2026-002's steward and leader: $(cat "$R")"
(($(cnt '.route == "digest" and (.text | contains("黄色预警"))') >= 1)) ||
    fail "no yellow digest: $(cat "$R")"
(($(cnt '.route == "milestone"') == 2)) || fail "milestones delivered: $(cat "$R")"
while IFS=$'\t' read -r who title; do
    grep -qF "✉ $who  $title" "$T/demo.out" || fail "the demo did not print '$who $title'"
done < <(jq -r '[.recipient, .title] | @tsv' "$R")

step "overdue and blocked had content, and have it again on a broker started as the demo says"
overdue=$(sed -n '/: permitctl overdue$/,/: permitctl blocked/p' "$T/demo.out")
[[ "$overdue" == *ED-2026-001* && "$overdue" == *BT-2026-002* ]] ||
    fail "the demo's overdue list: $overdue"
blocked=$(sed -n '/: permitctl blocked/,/permitctl status/p' "$T/demo.out")
[[ "$blocked" == *TL-2026-002*CONSTRUCTION_PERMIT* ]] || fail "the demo's blocked list: $blocked"
spawn again "$PERMITD" --config "$T/run/permitd.conf"
AGAIN=$SPAWNED
BROKER_LOG=$T/again.err
again_ready() { pid_alive "$AGAIN" && grep -qs "ready:" "$T/again.err"; }
wait_for 20 "permitd on the demo's config" again_ready
export PERMIT_QUERY=ipc://$T/run/query.sock PERMIT_BROKER=ipc://$T/run/ingest.sock
ctl overdue --json
jq -e 'any(.[]; .colour == "red" and .project == "TL-2026-002" and .code == "EIA")
    and any(.[]; .colour == "yellow" and .project == "BT-2026-002")' <<<"$OUT" >/dev/null ||
    fail "overdue --json: $OUT"
ctl blocked --json
(($(jq length <<<"$OUT") > 0)) || fail "blocked --json: $OUT"
# Its test clock starts at the demo's last day: the day before is the past.
run "$PERMITCTL" clock set 2026-03-16T09:00:00+08:00
((RC == 65)) || fail "the restarted broker's clock went back to 16 March: $RC $OUT $ERR"
stop_child "$AGAIN" again
BROKER_LOG=$T/run/permitd.log

step "the bulletin: run/bulletin.html and run/bulletin.xlsx, with the overdue projects"
html=$T/run/bulletin.html xlsx=$T/run/bulletin.xlsx
(($(wc -c <"$html") > 10000)) || fail "bulletin.html: $(wc -c <"$html") bytes"
grep -q -e TL-2026-002 -e 霍林郭勒市铝后加工产业园二期 "$html" || fail "bulletin.html lacks TL-2026-002"
(($(wc -c <"$xlsx") > 5000)) || fail "bulletin.xlsx: $(wc -c <"$xlsx") bytes"
"$PY" - "$xlsx" <<'PY' || fail "bulletin.xlsx is not a workbook naming TL-2026-002"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None and "xl/workbook.xml" in z.namelist()
text = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml"))
assert "TL-2026-002" in text or "霍林郭勒市铝后加工产业园二期" in text
PY
tail -n 6 "$T/demo.out" | grep -q "run/bulletin.html" ||
    fail "the closing lines do not point at the bulletin: $(tail -n 6 "$T/demo.out")"

step "the wall board was served, at the log's head, and the closing line says where"
grep -q " ready: http://127.0.0.1:" "$T/run/permit-web.log" || fail "permit-web did not start"
tail -n 2 "$T/demo.out" | grep -q "The wall board was served at http://127.0.0.1:[0-9]*/" ||
    fail "the closing lines do not name the wall board: $(tail -n 2 "$T/demo.out")"

step "no process of the demo is left"
no_process_in "$T"

step "interrupted as Ctrl-C would (SIGINT), a demo stops everything it started"
mkdir "$T/int"
# A background job gets SIGINT ignored; env gives the demo the default back, as a terminal has.
(cd "$T/int" && DEMO_PAUSE=0.1 exec env --default-signal=INT bash "$PERMIT_SRC/deploy/demo.sh" \
    "$PERMIT_BIN") >"$T/int.out" 2>"$T/int.err" </dev/null &
INT_PID=$!
CHILDREN+=("$INT_PID")
started() { grep -qs "permitctl clock set" "$T/int.out"; }
wait_for 60 "the interrupted demo to start its first day" started
[[ -s "$T/int/run/notify.log" ]] || fail "the notifier was not running yet"
kill -INT "$INT_PID"
rc=0
wait "$INT_PID" || rc=$?
((rc == 130)) || fail "the interrupted demo exited $rc: $(cat "$T/int.err")"
grep -q "interrupted" "$T/int.err" || fail "the interrupted demo said: $(cat "$T/int.err")"
no_process_in "$T/int"

step "in a terminal (DEMO_SERVE=1) the demo ends serving the wall board until Ctrl-C"
mkdir "$T/serve"
(cd "$T/serve" && DEMO_PAUSE=0 DEMO_SERVE=1 exec env --default-signal=INT bash \
    "$PERMIT_SRC/deploy/demo.sh" "$PERMIT_BIN") >"$T/serve.out" 2>"$T/serve.err" </dev/null &
SERVE_PID=$!
CHILDREN+=("$SERVE_PID")
serving() { grep -qs "Ctrl-C stops the console and the broker" "$T/serve.out"; }
wait_for 120 "the demo to serve the wall board" serving
url=$(sed -n 's/.*The wall board: \(http[^ ]*\) .*/\1/p' "$T/serve.out")
[[ $url == http://127.0.0.1:* ]] || fail "no wall board URL in: $(tail -n 3 "$T/serve.out")"
curl -sf "${url}api/board" | jq -e '.colours.red.procedures > 0 and .colours.red.projects > 0' >/dev/null ||
    fail "the wall board at $url shows no red procedure or no red project"
curl -sf "${url}p/TL-2026-002" >/dev/null || fail "no project page at ${url}p/TL-2026-002"
kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
((rc == 0)) || fail "Ctrl-C at the wall board: exit $rc: $(cat "$T/serve.err")"
no_process_in "$T/serve"
