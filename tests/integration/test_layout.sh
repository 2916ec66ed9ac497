#!/usr/bin/env bash
# Upgrades and downgrades of the database's layout (store.h, STORE_LAYOUT_VERSION). A database
# that the release before per-sender event ids wrote (tests/fixtures/layout1, made by that
# release's own programs) is opened by today's permitd: it is brought up to today's layout,
# records its version, and shows every project as a fresh database given the same history
# does. (A newer layout: test_downgrade.sh.)
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sqlite_only "the layout version is the sqlite file's header (PRAGMA user_version)"

FIX=$PERMIT_SRC/tests/fixtures/layout1
# shellcheck source=../fixtures/layout1/events.sh
source "$FIX/events.sh"
# Two projects with a history and one without (the others are like it).
projects="TL-2026-001 TL-2026-002 TL-2026-003"

# The status of every project of the fixture, one JSON document each, into FILE. Sequence
# numbers are left out: today's import logs what each registration makes ready between the
# projects (the old one logged the projects first), so the same history has other numbers.
STRIP='del(.. | objects | .updated_seq?, .seq?, .cause?)'
statuses() {
    local p
    for p in $projects; do
        ctl status "$p" --json
        jq -S "$STRIP" <<<"$OUT"
    done >"$1"
}

step "a database of layout 1, written by the release before per-sender event ids"
sqlite3 "$DB" <"$FIX/layout1.sql"
[[ "$(dbq "PRAGMA user_version")" == 0 ]] || fail "the fixture already carries a version"
start_broker --test-clock "$FIXTURE_CLOCK"
grep -q "event ids become unique per sender: copying the log" "$BROKER_LOG" ||
    fail "the old log was not copied into today's layout"
grep -q "database schema version 2 (was 0: made before versions were kept)" "$BROKER_LOG" ||
    fail "the upgrade was not logged"
[[ "$(dbq "PRAGMA user_version")" == 2 ]] || fail "user_version after the upgrade: $(dbq "PRAGMA user_version")"
statuses "$T/upgraded.json"
stop_broker
grep -q "TL-2026-001" "$T/upgraded.json" || fail "no status for TL-2026-001"

step "a second start finds today's layout: nothing to upgrade"
start_broker --test-clock "$FIXTURE_CLOCK"
! grep -q "database schema version" "$BROKER_LOG" || fail "the second start upgraded again"
stop_broker

step "the same history on a fresh database gives the same state"
OLD_DB=$DB
DB=$T/fresh.db
start_broker --test-clock "$FIXTURE_CLOCK"
ctl import departments "$FIX/departments.csv"
ctl import template "$FIX/template.csv"
ctl import projects "$FIX/projects.csv"
ev() {
    local dept=$1 project=$2 proc=$3 kind=$4 id=$5
    shift 5
    send --dept "$dept" --project "$project" --procedure "$proc" --event "$kind" --id "$id" \
        --time "$FIXTURE_TIME" "$@"
}
fixture_events
statuses "$T/fresh.json"
stop_broker
diff -u "$T/fresh.json" "$T/upgraded.json" >"$T/diff" ||
    fail "the upgraded database differs from a fresh one: $(head -n 40 "$T/diff")"
sqlite3 "$T/orig.db" <"$FIX/layout1.sql"
rows="SELECT seq, event_id, kind, actor, dept, project, procedure, recv_ms, event_ms, cause,
      hex(body) FROM log ORDER BY seq"
[[ "$(sqlite3 "$OLD_DB" "$rows")" == "$(sqlite3 "$T/orig.db" "$rows")" ]] ||
    fail "the upgrade changed the log's rows"
