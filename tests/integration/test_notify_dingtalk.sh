#!/usr/bin/env bash
# DingTalk robots as a city sets them up: 加签 (signing) and a keyword. The recorder plays a
# signing robot and checks the sign with Python's hmac, refusing a wrong one with DingTalk's
# own answer (errcode 310000); the notifier signs each attempt from the contact's
# dingtalk_secret, keeps the secret out of history, and puts the contact's keyword in the text.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

SECRET=SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd
start_broker
import_samples
start_http ding --dingtalk-secret "$SECRET" --dingtalk-keyword 联审联批提醒
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
unblocked = good, wrong
[contact good]
dingtalk = $H/ding/good?access_token=tok-good
dingtalk_secret = $SECRET
keyword = 联审联批提醒
[contact wrong]
dingtalk = $H/ding/wrong?access_token=tok-wrong
dingtalk_secret = SECnot-the-robots-secret
keyword = 联审联批提醒
CONF
notify_conf max_attempts=2
start_notify

step "an unblocked entry: the signed robot accepts it, with the keyword in the text"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
W=$T/ding.jsonl
wait_count 20 1 "$W" '.path == "/ding/good"'
(($(count "$W" '.path == "/ding/good" and .query.access_token == "tok-good"
    and (.query.timestamp | test("^[0-9]{13}$")) and (.query.sign | length) == 44
    and (.body.markdown.text | endswith("联审联批提醒"))') >= 1)) ||
    fail "signed DingTalk request: $(cat "$W")"

step "a robot whose secret does not match refuses (310000) and history says so, secret-free"
wait_for 20 "the wrong sign to be a dead letter" \
    bash -c "'$PERMIT_NOTIFY' history --config '$T/notify.conf' --json |
        jq -e -s 'any(.[]; .recipient == \"wrong\" and .state == \"dead\"
            and (.last_error | contains(\"errcode 310000\")))' >/dev/null"
(($(count "$W" '.path == "/ding/wrong"') == 0)) || fail "the robot recorded a refused message"
nctl history --json
[[ "$OUT" != *SEC* ]] || fail "a secret in history: $OUT"
stop_notify
