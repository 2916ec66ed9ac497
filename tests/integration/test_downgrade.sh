#!/usr/bin/env bash
# A downgrade is refused (store.h, STORE_LAYOUT_VERSION): a broker started on a database whose
# layout version is newer than this release's (sqlite: PRAGMA user_version; PostgreSQL: meta's
# 'layout' row) does not open it, logs one line that says what to do and exits 76
# (EX_PROTOCOL); so do --rebuild and the report. A database this release made carries its
# version.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

layout() {
    if on_sqlite; then
        dbq "PRAGMA user_version${1:+ = $1}"
    elif [[ -n "${1:-}" ]]; then
        dbq "UPDATE meta SET value = '$1' WHERE key = 'layout'"
    else
        dbq "SELECT value FROM meta WHERE key = 'layout'"
    fi
}

step "a database this release makes carries layout 2"
start_broker
import_samples
stop_broker
[[ "$(layout)" == 2 ]] || fail "the new database's layout: '$(layout)'"

step "a newer layout: one line and exit 76, for a start and for --rebuild"
layout 3 >/dev/null
on_sqlite && cp "$DB" "$T/before.db"
want="database schema version 3 is newer than this permitd (2): install the newer release or restore a backup made by this one"
for args in "--ingest $INGEST --publish $PUBLISH --query $QUERY --curve no" --rebuild; do
    # shellcheck disable=SC2086
    run "$PERMITD" --db "$DB" $args
    ((RC == 76)) || fail "permitd $args on a newer database exited $RC (expected 76): $ERR"
    [[ "$(grep -c . <<<"$ERR")" == 1 && "$ERR" == *" error: "*"$want" ]] ||
        fail "permitd $args said: $ERR"
done
on_sqlite && { cmp -s "$DB" "$T/before.db" || fail "the refused database was changed"; }
[[ "$(layout)" == 3 ]] || fail "the refused database's layout became $(layout)"

step "the report refuses it too"
run "$PERMITCTL" report --db "$DB"
if ((RC == 0)) || [[ "$ERR" != *"$want"* ]]; then
    fail "report on a newer database: exit $RC: $ERR"
fi
