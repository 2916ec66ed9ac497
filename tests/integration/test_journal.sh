#!/usr/bin/env bash
# Logs in the journal (issue 22): when stderr is systemd's journal stream ($JOURNAL_STREAM is
# its DEV:INODE), every line carries its syslog priority (<3> error, <4> warn, <6> info), so
# `journalctl -p warning -u permitd` works; elsewhere (a file, a terminal) lines are as before,
# even with the variable inherited.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


step "stderr is the journal stream: each line starts with its priority"
: >"$T/j.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/j.log")
JOURNAL_STREAM=$JOURNAL_STREAM "$PERMITD" --db "$DB" --ingest "$INGEST" --publish "$PUBLISH" \
    --query "$QUERY" --curve no 2>>"$T/j.log" &
BROKER_PID=$!
BROKER_LOG=$T/j.log
wait_for 20 "permitd to log ready:" broker_is_ready
stop_broker
grep -q '^<6>.* info: ready: ' "$T/j.log" || fail "no <6> on the ready line: $(head -n 5 "$T/j.log")"
grep -q '^<4>.* warn: ' "$T/j.log" || fail "no <4> on a warning: $(cat "$T/j.log")"
bad=$(grep -v '^<[346]>' "$T/j.log" || true)
[[ -z "$bad" ]] || fail "lines without a priority: $bad"

step "stderr is a file, the variable inherited from elsewhere: no prefix"
: >"$T/f.log"
JOURNAL_STREAM=1:1 "$PERMITD" --db "$DB" --ingest "$INGEST" --publish "$PUBLISH" \
    --query "$QUERY" --curve no 2>>"$T/f.log" &
BROKER_PID=$!
BROKER_LOG=$T/f.log
wait_for 20 "permitd to log ready:" broker_is_ready
stop_broker
! grep -q '^<' "$T/f.log" || fail "a prefix outside the journal: $(head -n 3 "$T/f.log")"
