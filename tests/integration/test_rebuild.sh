#!/usr/bin/env bash
# The current-state tables are derived from the log: after a varied history, `permitd
# --rebuild` reproduces them exactly, also after their rows were deleted by hand.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

# Every derived table (lib.sh's DERIVED_TABLES), each row in a stable order, every column.
dump_derived() { db_dump_derived; }

rebuild() {
    local rc=0
    "$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 || rc=$?
    ((rc == 0)) || fail "permitd --rebuild exited $rc: $(tail -n 20 "$T/rebuild.log")"
}

ev() {
    local dept=$1 proc=$2 kind=$3
    shift 3
    send --dept "$dept" --project "$P" --procedure "$proc" --event "$kind" "$@"
}

start_broker
import_samples

step "a varied history for $P"
ev NRB LAND_PREREVIEW accepted
ev NRB LAND_PREREVIEW supplement_requested --note "请补充红线图"
ev NRB LAND_PREREVIEW supplement_received
ev NRB LAND_PREREVIEW approved --cert "用字第150502202600001号"
ev DRC PROJECT_APPROVAL accepted
ev DRC PROJECT_APPROVAL approved --cert "通发改审批〔2026〕1号"
ev DRC ENERGY_REVIEW accepted_deficient --missing "节能报告专家评审意见" --due 2026-12-31 \
    --note "容缺受理，承诺5个工作日内补齐"
ev DRC ENERGY_REVIEW commitment_fulfilled
ev DRC ENERGY_REVIEW approved --cert "通发改能审〔2026〕1号"
ev EEB EIA accepted
ev EEB EIA rejected --note "选址位于生态保护红线内，不予许可"
ev EEB EIA accepted --note "调整选址后重新申请"
ev EEB EIA approved --cert "通环审〔2026〕7号"
ev WRB SOIL_WATER not_required --note "占地面积不足，免予编报"
ev CTB RELICS accepted
ev CTB RELICS approved --cert "文考〔2026〕3号"
ev FGB FOREST_USE accepted
ev FGB FOREST_USE approved --cert "林审〔2026〕2号"
ev NRB LAND_PLAN_PERMIT accepted
ev NRB LAND_PLAN_PERMIT approved --cert "地字第150502202600001号"
ev NRB ENG_PLAN_PERMIT accepted
ev NRB ENG_PLAN_PERMIT approved --cert "建字第150502202600001号"
ev HCB CONSTRUCTION_PERMIT accepted
ev HCB CONSTRUCTION_PERMIT approved --cert "150502202603150101"

step "a second project, half way and with a withdrawal"
P2=$(sqlite3 :memory: -cmd ".import --csv '$PERMIT_SRC/deploy/projects.csv' t" \
    "SELECT id FROM t WHERE id != '$P' LIMIT 1")
P=$P2
ev NRB LAND_PREREVIEW accepted
ev EEB EIA accepted
ev EEB EIA withdrawn --note "企业主动撤回"
ev CTB RELICS accepted
P=TL-2026-001

log_json >"$T/log.json"
for want in unblocked milestone supplement_requested rejected not_required approved; do
    has_line "$T/log.json" ".kind == \"$want\"" || fail "the history has no $want entry"
done
for m in CERTS_TOGETHER READY_TO_START; do
    has_line "$T/log.json" ".kind == \"milestone\" and .milestone == \"$m\"" ||
        fail "milestone $m was not logged"
done
ctl status "$P" --json
jq -e '.milestones | index("READY_TO_START")' <<<"$OUT" >/dev/null ||
    fail "status does not list READY_TO_START: $(jq -c .milestones <<<"$OUT")"
stop_broker

step "rebuild reproduces the derived tables"
dump_derived >"$T/before.sql"
nproc=$(dbq "SELECT COUNT(*) FROM procedures")
((nproc >= 20)) || fail "only $nproc rows in procedures"
for t in departments templates projects milestones; do
    n=$(dbq "SELECT COUNT(*) FROM $t")
    ((n > 0)) || fail "no rows in $t: the comparison would prove nothing there"
done
db_dump log seq >"$T/log-before.txt"
rebuild
dump_derived >"$T/after.sql"
diff -u "$T/before.sql" "$T/after.sql" >"$T/diff1" || fail "rebuild changed state: $(head -n 40 "$T/diff1")"
db_dump log seq | cmp -s "$T/log-before.txt" - || fail "rebuild changed the log itself"

step "rebuild restores rows deleted by hand"
dbq "DELETE FROM procedures; DELETE FROM milestones; DELETE FROM projects;"
[[ "$(dbq "SELECT COUNT(*) FROM procedures")" == 0 ]] || fail "could not delete rows"
rebuild
dump_derived >"$T/after2.sql"
diff -u "$T/before.sql" "$T/after2.sql" >"$T/diff2" || fail "rebuild after DELETE differs: $(head -n 40 "$T/diff2")"

step "rebuild repairs a state changed by hand"
dbq "UPDATE procedures SET state = 'rejected'"
rebuild
dump_derived >"$T/after3.sql"
diff -u "$T/before.sql" "$T/after3.sql" >"$T/diff3" || fail "rebuild after UPDATE differs: $(head -n 40 "$T/diff3")"

step "the broker carries on after a rebuild: status, dedup, new events"
start_broker
ctl status "$P" --json
[[ "$(jq -r '.procs[] | select(.code == "CONSTRUCTION_PERMIT") | .state' <<<"$OUT")" == approved ]] ||
    fail "after the rebuild CONSTRUCTION_PERMIT is not approved: $OUT"
first_id=$(jq -r 'select(.kind == "accepted") | .event_id' "$T/log.json" | head -n 1)
first_seq=$(jq -r --arg id "$first_id" 'select(.event_id == $id) | .seq' "$T/log.json")
head=$(db_head)
run "$PERMIT_AGENT" send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted \
    --id "$first_id"
[[ "$RC" == 0 && "$OUT" == "$first_seq" ]] ||
    fail "after the rebuild the repeated id $first_id got '$OUT' (rc $RC), not $first_seq: $ERR"
[[ "$(db_head)" == "$head" ]] || fail "the repeated id was appended after the rebuild"
P=$P2
ev NRB LAND_PREREVIEW approved --cert "用字第150502202600002号"
stop_broker

step "a rebuild of the grown log equals the live state again"
dump_derived >"$T/live.sql"
rebuild
dump_derived >"$T/rebuilt.sql"
diff -u "$T/live.sql" "$T/rebuilt.sql" >"$T/diff4" || fail "live vs rebuilt: $(head -n 40 "$T/diff4")"

# A start that laid the tables out anew marks them behind in the same transaction, so one
# stopped before its replay of the log committed leaves them empty and marked: the next start
# replays the whole log into them (on either engine).
step "empty tables marked behind are replayed into at the next start"
dbq "DELETE FROM procedures; DELETE FROM milestones; DELETE FROM projects;
     DELETE FROM departments; DELETE FROM templates; DELETE FROM meta WHERE key = 'replay_from';
     INSERT INTO meta(key, value) VALUES ('derived', 'behind')
     ON CONFLICT (key) DO UPDATE SET value = excluded.value;" >/dev/null
[[ "$(dbq "SELECT COUNT(*) FROM projects")" == 0 ]] || fail "could not empty the tables"
head=$(db_head)
start_broker
grep -q "state tables brought up to the log: $head entries from seq 1 " "$BROKER_LOG" ||
    fail "the start did not replay the whole log: $(grep "store:" "$BROKER_LOG" | tail -n 5)"
stop_broker
dump_derived >"$T/replayed.sql"
diff -u "$T/live.sql" "$T/replayed.sql" >"$T/diff5" || fail "live vs replayed: $(head -n 40 "$T/diff5")"
[[ "$(dbq "SELECT value FROM meta WHERE key = 'derived'")" == current ]] ||
    fail "the mark after the replay: $(dbq "SELECT value FROM meta WHERE key = 'derived'")"
