#!/usr/bin/env bash
# At least once in, exactly once applied: the same event id sent again is answered with the
# original sequence number, is logged once and changes the state once. An id is its sender's:
# another department's event under the same id is its own event, and the same sender's id
# reused for other content is refused "conflict". A log made when ids were unique across
# senders (the old layout) opens, keeps its meaning and rebuilds to the same state.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

start_broker
import_samples

step "first send of dedup-1"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
first=$SEQ
head1=$(db_head)

step "the same id again, twice"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "a repeated id got seq $SEQ, the original was $first"
[[ -n "$ERR" ]] || fail "a repeated id printed no note on stderr"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "a third send got seq $SEQ, the original was $first"
[[ "$(db_head)" == "$head1" ]] || fail "the repeats appended to the log (head $head1 -> $(db_head))"

step "the same id from the same sender with another body is a conflict naming the seq"
refused conflict --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved \
    --id dedup-1 --cert "NRB-2026-0001"
[[ "$ERR" == *"seq $first"* ]] || fail "the conflict does not name seq $first: $ERR"
refused conflict --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted \
    --id dedup-1 --note "another note"
[[ "$(db_head)" == "$head1" ]] || fail "the conflicts appended to the log"

step "the log holds dedup-1 exactly once, and one unblocked entry"
log_json >"$T/log.json"
n=$(jq -s '[.[] | select(.event_id == "dedup-1")] | length' "$T/log.json")
((n == 1)) || fail "dedup-1 appears $n times in the log"
[[ "$(jq -s -r '.[] | select(.event_id == "dedup-1") | .seq' "$T/log.json")" == "$first" ]] ||
    fail "dedup-1 is logged under another seq than $first"
n=$(jq -s '[.[] | select(.kind == "unblocked" and .procedure == "PROJECT_APPROVAL")] | length' \
    "$T/log.json")
((n == 1)) || fail "PROJECT_APPROVAL was unblocked $n times"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'dedup-1'")
((n == 1)) || fail "the log table holds dedup-1 $n times"

step "another department's event under an id NRB used is applied (EEB's id, NRB's event)"
send --dept EEB --project "$P" --procedure EIA --event accepted --id nrb-2026-0312-1
eeb=$SEQ
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event supplement_requested \
    --id nrb-2026-0312-1 --note "请补充红线图"
nrb=$SEQ
((nrb > eeb)) || fail "NRB's event under EEB's id got seq $nrb, not a new one after $eeb"
[[ -z "$ERR" ]] || fail "NRB's own event was answered with a note: $ERR"

step "two departments numbering alike (2026-0001) both get their events applied"
send --dept DRC --project "$P" --procedure PROJECT_APPROVAL --event accepted --id 2026-0001
drc=$SEQ
send --dept EEB --project "$P" --procedure EIA --event supplement_requested --id 2026-0001 \
    --note "补充监测数据"
((SEQ > drc)) || fail "EEB's 2026-0001 got seq $SEQ, not a new one after DRC's $drc"
send --dept DRC --project "$P" --procedure PROJECT_APPROVAL --event accepted --id 2026-0001
[[ "$SEQ" == "$drc" ]] || fail "DRC's resend of 2026-0001 got seq $SEQ, not $drc"
ctl status "$P" --json
for pc in LAND_PREREVIEW:supplement_requested EIA:supplement_requested PROJECT_APPROVAL:accepted; do
    state=$(jq -r --arg c "${pc%:*}" '.procs[] | select(.code == $c) | .state' <<<"$OUT")
    [[ "$state" == "${pc#*:}" ]] || fail "${pc%:*} is '$state', expected ${pc#*:}"
done
head1=$(db_head)

step "the dedup survives a restart, onto a log of the old layout (ids unique across senders)"
stop_broker
db_dump_derived >"$T/derived.before"
if on_sqlite; then
    # The DDL of the log as brokers before per-sender ids created it.
    dbq "BEGIN; CREATE TABLE log_old(seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE,
        kind TEXT NOT NULL, actor TEXT NOT NULL, dept TEXT, project TEXT, procedure TEXT,
        recv_ms INTEGER NOT NULL, event_ms INTEGER, cause INTEGER, body BLOB NOT NULL);
        INSERT INTO log_old SELECT * FROM log; DROP TABLE log;
        ALTER TABLE log_old RENAME TO log; COMMIT;" 2>/dev/null &&
        fail "a log with one id from two senders fitted the old layout"
    # The old layout held unique ids only: drop the per-sender ones sent above first.
    dbq "BEGIN; CREATE TABLE log_old(seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE,
        kind TEXT NOT NULL, actor TEXT NOT NULL, dept TEXT, project TEXT, procedure TEXT,
        recv_ms INTEGER NOT NULL, event_ms INTEGER, cause INTEGER, body BLOB NOT NULL);
        UPDATE log SET event_id = NULL WHERE event_id IN ('nrb-2026-0312-1', '2026-0001');
        INSERT INTO log_old SELECT * FROM log; DROP TABLE log;
        ALTER TABLE log_old RENAME TO log; COMMIT;"
    [[ -n "$(dbq "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_log%'")" ]] ||
        fail "the old layout was not made"
else
    dbq "UPDATE log SET event_id = NULL WHERE event_id IN ('nrb-2026-0312-1', '2026-0001');
        DROP INDEX log_sender_event;
        ALTER TABLE log ADD CONSTRAINT log_event_id_key UNIQUE (event_id)"
fi
ids() { dbq "SELECT seq, COALESCE(event_id, '-'), actor FROM log ORDER BY seq"; }
ids >"$T/ids.before"
start_broker
ids >"$T/ids.after"
cmp -s "$T/ids.before" "$T/ids.after" || fail "the migration changed the log's ids"
db_dump_derived >"$T/derived.after"
cmp -s "$T/derived.before" "$T/derived.after" ||
    fail "the derived tables changed over the migration: $(diff "$T/derived.before" "$T/derived.after")"

step "the state changed once: still accepted with a supplement, not approved"
ctl status "$P" --json
state=$(jq -r '.procs[] | select(.code == "LAND_PREREVIEW") | .state' <<<"$OUT")
[[ "$state" == supplement_requested ]] || fail "LAND_PREREVIEW is '$state' after the repeats"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "after a restart the repeated id got seq $SEQ, not $first"
[[ "$(db_head)" == "$head1" ]] || fail "after a restart the repeat appended to the log"

refused conflict --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved \
    --id dedup-1 --cert "NRB-2026-0001"

step "after the migration, a second sender may use an id again"
send --dept EEB --project "$P" --procedure EIA --event supplement_received --id dedup-1
((SEQ > head1)) || fail "EEB's dedup-1 got seq $SEQ, not after $head1"

step "a new id is a new event"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event supplement_received --id dedup-2
((SEQ > head1)) || fail "dedup-2 got seq $SEQ, not after $head1"
stop_broker

step "a rebuild of the migrated log gives the same state"
db_dump_derived >"$T/derived.served"
"$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 ||
    fail "permitd --rebuild failed: $(tail -n 5 "$T/rebuild.log")"
db_dump_derived >"$T/derived.rebuilt"
cmp -s "$T/derived.served" "$T/derived.rebuilt" ||
    fail "the rebuild differs: $(diff "$T/derived.served" "$T/derived.rebuilt")"
