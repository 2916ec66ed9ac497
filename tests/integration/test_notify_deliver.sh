#!/usr/bin/env bash
# The notifier end to end on real servers: unblocked notifications reach the right recipients
# over a generic webhook, WeCom and DingTalk robot formats, e-mail (a real SMTP server) and a
# command, with the shipped Chinese templates intact; region and department overrides route
# them; a steward without an address shows up in history as unroutable; SIGTERM exits 0.
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
unblocked = dept, steward
[route region=科尔沁区]
unblocked = dept, steward, 科尔沁区专班
[route region=霍林郭勒市 dept=DRC]
unblocked = steward, leader
[contact dept:DRC]
webhook = $H/hook/DRC
[contact 张伟]
wecom = $H/wecom/zhangwei
email = zhangwei@tongliao.example.gov.cn
[contact 王丽娜]
dingtalk = $H/ding/wanglina
[contact 赵志刚]
command = cat > "$T/cmd.\$PERMIT_NOTIFY_KEY.json"
[contact 科尔沁区专班]
webhook = $H/hook/horqin
CONF
notify_conf "smtp_url=smtp://127.0.0.1:$SMTP_PORT" "smtp_from=notify@test.example"
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
((RC == 0)) && [[ "$OUT" == "configuration OK" ]] || fail "run -n: $RC $OUT $ERR"
start_notify

# The seq of PROJECT_APPROVAL's unblocked entry of a project (registration logged others: the
# procedures ready from the start).
pa_unblocked() {
    log_json --project "$1" --kind unblocked | jq -r 'select(.procedure == "PROJECT_APPROVAL") | .seq'
}

step "NRB accepts the land pre-review of three projects: project approval is unblocked"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project TL-2026-002 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project TL-2026-003 --procedure LAND_PREREVIEW --event accepted
s1=$(pa_unblocked TL-2026-001)
s2=$(pa_unblocked TL-2026-002)
s3=$(pa_unblocked TL-2026-003)
W=$T/web.jsonl
wait_count 20 5 "$W" 'true'
wait_count 20 1 "$T/smtp.jsonl" 'true'
K2=$s2-$(jq -rn '"赵志刚" | @uri')
wait_for 20 "the command channel" test -s "$T/cmd.$K2.json"
sleep 0.5

title="【联审联批】科尔沁区200兆瓦风光储一体化项目的项目审批/核准/备案已可办理，发展和改革委员会请在3个工作日内办结"
step "the steward of TL-2026-001 on WeCom: markdown with the Chinese text intact"
(($(count "$W" ".path == \"/wecom/zhangwei\" and .key == \"$s1-\" + (\"张伟\" | @uri)
    and .body.msgtype == \"markdown\"
    and (.body.markdown.content | startswith(\"**$title**\"))
    and (.body.markdown.content | contains(\"项目管家：张伟\"))") == 1)) ||
    fail "WeCom: $(cat "$W")"

step "and by e-mail: RFC 2047 subject, UTF-8 body, the key in the Message-ID"
(($(count "$T/smtp.jsonl" ".to == [\"zhangwei@tongliao.example.gov.cn\"]
    and .subject == \"$title\" and (.raw_subject | startswith(\"=?UTF-8?B?\"))
    and .charset == \"utf-8\" and (.body | contains(\"3个工作日内办结\"))
    and .message_id == \"<$s1-\" + (\"张伟\" | @uri) + \"@permit-notify>\"") == 1)) ||
    fail "e-mail: $(cat "$T/smtp.jsonl")"

step "the department's webhook gets the documented JSON document"
(($(count "$W" ".path == \"/hook/DRC\" and .key == \"$s1-dept%3ADRC\"
    and .content_type == \"application/json; charset=utf-8\"
    and .body.schema == \"permit-notify/1\" and .body.seq == $s1 and .body.route == \"unblocked\"
    and .body.recipient == \"dept:DRC\" and .body.channel == \"webhook\" and .body.title == \"$title\"
    and .body.vars.project == \"TL-2026-001\" and .body.vars.limit == \"3\"") == 1)) ||
    fail "webhook: $(cat "$W")"

step "region override: Horqin's task force hears about its project, not the others"
# (Horqin's task force also hears of the procedures of its projects ready at registration.)
(($(count "$W" ".path == \"/hook/horqin\" and ([.body.seq] | inside([$s1, $s2, $s3]))") == 1)) ||
    fail "horqin: $(cat "$W")"
(($(count "$W" ".path == \"/hook/horqin\" and .body.seq == $s1") == 1)) || fail "horqin seq"

step "region+department override: TL-2026-002 goes to steward and leader, not to DRC"
(($(count "$W" ".path == \"/hook/DRC\" and .body.seq == $s2") == 0)) ||
    fail "DRC was told about TL-2026-002 despite the override"
(($(count "$W" ".path == \"/ding/wanglina\" and .key == \"$s2-\" + (\"王丽娜\" | @uri)
    and .body.msgtype == \"markdown\"
    and (.body.markdown.title | contains(\"霍林郭勒市铝后加工产业园二期的项目审批\"))
    and (.body.markdown.text | startswith(\"### 【联审联批】\"))") == 1)) ||
    fail "DingTalk: $(cat "$W")"
jq -e ".key == \"$K2\" and .recipient == \"赵志刚\" and .channel == \"command\"" \
    "$T/cmd.$K2.json" >/dev/null || fail "command stdin: $(cat "$T/cmd.$K2.json")"

step "defaults for TL-2026-003: DRC told; its steward has no address, and history says so"
(($(count "$W" ".path == \"/hook/DRC\" and .body.seq == $s3") == 1)) || fail "DRC TL-003"
nctl history --project TL-2026-003 --json
jq -e -s "any(.[]; .recipient == \"刘洋\" and .state == \"unroutable\")" <<<"$OUT" >/dev/null ||
    fail "history TL-2026-003: $OUT"
nctl history --seq "$s1" --json
(($(jq -s 'map(select(.state == "sent")) | length' <<<"$OUT") == 4)) ||
    fail "history --seq $s1 (expected 4 sent: DRC, WeCom, e-mail, Horqin): $OUT"
nctl history --seq "$s1"
[[ "$OUT" == *"张伟  wecom"* && "$OUT" == *"sent"* ]] || fail "history text: $OUT"

step "nothing was sent twice"
(($(count "$W" '.dup') == 0)) || fail "repeats: $(cat "$W")"
stop_notify
