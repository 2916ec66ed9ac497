#!/usr/bin/env bash
# Red items reach a person: the steward's WeCom robot message carries <@userid>, the leader's
# DingTalk message the "at" object (atMobiles, atUserIds) and @mobile in its text; a plain
# notice (unblocked) pings nobody.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
start_http web
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
colour.red = steward, leader
unblocked = steward, leader
[contact 张伟]
wecom = $H/wecom/zhangwei
wecom_userid = ZhangWei
[contact 李建国]
dingtalk = $H/ding/lijianguo
mobile = 13800000001
dingtalk_userid = lijianguo01
CONF
notify_conf
start_notify
W=$T/web.jsonl

step "EIA of TL-2026-001 goes red: its steward and leader are pinged"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
ctl clock set 2026-03-17T09:00:00+08:00
wait_count 10 1 "$W" '.path == "/wecom/zhangwei" and (.body.markdown.content | contains("红色预警"))'
wait_count 10 1 "$W" '.path == "/ding/lijianguo" and (.body.markdown.text | contains("红色预警"))'
(($(count "$W" '.path == "/wecom/zhangwei" and (.body.markdown.content | contains("红色预警"))
    and (.body.markdown.content | endswith("<@ZhangWei>"))') == 1)) || fail "WeCom: $(cat "$W")"
(($(count "$W" '.path == "/ding/lijianguo" and (.body.markdown.text | contains("红色预警"))
    and .body.at.atMobiles == ["13800000001"] and .body.at.atUserIds == ["lijianguo01"]
    and (.body.markdown.text | contains("@13800000001"))') == 1)) || fail "DingTalk: $(cat "$W")"
step "an unblocked notice pings nobody"
(($(count "$W" '(.body.markdown.content // .body.markdown.text | contains("已可办理"))
    and ((.body.markdown.content // .body.markdown.text | contains("@"))
         or (.body.at.atMobiles // [] | length) > 0)') == 0)) || fail "pinged: $(cat "$W")"
(($(count "$W" '(.body.markdown.content // .body.markdown.text | contains("已可办理"))') > 0)) ||
    fail "no unblocked notice: $(cat "$W")"
stop_notify
