#!/usr/bin/env bash
# A damaged database file is never served: permitd checks the file at start (sqlite's
# quick_check) and refuses to start with one line that says what is wrong and what to do,
# exit 65 (EX_DATAERR), without ever saying ready; --rebuild refuses it the same way. A sound
# file still starts. A file exactly as a clean stop left it is not read again; one written
# since (a broker killed, a byte changed with its modification time put back) is.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sqlite_only "PostgreSQL checks its own pages"

P=TL-2026-001

step "a database with a history, stopped cleanly"
start_broker
import_samples
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted
send --dept EEB --project "$P" --procedure EIA --event accepted --note "材料齐全"
stop_broker
grep -q "checked in" "$BROKER_LOG" && fail "a new database was checked: $(cat "$BROKER_LOG")"

step "after a clean stop the untouched file is not read again"
start_broker
grep -q "as its last clean stop left it: not read again" "$BROKER_LOG" ||
    fail "the start after a clean stop read the file again: $(grep store: "$BROKER_LOG")"
send --dept WRB --project "$P" --procedure SOIL_WATER --event accepted

step "after a kill it is"
kill9_broker
start_broker
grep -q "checked in [0-9]* ms" "$BROKER_LOG" ||
    fail "the start after a kill did not check the file: $(grep store: "$BROKER_LOG")"
stop_broker
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
[[ "$(sqlite3 "$DB" "PRAGMA quick_check")" == ok ]] || fail "the database is damaged already"

step "two pages in the middle of the file overwritten, its modification time put back"
pages=$(($(stat -c %s "$DB") / 4096))
((pages >= 8)) || fail "the database has only $pages pages"
mtime=$(stat -c %y "$DB")
head -c 8192 /dev/zero | tr '\0' '\377' |
    dd of="$DB" bs=4096 seek=$((pages / 2)) count=2 conv=notrunc status=none
touch -d "$mtime" "$DB"
[[ "$(stat -c %y "$DB")" == "$mtime" ]] || fail "touch did not put the time back"
[[ "$(sqlite3 "$DB" "PRAGMA quick_check" 2>&1)" != ok ]] || fail "the damage went unnoticed by sqlite"

step "permitd refuses to start on it: exit 65, one line, never ready"
run timeout 20 "$PERMITD" --db "$DB" --ingest "$INGEST" --publish "$PUBLISH" --query "$QUERY" \
    --curve no
((RC == 65)) || fail "permitd on a damaged file exited $RC (expected 65): $ERR"
[[ "$ERR" != *"ready:"* ]] || fail "permitd said ready on a damaged file: $ERR"
n=$(grep -c "the database file is damaged" <<<"$ERR" || true)
((n == 1)) || fail "expected one line saying the file is damaged, saw $n: $ERR"
[[ "$ERR" == *"$DB"* && "$ERR" == *backup* && "$ERR" == *"--rebuild"* ]] ||
    fail "the line does not name the file and what to do: $ERR"

step "permitd --rebuild refuses it too"
run timeout 20 "$PERMITD" --db "$DB" --rebuild
((RC == 65)) || fail "permitd --rebuild on a damaged file exited $RC (expected 65): $ERR"

step "the salvage the line advises starts"
sqlite3 "$DB" .recover 2>/dev/null | sqlite3 "$T/new.db" >/dev/null 2>&1 || true
run timeout 60 "$PERMITD" --db "$T/new.db" --rebuild
((RC == 0)) || fail "permitd --rebuild on the salvaged file exited $RC: $ERR"
DB=$T/new.db
start_broker
stop_broker
