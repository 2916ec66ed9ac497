#!/usr/bin/env bash
# The first end-to-end path: a department event is acked with its sequence number, a live
# subscriber sees it and then the "unblocked" entry of the procedure that was waiting on it,
# with the right project and department; Chinese names survive end to end; status explains
# what blocks a blocked procedure.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

start_broker
import_samples
head=$(db_head)
((head > 0)) || fail "the imports left the log empty"

step "a live subscriber from seq $head"
spawn sub "$PERMITCTL" tail -f --json --from "$head"
SUB=$SPAWNED

step "NRB accepts LAND_PREREVIEW"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id flow-1 \
    --note "材料齐全，予以受理"
acc=$SEQ
((acc > head)) || fail "ack seq $acc is not after the head $head"

wait_for 10 "the subscriber to see the accepted event" has_line "$T/sub.out" \
    ".seq == $acc and .kind == \"accepted\" and .project == \"$P\" and .dept == \"NRB\"
     and .procedure == \"LAND_PREREVIEW\" and .event_id == \"flow-1\" and .actor == \"NRB\""
has_line "$T/sub.out" ".seq == $acc and .note == \"材料齐全，予以受理\"" ||
    fail "the note did not survive byte for byte: $(grep flow-1 "$T/sub.out")"

step "PROJECT_APPROVAL (parallel prerequisite) is unblocked for DRC"
wait_for 10 "an unblocked entry for PROJECT_APPROVAL" has_line "$T/sub.out" \
    ".kind == \"unblocked\" and .project == \"$P\" and .procedure == \"PROJECT_APPROVAL\"
     and .dept == \"DRC\" and .seq > $acc"
unb=$(jq -r "select(.kind == \"unblocked\" and .procedure == \"PROJECT_APPROVAL\") | .seq" \
    "$T/sub.out")
[[ "$(jq -r "select(.seq == $unb) | .cause" "$T/sub.out")" == "$acc" ]] ||
    fail "the unblocked entry's cause is not the accepted event (seq $acc): $(jq -c "select(.seq == $unb)" "$T/sub.out")"

step "the subscriber's stream has no gap and no duplicate"
send --dept EEB --project "$P" --procedure EIA --event accepted --id flow-2
wait_for 10 "the subscriber to see seq $SEQ" has_line "$T/sub.out" ".seq == $SEQ"
jq -s -e "map(.seq) as \$s | \$s == [range($head + 1; (\$s | max) + 1)]" "$T/sub.out" \
    >/dev/null ||
    fail "subscriber saw seqs $(jq -s -c 'map(.seq)' "$T/sub.out"), expected $((head + 1))..$SEQ"

step "FOREST_USE needs LAND_PREREVIEW approved (hard): still blocked"
if has_line "$T/sub.out" ".kind == \"unblocked\" and .procedure == \"FOREST_USE\""; then
    fail "FOREST_USE was unblocked by a mere acceptance of its hard prerequisite"
fi

step "status --json: names byte for byte, states and blockers"
ctl status "$P" --json
status=$OUT
want_name=$(csv_value "$PERMIT_SRC/deploy/projects.csv" id "$P" name)
[[ -n "$want_name" ]] || fail "no name for $P in deploy/projects.csv"
got_name=$(jq -r '.project.name' <<<"$status")
[[ "$got_name" == "$want_name" ]] || fail "project name '$got_name', expected '$want_name'"
want_company=$(csv_value "$PERMIT_SRC/deploy/projects.csv" id "$P" company)
got_company=$(jq -r '.project.company' <<<"$status")
[[ "$got_company" == "$want_company" ]] ||
    fail "company '$got_company', expected '$want_company'"

proc() { jq -c --arg c "$1" '.procs[] | select(.code == $c)' <<<"$status"; }
[[ "$(proc LAND_PREREVIEW | jq -r .state)" == accepted ]] ||
    fail "LAND_PREREVIEW: $(proc LAND_PREREVIEW)"
[[ "$(proc PROJECT_APPROVAL | jq -r .state)" == ready ]] ||
    fail "PROJECT_APPROVAL: $(proc PROJECT_APPROVAL)"
[[ "$(proc FOREST_USE | jq -r .state)" == blocked ]] || fail "FOREST_USE: $(proc FOREST_USE)"
[[ "$(proc FOREST_USE | jq -c '[.blockers[].code]')" == '["LAND_PREREVIEW"]' ]] ||
    fail "FOREST_USE blockers: $(proc FOREST_USE)"
cp=$(proc CONSTRUCTION_PERMIT)
[[ "$(jq -r .state <<<"$cp")" == blocked ]] || fail "CONSTRUCTION_PERMIT: $cp"
[[ "$(jq -c '[.blockers[].code] | sort' <<<"$cp")" == \
    '["EIA","ENERGY_REVIEW","ENG_PLAN_PERMIT","SOIL_WATER"]' ]] ||
    fail "CONSTRUCTION_PERMIT blockers: $cp"
want_pname=$(csv_value "$PERMIT_SRC/deploy/template.csv" code EIA name)
[[ "$(proc EIA | jq -r .name)" == "$want_pname" ]] ||
    fail "EIA's name '$(proc EIA | jq -r .name)', expected '$want_pname'"

step "readable status names the project and the blockers"
ctl status "$P" --wide
[[ "$OUT" == *"$want_name"* ]] || fail "readable status lacks the project name: $OUT"
cp_line=$(grep CONSTRUCTION_PERMIT <<<"$OUT" || true)
[[ -n "$cp_line" ]] || fail "readable status lacks CONSTRUCTION_PERMIT: $OUT"
grep -q ENG_PLAN_PERMIT <<<"$OUT" || fail "readable status does not name blockers: $OUT"

step "unknown project: status fails"
run "$PERMITCTL" status NO-SUCH-PROJECT
((RC != 0)) || fail "status of an unknown project exited 0: $OUT"

stop_child "$SUB" sub
stop_broker
