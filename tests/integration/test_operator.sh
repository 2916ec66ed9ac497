#!/usr/bin/env bash
# The operator's views and corrections through real processes: `blocked` lists what cannot
# start and who holds it (filtered by a waiting or a holding department), `status` shows the
# critical path, and `reopen`, `extend` and `mark-not-required` are audited events in the log
# (operator, reason) that change the state, never edits of the database.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export PERMIT_OPERATOR=李工
P=TL-2026-001
start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"

step "status: the critical path of a fresh project, by hand 20 working days"
ctl status "$P" --json
(($(jq .critical_days <<<"$OUT") == 20)) || fail "critical_days: $(jq .critical_days <<<"$OUT")"
[[ "$(jq -r '[.procs[] | select(.critical) | .code] | join(" ")' <<<"$OUT")" == \
    "LAND_PREREVIEW FOREST_USE LAND_PLAN_PERMIT ENG_PLAN_PERMIT CONSTRUCTION_PERMIT" ]] ||
    fail "critical path: $(jq -c '[.procs[] | {code, finish_days, critical}]' <<<"$OUT")"
ctl status "$P" --wide
[[ "$OUT" == *"push LAND_PREREVIEW first"* ]] || fail "status does not say what to push: $OUT"

step "blocked: what waits for whom"
ctl blocked --project "$P" --json
[[ "$(jq -r 'map(.code) | join(" ")' <<<"$OUT")" == \
    "PROJECT_APPROVAL ENERGY_REVIEW FOREST_USE LAND_PLAN_PERMIT ENG_PLAN_PERMIT CONSTRUCTION_PERMIT" ]] ||
    fail "blocked list: $(jq -c 'map(.code)' <<<"$OUT")"
jq -e 'any(.[]; .code == "FOREST_USE" and .blockers[0].code == "LAND_PREREVIEW"
    and .blockers[0].dept == "NRB" and .blockers[0].parallel == false)' <<<"$OUT" >/dev/null ||
    fail "FOREST_USE's blocker: $OUT"
# --dept FGB: the forest procedure waits; --dept CTB: the relics survey holds land planning.
ctl blocked --project "$P" --dept CTB --json
[[ "$(jq -r 'map(.code) | join(" ")' <<<"$OUT")" == "LAND_PLAN_PERMIT" ]] ||
    fail "blocked --dept CTB (holder): $OUT"
ctl blocked --project "$P" --dept FGB --json
[[ "$(jq -r 'map(.code) | join(" ")' <<<"$OUT")" == "FOREST_USE LAND_PLAN_PERMIT" ]] ||
    fail "blocked --dept FGB (waiting and holding): $OUT"
ctl blocked --dept NRB --wide
[[ "$OUT" == *"LAND_PREREVIEW (NRB, ready, hard)"* ]] || fail "blocked readable: $OUT"

step "reopen: a wrong approval undone, with who and why in the log"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved --cert 错号-001
run "$PERMITCTL" reopen "$P" LAND_PREREVIEW
((RC == 64)) || fail "reopen without a reason was not a usage error: $RC $ERR"
ctl reopen "$P" LAND_PREREVIEW --reason "批复文号填错，撤销后重新办结"
log_json --kind reopened >"$T/reopened.json"
[[ "$(jq -r '.actor + " " + .note + " " + .dept' "$T/reopened.json")" == \
    "operator:李工 批复文号填错，撤销后重新办结 NRB" ]] || fail "audit: $(cat "$T/reopened.json")"
ctl status "$P" --json
[[ "$(jq -r '.procs[0].state + " " + (.procs[0].cert // "-")' <<<"$OUT")" == "ready -" ]] ||
    fail "after reopen: $(jq -c '.procs[0]' <<<"$OUT")"
[[ "$(jq -r '.procs[] | select(.code == "FOREST_USE") | .state' <<<"$OUT")" == blocked ]] ||
    fail "FOREST_USE did not wait again"
log_json --kind blocked --project "$P" >"$T/reblocked.json"
has_line "$T/reblocked.json" '.procedure == "FOREST_USE"' || fail "no blocked entry for FOREST_USE"

step "extend: a lawful extension moves the deadline; mark-not-required for a department"
send --dept EEB --project "$P" --procedure EIA --event accepted
ctl status "$P" --json
before=$(jq -r '.procs[] | select(.code == "EIA") | .deadline' <<<"$OUT")
ctl extend "$P" EIA 3 --reason "组织专家论证，依法延长"
ctl status "$P" --json
after=$(jq -r '.procs[] | select(.code == "EIA") | .deadline' <<<"$OUT")
[[ "$before" == 2026-03-16 && "$after" == 2026-03-19 ]] ||
    fail "extension: deadline $before -> $after, expected 2026-03-16 -> 2026-03-19"
run "$PERMITCTL" extend "$P" RELICS 3 --reason "未受理"
((RC == 65)) && [[ "$ERR" == *forbidden_transition* ]] || fail "extend of a clock not running: $ERR"
ctl mark-not-required "$P" RELICS --reason "已有考古勘探报告覆盖"
ctl status "$P" --json
[[ "$(jq -r '.procs[] | select(.code == "RELICS") | .state' <<<"$OUT")" == not_required ]] ||
    fail "RELICS not marked not required"
log_json --kind not_required >"$T/nr.json"
has_line "$T/nr.json" '.procedure == "RELICS" and .actor == "operator:李工" and .dept == "CTB"' ||
    fail "mark-not-required not audited: $(cat "$T/nr.json")"

step "a department cannot send a correction"
run "$PERMIT_AGENT" send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event reopened
((RC == 64 || RC == 65)) || fail "a department's reopened was accepted: $RC $OUT $ERR"
stop_broker

step "corrections survive a rebuild"
dump() { db_dump procedures "project, ordinal"; }
dump >"$T/live.txt"
"$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 || fail "rebuild: $(cat "$T/rebuild.log")"
dump >"$T/rebuilt.txt"
diff -u "$T/live.txt" "$T/rebuilt.txt" >"$T/diff" || fail "rebuild differs: $(head -30 "$T/diff")"
