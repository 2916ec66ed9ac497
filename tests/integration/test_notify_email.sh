#!/usr/bin/env bash
# E-mail as mail clients and people expect it: From with the display name (smtp_from_name, RFC
# 2047 encoded word), Auto-Submitted: auto-generated, and a multipart/alternative of the text
# and an HTML part. A rejection note holding a script, a link and entities arrives in the HTML
# part as escaped text: no raw <script> or <a href, the template's own markup intact.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_smtp
cat >"$T/routes.conf" <<CONF
[route]
rejected = 钱敏
[contact 钱敏]
email = qianmin@tongliao.example.gov.cn
CONF
notify_conf "smtp_url=smtp://127.0.0.1:$SMTP_PORT" "smtp_from=notify@test.example"
start_notify

NOTE='<script>alert(1)</script> <a href="http://phish.example/login">整改</a> & "引号" '"'"'x'"'"
step "NRB rejects the land pre-review with a hostile note"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event rejected --note "$NOTE"
M=$T/smtp.jsonl
wait_count 20 1 "$M" 'true'
jq -c 'select(.subject | startswith("【退回】"))' "$M" >"$T/mail.json"
[[ -s "$T/mail.json" ]] || fail "no rejection mail: $(cat "$M")"

step "headers: display name as an encoded word, Auto-Submitted"
"$PY" - "$T/mail.json" <<'PY' || fail "$(cat "$T/mail.json")"
import email.utils, json, sys
m = json.loads(open(sys.argv[1]).readline())
assert email.utils.parseaddr(m["from_header"]) == ("联审联批通知", "notify@test.example"), m
assert m["raw_from"].startswith("=?UTF-8?B?") and m["raw_from"].endswith(" <notify@test.example>"), m
assert m["auto_submitted"] == "auto-generated", m
assert m["parts"] == ["multipart/alternative", "text/plain", "text/html"], m
assert m["charset"] == "utf-8" and m["html_charset"] == "utf-8", m
PY

step "both parts: the text as before, the HTML with the note escaped"
"$PY" - "$T/mail.json" <<'PY' || fail "$(cat "$T/mail.json")"
import json, sys
m = json.loads(open(sys.argv[1]).readline())
text, html = m["body"], m["html"]
assert "不予许可" in m["subject"] and "已被" in text and "<script>" in text, text
assert html.startswith("<!DOCTYPE html>") and "已被" in html, html
low = html.lower()
assert "<script" not in low and "<a href" not in low and "<a " not in low, html
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, html
assert "&lt;a href=&quot;" in html and "&amp;" in html and "&#39;x&#39;" in html.replace("&#x27;", "&#39;"), html
assert "<title>【退回】" in html and "<div" in html, html
PY
stop_notify
