#!/usr/bin/env bash
# A robot's URL is its password: `history` (text and --json) and `status` show WeCom's key=,
# DingTalk's access_token= and any other query value or URL password as ***.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http web --robot-error "$T/robot-down"
touch "$T/robot-down"
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
unblocked = 张伟, 王丽娜, 赵志刚
[contact 张伟]
wecom = $H/wecom/send?key=693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa
[contact 王丽娜]
dingtalk = $H/ding/send?access_token=b1c2d3e4f5secrettoken
[contact 赵志刚]
webhook = http://hook:pa55word@127.0.0.1:$PORT/hook/zzg?token=tok-zzg&x=1
CONF
notify_conf max_attempts=1
start_notify
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
wait_for 20 "three dead letters" \
    bash -c "'$PERMIT_NOTIFY' history --config '$T/notify.conf' --json |
        jq -e -s '[.[] | select(.state == \"dead\")] | length >= 3' >/dev/null"

step "history and status keep the URLs' secrets to themselves"
nctl history --json
all=$OUT
nctl history
all+=$OUT
nctl status
all+=$OUT
for secret in 693axxx6 b1c2d3e4f5secrettoken pa55word tok-zzg; do
    [[ "$all" != *"$secret"* ]] || fail "'$secret' shown: $all"
done
[[ "$all" == *"/wecom/send?key=***"* && "$all" == *"/ding/send?access_token=***"* &&
    "$all" == *"http://hook:***@127.0.0.1:$PORT/hook/zzg?token=***&x=***"* ]] ||
    fail "redacted addresses: $all"
stop_notify
