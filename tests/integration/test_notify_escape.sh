#!/usr/bin/env bash
# Department text is data, not markup: a rejection note written to phish and to ping a whole
# group ([link](url), <@all>, a heading, a <font> tag, @mobile) arrives as text on every
# channel — WeCom and DingTalk markdown, the generic webhook's JSON, e-mail — with no link,
# mention or tag of its own, while the template's own markdown stays.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http web
start_smtp
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
rejected = 张伟, 王丽娜, 赵志刚, 钱敏
[contact 张伟]
wecom = $H/wecom/zhangwei
[contact 王丽娜]
dingtalk = $H/ding/wanglina
[contact 赵志刚]
webhook = $H/hook/zhaozhigang
[contact 钱敏]
email = qianmin@tongliao.example.gov.cn
CONF
notify_conf "smtp_url=smtp://127.0.0.1:$SMTP_PORT" "smtp_from=notify@test.example"
start_notify

NOTE='[国务院整改通知](http://phish.example/login) <@all> ## 标题 <font color="warning">紧急</font> @13800000000 www.phish.example'
step "NRB rejects the land pre-review with a hostile note"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event rejected --note "$NOTE"
W=$T/web.jsonl
wait_count 20 3 "$W" 'true'
wait_count 20 1 "$T/smtp.jsonl" 'true'

# No link target, no raw mention, heading, tag or auto-linkable address in a text.
bad='test("\\]\\(|://|<@|<font|## 标题|www\\.phish")'
step "WeCom: the note is text, the template's bold stays"
(($(count "$W" ".path == \"/wecom/zhangwei\"
    and (.body.markdown.content | contains(\"［国务院整改通知］\") and contains(\"＜font\"))
    and (.body.markdown.content | startswith(\"**【退回】\"))
    and (.body.markdown.content | $bad | not)") == 1)) || fail "WeCom: $(cat "$W")"
step "DingTalk: the same, and @mobile cannot ping"
(($(count "$W" ".path == \"/ding/wanglina\"
    and (.body.markdown.text | contains(\"＠13800000000\"))
    and (.body.markdown.text | $bad | not)") == 1)) || fail "DingTalk: $(cat "$W")"
step "generic webhook: the text is escaped markdown, vars keep the department's value"
(($(jq -s --arg note "$NOTE" "map(select(.path == \"/hook/zhaozhigang\"
    and (.body.text | $bad | not) and .body.vars.note == \$note)) | length" "$W") == 1)) ||
    fail "webhook: $(cat "$W")"
step "e-mail: no link, no line of the note's own"
(($(count "$T/smtp.jsonl" "(.body | contains(\"国务院整改通知\")) and (.body | test(\"://|www\\\\.phish\") | not)") == 1)) ||
    fail "e-mail: $(cat "$T/smtp.jsonl")"
stop_notify
