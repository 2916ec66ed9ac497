#!/usr/bin/env bash
# Templates through the CSV path: a joint-review group resolves mutual prerequisites (互为前置)
# that would otherwise be refused as a cycle, its members become ready together, and a new
# template version binds new projects only, leaving projects in flight on the version they
# were registered with.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker
ctl import departments "$PERMIT_SRC/deploy/departments.csv"

step "mutual prerequisites in one joint-review group are accepted"
cat >"$T/joint.csv" <<'CSV'
type,code,name,dept,limit_days,prerequisites,group
procedure,LAND_PREREVIEW,用地预审与选址意见书,NRB,5,,
procedure,EIA,环境影响评价批复,EEB,10,LAND_PREREVIEW;SOIL_WATER,环境联审
procedure,SOIL_WATER,水土保持方案审批,WRB,10,EIA,环境联审
procedure,CONSTRUCTION_PERMIT,建筑工程施工许可证,HCB,1,EIA;SOIL_WATER,
milestone,READY_TO_START,具备开工条件,,,*,
CSV
ctl import template "$T/joint.csv" --template joint
cat >"$T/projects.csv" <<'CSV'
id,name,region,industry,company,steward,leader,template,not_required
JR-001,联审测试项目,科尔沁区,物流,某物流有限公司,韩梅,李雷,joint,
CSV
ctl import projects "$T/projects.csv"

ctl status JR-001 --json
for p in EIA SOIL_WATER; do
    state=$(jq -r --arg p "$p" '.procs[] | select(.code == $p) | .state' <<<"$OUT")
    [[ "$state" == blocked ]] || fail "$p is $state before LAND_PREREVIEW, expected blocked"
done
# SOIL_WATER has no prerequisite outside the group itself, but its partner needs the land
# pre-review: the group waits for it as one.
n=$(jq '[.procs[] | select(.code == "SOIL_WATER") | .blockers[]? | select(.code ==
    "LAND_PREREVIEW")] | length' <<<"$OUT")
((n == 1)) || fail "SOIL_WATER is not shown as waiting for LAND_PREREVIEW: $OUT"

step "approving the land pre-review unblocks both members at once"
send --dept NRB --project JR-001 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project JR-001 --procedure LAND_PREREVIEW --event approved
approved=$SEQ
log_json --project JR-001 --kind unblocked >"$T/unblocked.json"
causes=$(jq -r --argjson s "$approved" 'select(.cause == $s) | .procedure' "$T/unblocked.json" |
    sort | tr '\n' ' ')
[[ "$causes" == "EIA SOIL_WATER " ]] ||
    fail "unblocked by the approval: '$causes', expected EIA and SOIL_WATER"

step "members are reviewed side by side; the permit waits for both"
send --dept EEB --project JR-001 --procedure EIA --event accepted
send --dept WRB --project JR-001 --procedure SOIL_WATER --event accepted
send --dept EEB --project JR-001 --procedure EIA --event approved
refused prerequisites --dept HCB --project JR-001 --procedure CONSTRUCTION_PERMIT \
    --event accepted
send --dept WRB --project JR-001 --procedure SOIL_WATER --event approved
send --dept HCB --project JR-001 --procedure CONSTRUCTION_PERMIT --event accepted

step "without the group the same template is refused as a cycle, before anything is sent"
sed 's/,环境联审$/,/' "$T/joint.csv" >"$T/cycle.csv"
head=$(db_head)
loglines=$(wc -l <"$BROKER_LOG")
run "$PERMITCTL" import template "$T/cycle.csv" --template joint
((RC == 65)) || fail "a cyclic template was not refused (exit $RC): $OUT $ERR"
[[ "$ERR" == *"cycle.csv:3: EIA and SOIL_WATER are each other's prerequisite (互为前置): EIA (line 3) needs SOIL_WATER (line 4) needs EIA"* ]] ||
    fail "the refusal does not spell out the cycle with its lines: $ERR"

step "a cycle of three procedures is refused by permitctl with the lines of its edges"
cat >"$T/cycle3.csv" <<'CSV'
type,code,name,dept,limit_days,prerequisites,group
procedure,LAND_PREREVIEW,用地预审与选址意见书,NRB,5,,
procedure,FOREST_USE,使用林地审核同意书,FGB,20,LAND_PLAN_PERMIT,
procedure,RELICS,文物考古调查,CTB,10,LAND_PREREVIEW,
procedure,EIA,环境影响评价批复,EEB,10,FOREST_USE;RELICS,
procedure,LAND_PLAN_PERMIT,建设用地规划许可证,NRB,10,LAND_PREREVIEW;EIA:parallel,
CSV
run "$PERMITCTL" import template "$T/cycle3.csv" --template three
((RC == 65)) || fail "a template with a 3-cycle was not refused with 65 (exit $RC): $OUT $ERR"
want="cycle3.csv:3: FOREST_USE, LAND_PLAN_PERMIT and EIA are each other's prerequisite (互为前置):"
want+=" FOREST_USE (line 3) needs LAND_PLAN_PERMIT (line 6) needs EIA (line 5) needs FOREST_USE"
[[ "$ERR" == *"$want"* ]] || fail "the 3-cycle refusal is not '$want': $ERR"
[[ "$ERR" != *RELICS* && "$ERR" != *"LAND_PREREVIEW "* ]] ||
    fail "the refusal names procedures outside the cycle: $ERR"
# Nothing was sent: the log did not move and the broker refused nothing (its own check would
# log "refused (template_cycle)").
(($(db_head) == head)) || fail "a cyclic template changed the log (head $head -> $(db_head))"

step "other template errors the compiler finds come with their lines"
# refused_with NAME PREREQUISITES WANT: a two-procedure template whose second procedure (line
# 3) lists PREREQUISITES is refused by permitctl with exit 65 and the message WANT.
refused_with() {
    printf '%s\n' "type,code,name,dept,limit_days,prerequisites,group" \
        "procedure,EIA,环境影响评价批复,EEB,10,," \
        "procedure,SOIL_WATER,水土保持方案审批,WRB,10,$2," >"$T/$1.csv"
    run "$PERMITCTL" import template "$T/$1.csv" --template "$1"
    ((RC == 65)) || fail "$1.csv was not refused with 65 (exit $RC): $ERR"
    [[ "$ERR" == *"$1.csv:3: $3"* ]] || fail "$1.csv is not refused at line 3 with '$3': $ERR"
}
refused_with twice "EIA;EIA" "prerequisite EIA of SOIL_WATER is listed twice"
refused_with unknown "EIA;NOPE" "prerequisite NOPE of SOIL_WATER: no such procedure in the template"
refused_with self "SOIL_WATER" "procedure SOIL_WATER is its own prerequisite"
(($(db_head) == head)) || fail "a refused template changed the log (head $head -> $(db_head))"
tail -n +$((loglines + 1)) "$BROKER_LOG" >"$T/broker-since.log"
! grep -q "refused (" "$T/broker-since.log" ||
    fail "a template refused by permitctl reached the broker: $(<"$T/broker-since.log")"

step "a new template version binds new projects only"
ctl import template "$PERMIT_SRC/deploy/template.csv"
head -n 2 "$PERMIT_SRC/deploy/projects.csv" | sed 's/^TL-2026-001,/V1-001,/' >"$T/v1.csv"
ctl import projects "$T/v1.csv"
# The same file again: nothing changes, nothing is logged.
before=$(db_head)
ctl import template "$PERMIT_SRC/deploy/template.csv"
[[ "$OUT" == *unchanged* ]] || fail "re-importing the same template said: $OUT"
(($(db_head) == before)) || fail "re-importing the same template logged something"
# Version 2 adds a fire-safety review after the engineering planning permit.
{
    cat "$PERMIT_SRC/deploy/template.csv"
    echo "procedure,FIRE_REVIEW,消防设计审查,HCB,5,ENG_PLAN_PERMIT,"
} >"$T/v2.csv"
ctl import template "$T/v2.csv"
head -n 2 "$PERMIT_SRC/deploy/projects.csv" | sed 's/^TL-2026-001,/V2-001,/' >"$T/v2p.csv"
ctl import projects "$T/v2p.csv"
ctl status V1-001 --json
v1=$OUT
ctl status V2-001 --json
v2=$OUT
[[ "$(jq '.project.template_version' <<<"$v1")" == 1 ]] || fail "V1-001 moved off version 1: $v1"
[[ "$(jq '.project.template_version' <<<"$v2")" == 2 ]] || fail "V2-001 is not on version 2: $v2"
[[ "$(jq '.procs | length' <<<"$v1")" == 10 ]] || fail "V1-001 does not have 10 procedures"
[[ "$(jq '.procs | length' <<<"$v2")" == 11 ]] || fail "V2-001 does not have 11 procedures"
refused unknown_procedure --dept HCB --project V1-001 --procedure FIRE_REVIEW --event not_required
send --dept HCB --project V2-001 --procedure FIRE_REVIEW --event not_required

stop_broker
