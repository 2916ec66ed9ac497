#!/usr/bin/env bash
# The checker must be able to fail: after a clean load it passes, and each kind of damage
# done by hand to a copy of the database or to a history (an acked event removed, an ack
# claiming another sequence, an event applied twice under a new id, a derived row changed, an
# approval logged before its acceptance, an unblock never delivered) is reported as that
# violation, with exit 1.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker
fault_import
start_load load1 C1 20 --window 8
wait_loads 60
stop_broker

step "a clean history passes"
check_all
[[ "$CHECK_SUMMARY" == *"0 lost of 401 acked"* ]] || fail "summary: $CHECK_SUMMARY"

# damage NAME SQL [SED]: a copy of the database with SQL applied; the checker run on it (and
# on the acked file edited by the sed script SED) must fail naming NAME.
damage() {
    local name=$1 sql=$2 edit=${3:-} rc=0 out
    cp "$DB" "$T/damaged.db"
    sqlite3 "$T/damaged.db" "$sql" >/dev/null
    sed -e "$edit" "$T/load1.acked" >"$T/damaged.acked"
    out=$("$PY" "$CHECK_PY" --db "$T/damaged.db" --acked "$T/damaged.acked" --permitd "$PERMITD" \
        "${@:4}" 2>&1) || rc=$?
    ((rc == 1)) || fail "damage '$name': the checker exited $rc: $out"
    [[ "$out" == *"VIOLATION $name"* ]] || fail "damage '$name' not reported as such: $out"
    step "damage reported: $(grep -m1 "VIOLATION $name" <<<"$out")"
}

id=$(sed -n '100p' "$T/load1.acked" | cut -d' ' -f1)
damage lost "DELETE FROM log WHERE event_id = '$id'"
damage moved "SELECT 1" "s/^$id .*/$id 999999/"
damage "applied twice" "INSERT INTO log(event_id, kind, actor, dept, project, procedure, recv_ms,
    event_ms, cause, body) SELECT event_id || '-again', kind, actor, dept, project, procedure,
    recv_ms, event_ms, cause, body FROM log WHERE event_id = '$id'"
damage divergence "UPDATE procedures SET state = 'rejected' WHERE ordinal = 0 AND
    project = (SELECT MIN(project) FROM procedures)"
damage order "UPDATE log SET seq = 1000000 WHERE event_id = (SELECT event_id FROM log
    WHERE kind = 'accepted' AND project LIKE 'C1-%' LIMIT 1)"
echo '{"key": "1-nobody"}' >"$T/deliveries.jsonl"
damage undelivered "SELECT 1" "" --deliveries "$T/deliveries.jsonl"
