#!/usr/bin/env bash
# The clock through real processes on a test clock (no sleeping): the official 2026 calendar
# imported as published, a procedure driven through yellow and red (each logged and published
# once, at the moment it took effect), a commitment reminded and breached, a project's due
# date, `permitctl overdue` and `status` showing deadlines and colours, a broker restart across
# a transition caught up exactly once, and a rebuild that reproduces every clock column.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker --test-clock 2026-02-12T09:00:00+08:00
grep -q "no working-day calendar is loaded for 2026" "$BROKER_LOG" ||
    fail "the broker did not say that no calendar is loaded"
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
[[ "$OUT" == *"2026"* ]] || fail "the calendar import said: $OUT"
run "$PERMITCTL" import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
((RC == 0)) || fail "re-importing the same year failed: $ERR"

# A first-half project: all approvals due by 31 March 2026.
{
    echo "id,name,region,industry,company,steward,leader,template,not_required,start_half,year"
    echo "HA-2026-101,乌兰浩特市冷链物流园,乌兰浩特市,物流,兴安盟冷链有限公司,其木格,巴特尔,,,1,2026"
} >"$T/h1.csv"
ctl import projects "$T/h1.csv"

step "a subscriber follows the colours live"
spawn sub "$PERMITCTL" tail -f --json --kind colour
SUB=$SPAWNED

step "EEB accepts EIA on Thursday 12 February (ten working days across Spring Festival)"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
ctl status TL-2026-001 --json
eia=$(jq -c '.procs[] | select(.code == "EIA")' <<<"$OUT")
[[ "$(jq -r .deadline <<<"$eia")" == 2026-03-04 ]] || fail "EIA deadline: $eia"
[[ "$(jq -r .colour <<<"$eia")" == green ]] || fail "EIA colour: $eia"

step "FGB accepts FOREST_USE with a deficiency, due Friday 6 March"
send --dept FGB --project TL-2026-001 --procedure FOREST_USE --event accepted_deficient \
    --missing "用地预审意见" --due 2026-03-06

# Both run against the same deadline (accepted the same day, ten working days each).
step "3 March: two working days left, EIA and FOREST_USE turn yellow"
ctl clock set 2026-03-03T08:30:00+08:00
log_json --kind colour >"$T/colour.json"
n=$(jq -s 'map(select(.procedure == "EIA")) | length' "$T/colour.json")
((n == 1)) || fail "$n EIA colour entries after 3 March, expected 1: $(cat "$T/colour.json")"
has_line "$T/colour.json" '.procedure == "EIA" and .colour == "yellow" and .days == 2
    and .at_time == "2026-03-03T00:00:00.000+08:00"' ||
    fail "the yellow entry is not right: $(cat "$T/colour.json")"
ctl overdue --colour yellow --json
[[ "$(jq -r 'map(.code) | sort | join(" ")' <<<"$OUT")" == "EIA FOREST_USE" ]] ||
    fail "overdue --colour yellow: $OUT"
ctl overdue --colour red --json
[[ "$OUT" == "[]" ]] || fail "overdue --colour red before anything is red: $OUT"

step "5 March: the commitment is reminded; 9 March: red and breached"
ctl clock set 2026-03-05T09:00:00+08:00
log_json --kind commitment_due >"$T/due.json"
(($(jq -s length "$T/due.json") == 1)) || fail "no single commitment reminder: $(cat "$T/due.json")"
[[ "$(jq -r .missing "$T/due.json")" == "用地预审意见" ]] || fail "reminder: $(cat "$T/due.json")"
head_before_stop=$(db_head)
stop_broker

step "the broker is down over the breach; restarted on 10 March it catches up once"
start_broker --test-clock 2026-03-10T09:00:00+08:00
caught_up() { (($(db_head) > head_before_stop)); }
wait_for 10 "the restarted broker to catch up" caught_up
log_json --kind colour >"$T/colour.json"
has_line "$T/colour.json" '.procedure == "EIA" and .colour == "red" and .days == 1
    and .at_time == "2026-03-05T00:00:00.000+08:00"' ||
    fail "no red entry effective 5 March: $(cat "$T/colour.json")"
(($(jq -s 'map(select(.colour == "red" and .procedure == "EIA")) | length' "$T/colour.json") == 1)) ||
    fail "red logged more than once: $(cat "$T/colour.json")"
log_json --kind commitment_breached >"$T/breach.json"
(($(jq -s length "$T/breach.json") == 1)) || fail "breach: $(cat "$T/breach.json")"
[[ "$(jq -r .at_time "$T/breach.json")" == "2026-03-09T00:00:00.000+08:00" ]] ||
    fail "the breach took effect at the wrong time: $(cat "$T/breach.json")"
ctl clock set 2026-03-10T18:00:00+08:00
(($(log_json --kind colour | jq -s length) == 4)) || fail "the clock repeated a colour"

step "the live subscriber saw yellow and red, once each, across the restart"
saw_both_red() { (($(jq -s 'map(select(.colour == "red")) | length' "$T/sub.out") == 2)); }
wait_for 10 "the subscriber to see red twice" saw_both_red
(($(jq -s 'length' "$T/sub.out") == 4)) || fail "the subscriber saw: $(cat "$T/sub.out")"
stop_child "$SUB" "the colour subscriber"

step "overdue and status show the deadline and the working days over"
ctl overdue --json
jq -e 'any(.[]; .code == "EIA" and .colour == "red" and .days == 4
    and .deadline == "2026-03-04")' <<<"$OUT" >/dev/null || fail "overdue: $OUT"
ctl overdue --wide
[[ "$OUT" == *"red, 4 wd over"* && "$OUT" == *"环境影响评价批复"* ]] || fail "overdue readable: $OUT"
ctl status TL-2026-001 --wide
[[ "$OUT" == *"2026-03-04"* && "$OUT" == *"red, 4 wd over"* ]] || fail "status: $OUT"
[[ "$OUT" == *"commitment: 用地预审意见 by 2026-03-06"* ]] || fail "status commitment: $OUT"

step "the project due date: yellow from 18 March, red from 1 April"
ctl status HA-2026-101 --json
[[ "$(jq -r .due <<<"$OUT")" == 2026-03-31 ]] || fail "project due: $OUT"
ctl clock set 2026-04-01T09:00:00+08:00
log_json --kind project_colour --project HA-2026-101 >"$T/project.json"
[[ "$(jq -r .colour "$T/project.json" | tr '\n' ' ')" == "yellow red " ]] ||
    fail "project colours: $(cat "$T/project.json")"

step "a test clock never goes back"
run "$PERMITCTL" clock set 2026-03-01T00:00:00+08:00
((RC == 65)) && [[ "$ERR" == *"only moves forward"* ]] || fail "clock went back: $RC $ERR"
stop_broker

step "a broker on the wall clock refuses clock set"
start_broker
run "$PERMITCTL" clock set 2030-01-01T00:00:00+08:00
((RC == 65)) && [[ "$ERR" == *unsupported* ]] || fail "wall clock moved: $RC $ERR"
stop_broker

step "a rebuild reproduces deadlines, colours and the clock's schedule"
dump() { db_dump procedures "project, ordinal" && db_dump projects id; }
dump >"$T/live.txt"
"$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 || fail "rebuild: $(cat "$T/rebuild.log")"
dump >"$T/rebuilt.txt"
diff -u "$T/live.txt" "$T/rebuilt.txt" >"$T/diff" || fail "rebuild differs: $(head -40 "$T/diff")"
