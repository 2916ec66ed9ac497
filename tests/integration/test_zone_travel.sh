#!/usr/bin/env bash
# The jurisdiction's zone travels from the broker: a permitd configured with America/New_York
# names it in every answer and heartbeat. A permitctl with no zone of its own (no --time-zone,
# no $PERMIT_TIME_ZONE: a clerk's machine) shows and reads times in New York time (-05:00 in
# December); one given --time-zone Asia/Shanghai keeps +08:00. permit-notify and permit-web
# keep their configured zone (Asia/Shanghai, the default) and say once that the broker's is
# another. permitd records its zone in the database, so report --db counts in it.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

unset PERMIT_TIME_ZONE
# The process's TZ must not be what makes it work.
export TZ=UTC
start_broker --time-zone America/New_York --heartbeat-ms 200 --test-clock 2026-12-07T09:00:00+08:00
import_samples
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted \
    --time 2026-12-07T09:00:00+08:00

step "permitctl without a zone shows the broker's: 20:00-05:00 on the 6th"
ctl tail --from 0 --project TL-2026-001 --kind accepted
[[ "$OUT" == *"2026-12-06 20:00:00-05:00"* ]] ||
    fail "tail does not show the broker's zone (-05:00): $OUT"
ctl status TL-2026-001 --wide
[[ "$OUT" == *"2026-12-06 20:00-05:00"* ]] ||
    fail "status does not show the broker's zone (-05:00): $OUT"

step "--time-zone and \$PERMIT_TIME_ZONE win over the broker's"
ctl --time-zone Asia/Shanghai tail --from 0 --project TL-2026-001 --kind accepted
[[ "$OUT" == *"2026-12-07 09:00:00+08:00"* && "$OUT" != *"-05:00"* ]] ||
    fail "--time-zone Asia/Shanghai does not show +08:00: $OUT"
PERMIT_TIME_ZONE=Asia/Shanghai ctl status TL-2026-001 --wide
[[ "$OUT" == *"2026-12-07 09:00+08:00"* ]] ||
    fail "\$PERMIT_TIME_ZONE=Asia/Shanghai does not show +08:00: $OUT"

step "a time without an offset is read in the broker's zone, before the first request"
# 21:00 in New York on the 6th is 10:00 in Beijing on the 7th: after the acceptance at 09:00.
ctl tail --from 0 --project TL-2026-001 --kind accepted --since "2026-12-06 21:00"
[[ -z "$OUT" ]] || fail "--since 2026-12-06 21:00 was not read as New York time: $OUT"
ctl tail --from 0 --project TL-2026-001 --kind accepted --since "2026-12-06 20:00"
[[ "$OUT" == *"-05:00"* ]] || fail "--since 2026-12-06 20:00 (New York) missed the entry: $OUT"
ctl clock set "2026-12-07 08:00"
[[ "$OUT" == *"clock at 2026-12-07 08:00:00-05:00"* ]] ||
    fail "clock set read its time in another zone than the broker's: $OUT"

step "report --db without --config counts in the zone the broker recorded in its database"
grep -q "time zone America/New_York recorded in the database" "$BROKER_LOG" ||
    fail "permitd did not record its zone: $(cat "$BROKER_LOG")"
ctl report --db "$DB" --as-of "2026-12-07 18:00" --format json
jq -e '.meta.as_of == "2026-12-07 18:00:00-05:00"' <<<"$OUT" >/dev/null ||
    fail "report --db is not in the recorded zone: $(jq .meta <<<"$OUT")"
ctl --time-zone Asia/Shanghai report --db "$DB" --as-of "2026-12-07 18:00" --format json
jq -e '.meta.as_of == "2026-12-07 18:00:00+08:00"' <<<"$OUT" >/dev/null ||
    fail "report --db --time-zone Asia/Shanghai is not in +08:00: $(jq .meta <<<"$OUT")"

step "permit-notify and permit-web keep their own zone and say once that the broker's differs"
start_http web
routes_unblocked_webhook
notify_conf
start_notify
want="the broker's is America/New_York, permit-notify's time_zone is Asia/Shanghai"
wait_for 10 "permit-notify's zone warning" grep -q "$want" "$NOTIFY_LOG"
web_conf
start_web
want="the broker's is America/New_York, permit-web's time_zone is Asia/Shanghai"
wait_for 10 "permit-web's zone warning" grep -q "$want" "$WEB_LOG"
curl -fsS "$WEB_URL/api/board" | jq -e '.time_zone == "Asia/Shanghai"' >/dev/null ||
    fail "permit-web does not keep its own zone: $(curl -sS "$WEB_URL/api/board")"
# Heartbeats keep naming the zone: still one warning each.
ctl clock set 2026-12-07T09:00:00-05:00
sleep 0.5 # two heartbeats at least
(($(grep -c "the broker's is America/New_York" "$NOTIFY_LOG") == 1)) ||
    fail "permit-notify warned more than once: $(cat "$NOTIFY_LOG")"
(($(grep -c "the broker's is America/New_York" "$WEB_LOG") == 1)) ||
    fail "permit-web warned more than once: $(cat "$WEB_LOG")"
stop_web
stop_notify

step "with its own zone equal to the broker's, no warning"
notify_conf time_zone=America/New_York
start_notify
ctl clock set 2026-12-07T10:00:00-05:00
sleep 0.5 # two heartbeats at least
! grep -q "the broker's is" "$NOTIFY_LOG" || fail "permit-notify warned with the same zone"
stop_notify

step "a restart with the same zone records nothing; another zone is recorded"
stop_broker
start_broker --time-zone America/New_York --heartbeat-ms 200
! grep -q "recorded in the database" "$BROKER_LOG" || fail "the same zone was recorded again"
stop_broker
start_broker --time-zone Asia/Urumqi --heartbeat-ms 200
grep -q "time zone Asia/Urumqi recorded in the database (was America/New_York)" "$BROKER_LOG" ||
    fail "a new zone was not recorded: $(cat "$BROKER_LOG")"
stop_broker
ctl report --db "$DB" --as-of "2026-12-07 18:00" --format json
jq -e '.meta.as_of == "2026-12-07 18:00:00+06:00"' <<<"$OUT" >/dev/null ||
    fail "report --db is not in the zone recorded last: $(jq .meta <<<"$OUT")"
