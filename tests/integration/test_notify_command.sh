#!/usr/bin/env bash
# The command channel's timeout covers writing its stdin: a command that never reads stdin,
# given a payload of about 200 KiB (far past a pipe's 64 KiB), is killed at the deadline with
# everything it started (its process group), and the notifier keeps going.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http hook
# A template that makes a large notification: its title and body repeat the project's name
# (the payload is the JSON of both, with every '"' escaped).
mkdir "$T/tmpl"
cp "$PERMIT_SRC"/deploy/templates/*.tmpl "$T/tmpl/"
"$PY" - "$T/tmpl/unblocked.tmpl" <<'PY'
import sys
unit = '{project_name}""'
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(unit * 1300 + "\n\n" + unit * 2700 + "\n")
PY
cat >"$T/routes.conf" <<CONF
[route dept=DRC]
unblocked = taskforce
[contact taskforce]
command = echo \$\$ >"$T/cmd.pid"; sleep 60; true
webhook = http://127.0.0.1:$PORT/hook/taskforce
CONF
notify_conf templates="$T/tmpl" send_timeout_ms=1500 max_attempts=1
start_notify

step "a command that never reads its stdin is killed at the deadline"
t0=$(date +%s%N)
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
wait_for 4 "the command to time out" grep -q "command timed out" "$NOTIFY_LOG"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "killed ${ms} ms after sending"
pgid=$(<"$T/cmd.pid")
# Killed ones can stay zombies for a moment under whoever reaps orphans.
group_gone() { ! pgrep -g "$pgid" -r R,S,D,T >/dev/null; }
wait_for 2 "the command's process group $pgid to be killed" group_gone
size=$("$PY" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT length(CAST(payload AS BLOB)) FROM delivery WHERE chan = ?",
                 ("command",)).fetchone()[0])' "$NOTIFY_DB")
echo "payload ${size} bytes"
((size > 190000)) || fail "the payload is only $size bytes"

step "the notifier keeps going: the webhook gets this notice and the next one"
wait_count 5 1 "$T/hook.jsonl" 'true'
send --dept NRB --project TL-2026-002 --procedure LAND_PREREVIEW --event accepted
wait_count 5 2 "$T/hook.jsonl" 'true'
wait_for 5 "two dead letters (the command's)" grep -c "command timed out" "$NOTIFY_LOG"
stop_notify
