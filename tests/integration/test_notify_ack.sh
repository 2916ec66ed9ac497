#!/usr/bin/env bash
# A receiver may acknowledge a red item in its webhook's reply ({"ack": true, "by": NAME}), the
# way a work-chat bot's "I'm on it" button answers: the item then stops escalating, exactly as
# with `permit-notify ack`, while an item whose receiver did not acknowledge is escalated. The
# ack is then logged at the broker as an alert_ack entry (via webhook), the one path of acks.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
start_http web --ack /zhangwei=张伟
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
colour.red = steward
[escalation]
ladder = steward, leader
[contact 张伟]
webhook = $H/zhangwei
[contact 王丽娜]
webhook = $H/wanglina
[contact 李建国]
webhook = $H/lijianguo
[contact 赵志刚]
webhook = $H/zhaozhigang
CONF
notify_conf escalate_ms=1500
start_notify
W=$T/web.jsonl

two_reds "$W"

step "张伟's webhook acknowledged in its reply: only 王丽娜's item is escalated"
wait_count 10 1 "$W" '.path == "/zhaozhigang" and .body.route == "escalation"'
sleep 2
(($(count "$W" '.path == "/lijianguo"') == 0)) || fail "the acknowledged item escalated: $(cat "$W")"
nctl status
[[ "$OUT" == *"unacknowledged red items 0"* ]] || fail "status: $OUT"
grep -q "acknowledged by 张伟 in its webhook's reply" "$T"/notify.*.err ||
    fail "the acknowledgement was not logged"
step "the webhook's ack is in the broker's log too, like every other ack"
zw=$(jq -r 'select(.path == "/zhangwei" and .body.route == "colour.red") | .body.seq' "$W")
has_ack() { [[ $(log_json --kind alert_ack | jq -s -c 'map([.cause, .recipient, .via])') == "[[$zw,\"张伟\",\"webhook\"]]" ]]; }
wait_for 10 "an alert_ack entry for seq $zw by 张伟 via webhook" has_ack
stop_notify
