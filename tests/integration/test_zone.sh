#!/usr/bin/env bash
# One zone for the jurisdiction: every program shows times in the configured time_zone
# (Asia/Shanghai by default) with its offset, and reads times given without an offset in it,
# whatever TZ the process has. The same scenario's human-facing outputs under TZ=UTC,
# TZ=America/New_York and the default are identical, and an acceptance at 09:00 Beijing time
# shows as 09:00 with +08:00.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

# lib.sh sets TZ=Asia/Shanghai: this test is about programs that must not depend on it.
export TZ=America/New_York
start_broker --test-clock 2026-12-07T09:00:00+08:00
grep -q "working days and times in Asia/Shanghai" "$BROKER_LOG" ||
    fail "permitd does not say its zone: $(cat "$BROKER_LOG")"
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"

step "times without an offset are Beijing times, read on a New York (and a UTC) machine"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted --time "2026-12-07 09:00"
TZ=UTC send --dept WRB --project TL-2026-001 --procedure SOIL_WATER --event accepted_deficient \
    --missing "水保方案专家意见" --due 2026-12-14 --time "2026-12-07 09:00"
want_ms=$(date -d "2026-12-07T01:00:00Z" +%s)000
due_ms=$(date -d "2026-12-14T00:00:00+08:00" +%s)000
log_json --kind accepted | jq -e "select(.procedure == \"EIA\" and .event_ms == $want_ms)" \
    >/dev/null || fail "--time 2026-12-07 09:00 is not 09:00+08:00: $(log_json --kind accepted)"
log_json --kind accepted_deficient | jq -e "select(.due_ms == $due_ms)" >/dev/null ||
    fail "--due 2026-12-14 is not midnight in Beijing: $(log_json --kind accepted_deficient)"

step "the notifier's silence, until a Beijing time"
start_http web
routes_unblocked_webhook
notify_conf
nctl silence add --project TL-2026-002 --author 值班员 --reason 停工 --until "2099-12-20 18:00"

# Every program's human-facing output for the scenario, under the process's TZ.
outputs() {
    local out=$1
    {
        echo "== status"
        "$PERMITCTL" status TL-2026-001 --wide
        echo "== tail"
        "$PERMITCTL" tail --from 0 --project TL-2026-001
        echo "== overdue"
        "$PERMITCTL" overdue
        echo "== blocked"
        "$PERMITCTL" blocked --project TL-2026-001
        echo "== report"
        "$PERMITCTL" report --db "$DB" --as-of 2026-12-07 --format md
        echo "== report at a time"
        "$PERMITCTL" report --db "$DB" --as-of "2026-12-07 18:00" --format json | jq .meta.as_of
        echo "== notify silences"
        "$PERMIT_NOTIFY" silence list --config "$T/notify.conf"
        echo "== notify status"
        "$PERMIT_NOTIFY" status --config "$T/notify.conf" | grep -v "^db "
        echo "== queued agent event"
        "$PERMIT_AGENT" status --state "$T/eeb" | grep -o "(since .*)"
    } >"$out" 2>&1 || fail "an output failed under TZ=${TZ-unset}: $(cat "$out")"
}

TZ=UTC "$PERMIT_AGENT" send --queue --state "$T/eeb" --dept EEB --project TL-2026-002 \
    --procedure EIA --event accepted --time "2026-12-07 10:00" >/dev/null ||
    fail "send --queue failed"

step "the same outputs under TZ=UTC, TZ=America/New_York and the default"
TZ=UTC outputs "$T/utc.txt"
TZ=America/New_York outputs "$T/ny.txt"
(unset TZ && outputs "$T/default.txt")
diff -u "$T/utc.txt" "$T/ny.txt" || fail "outputs differ between TZ=UTC and TZ=America/New_York"
diff -u "$T/utc.txt" "$T/default.txt" || fail "outputs differ between TZ=UTC and TZ unset"

step "an acceptance at 09:00 Beijing time shows as 09:00+08:00"
grep -E "^== status" -A30 "$T/utc.txt" | grep -q "2026-12-07 09:00+08:00" ||
    fail "status does not show 2026-12-07 09:00+08:00: $(cat "$T/utc.txt")"
grep -E "^== tail" -A30 "$T/utc.txt" | grep -q "2026-12-07 09:00:00+08:00" ||
    fail "tail does not show 09:00:00+08:00: $(cat "$T/utc.txt")"
grep -q '"2026-12-07 18:00:00+08:00"' "$T/utc.txt" ||
    fail "report --as-of \"2026-12-07 18:00\" is not 18:00 Beijing: $(cat "$T/utc.txt")"
grep -q "2099-12-20 18:00:00+08:00" "$T/utc.txt" ||
    fail "the silence does not end at 18:00 Beijing: $(cat "$T/utc.txt")"
grep -q "+08:00" <(grep -A3 "== queued agent event" "$T/utc.txt") ||
    fail "permit-agent status shows no +08:00: $(cat "$T/utc.txt")"

step "permitd's own log lines are in Beijing time under TZ=America/New_York"
grep -q "+08:00" <(head -n 3 "$BROKER_LOG") || fail "log timestamps: $(head -n 3 "$BROKER_LOG")"

step "a time_zone without tzdata falls back to utc_offset; a bad name is refused"
run "$PERMITD" --db "$T/x.db" --time-zone "Nowhere/Atlantis" --utc-offset +05:30 --curve no -n
((RC == 0)) || fail "permitd -n with an unknown zone exited $RC: $ERR"
run "$PERMITCTL" --time_zone "../etc/passwd" overdue
((RC == 64)) || fail "permitctl took a zone name that is a path (exit $RC): $ERR"
run "$PERMIT_AGENT" run --dept NRB --state "$T/zone-agent" --broker "$INGEST" --time-zone ../x -n
((RC == 78)) && [[ "$ERR" == *"not a time zone's name"* ]] ||
    fail "permit-agent run -n took a zone name that is a path (exit $RC): $ERR"
sed 's|^time_zone = .*||' "$T/notify.conf" >"$T/zone-notify.conf"
echo "time_zone = ../x" >>"$T/zone-notify.conf"
run "$PERMIT_NOTIFY" run --config "$T/zone-notify.conf" -n
((RC == 78)) && [[ "$ERR" == *"not a time zone's name"* ]] ||
    fail "permit-notify run -n took a zone name that is a path (exit $RC): $ERR"
stop_broker
