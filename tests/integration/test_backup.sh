#!/usr/bin/env bash
# Backups and restores (docs/operate.md, "Backups, restores and upgrades"): `permitctl backup`
# copies a live broker's database while permit-bench keeps it busy, without stopping ingest;
# `permitctl verify` finds the copy sound; a second broker started on the copy in another
# folder has every entry the live one had up to the copy's head, the same entries with the
# same seqs. A backup never replaces a file without --force, and verify finds a log with a
# hole, a table that is not what the log gives, and a damaged file (exit 65, a line each).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sqlite_only "backup and verify copy a sqlite file (PostgreSQL: pg_basebackup, pgBackRest)"

BACKUP=$T/backups/permit.db
mkdir "$T/backups"

start_broker
import_samples

step "a backup under load: permit-bench drives the broker meanwhile"
spawn bench "$PERMIT_BIN/permit-bench" --ingest "$INGEST" --publish "$PUBLISH" --query "$QUERY" \
    --duration 6 --agents 2 --window 8 --projects 50 --no-rebuild --limits-secs 0 --json-only
BENCH=$SPAWNED
base=$(db_head)
grown() { (($(db_head) >= $1)); }
wait_for 20 "the load to log 300 entries" grown $((base + 300))
run "$PERMITCTL" backup --db "$DB" "$BACKUP"
((RC == 0)) || fail "backup under load exited $RC: $ERR"
[[ "$OUT" =~ ^"$BACKUP: head "([0-9]+)$ ]] || fail "backup printed '$OUT'"
H=${BASH_REMATCH[1]}
((H > base)) || fail "the backup's head $H has none of the load (started at $base)"
[[ "$(stat -c %a "$BACKUP")" == 600 ]] || fail "the backup's mode is $(stat -c %a "$BACKUP")"
[[ ! -e "$BACKUP.tmp" ]] || fail "the backup left $BACKUP.tmp behind"
[[ "$(sqlite3 "$BACKUP" "SELECT MAX(seq) FROM log")" == "$H" ]] ||
    fail "the copy's log ends at $(sqlite3 "$BACKUP" "SELECT MAX(seq) FROM log"), not $H"
# Ingest went on: the broker acked more after the copy (it is one read transaction).
wait_for 20 "the load to go on after the backup" grown $((H + 1))
wait "$BENCH" || fail "permit-bench failed: $(tail -n 5 "$T/bench.err")"
jq -e '.errors == 0 and .refusals == 0 and .events > 0' "$T/bench.out" >/dev/null ||
    fail "permit-bench under the backup: $(cat "$T/bench.out")"

step "verify finds the copy sound"
run "$PERMITCTL" verify "$BACKUP"
((RC == 0)) || fail "verify of the backup exited $RC: $ERR"
[[ "$OUT" == "$BACKUP: ok: "*"log 1-$H without a gap"* && -z "$ERR" ]] ||
    fail "verify said: $OUT / $ERR"

log_json >"$T/live.json"
stop_broker

step "restore: a second broker on the copy, in another folder, has every entry up to $H"
mkdir "$T/restored"
cp "$BACKUP" "$T/restored/permit.db"
chmod 600 "$T/restored/permit.db"
LIVE_DB=$DB
DB=$T/restored/permit.db
start_broker
grep -q "head $H\$" "$BROKER_LOG" || fail "the restored broker's head: $(grep " ready: " "$BROKER_LOG")"
log_json >"$T/restored.json"
jq -c "select(.seq <= $H)" "$T/live.json" >"$T/live-upto.json"
[[ "$(wc -l <"$T/live-upto.json")" == "$H" ]] || fail "the live log does not have $H entries"
diff -u "$T/live-upto.json" "$T/restored.json" >"$T/diff" ||
    fail "the restored log differs from the live one up to $H: $(head -n 20 "$T/diff")"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
((SEQ == H + 1)) || fail "the restored broker appended at $SEQ, not $((H + 1))"
stop_broker
DB=$LIVE_DB

step "a backup never replaces a file without --force"
cp "$BACKUP" "$T/kept.db"
run "$PERMITCTL" backup --db "$DB" "$BACKUP"
if ((RC != 1)) || [[ "$ERR" != "permitctl: backup: $BACKUP exists: give --force to replace it" ]]; then
    fail "a backup onto an existing file: exit $RC: $ERR"
fi
cmp -s "$BACKUP" "$T/kept.db" || fail "the refused backup changed $BACKUP"
run "$PERMITCTL" backup --db "$DB" --force "$BACKUP"
((RC == 0)) || fail "backup --force exited $RC: $ERR"
! cmp -s "$BACKUP" "$T/kept.db" || fail "backup --force left the old copy"

# verify DB must exit 65 with a line naming WHAT on stderr.
damaged() {
    local db=$1 what=$2
    run "$PERMITCTL" verify "$db"
    ((RC == 65)) || fail "verify of $db exited $RC (expected 65): $OUT / $ERR"
    [[ -z "$OUT" && "$ERR" == *"permitctl: verify: $db: $what"* ]] ||
        fail "verify of $db did not say '$what': $ERR"
}

step "verify finds a log with a hole"
cp "$BACKUP" "$T/hole.db"
sqlite3 "$T/hole.db" "DELETE FROM log WHERE seq = 40"
damaged "$T/hole.db" "log: a gap after seq 39"

step "verify finds state tables the log does not give"
cp "$BACKUP" "$T/edited.db"
sqlite3 "$T/edited.db" "UPDATE procedures SET state = 'approved' WHERE state != 'approved'"
damaged "$T/edited.db" "procedures: differs from a rebuild of the log"

step "verify finds a damaged file"
cp "$BACKUP" "$T/flipped.db"
root=$(sqlite3 "$T/flipped.db" "SELECT rootpage FROM sqlite_master WHERE name = 'log'")
size=$(sqlite3 "$T/flipped.db" "PRAGMA page_size")
# Ones over the whole of the log's root page (never page 1, sqlite_master's): its header and
# every cell that leads to an entry are gone, however many entries the load wrote.
((root > 1)) || fail "the log's root page is $root"
head -c "$size" /dev/zero | tr '\0' '\377' |
    dd of="$T/flipped.db" bs="$size" seek=$((root - 1)) count=1 conv=notrunc status=none
damaged "$T/flipped.db" "integrity: "
