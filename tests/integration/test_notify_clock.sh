#!/usr/bin/env bash
# The notifier on the broker's test clock: yellow warnings held and sent as one digest per
# recipient, in the period of the broker's clock (their entries' recv_ms), not the notifier's;
# red items sent at once to steward and leader; an unacknowledged red item
# escalated up the ladder (section head, then leader) while one acknowledged with
# `permit-notify ack` (an alert_ack entry in the broker's log, once) is not; a
# silence suppressing a project's notifications (recorded as silenced in history).
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
colour.yellow = steward
colour.red = steward, leader
[escalation]
ladder = steward, section, leader
[contact 张伟]
webhook = $H/zhangwei
[contact 李建国]
webhook = $H/lijianguo
[contact 王丽娜]
webhook = $H/wanglina
[contact 赵志刚]
webhook = $H/zhaozhigang
[contact section:EEB]
webhook = $H/section/EEB
[contact section:WRB]
webhook = $H/section/WRB
CONF
# escalate_ms leaves the ack below 4 s to land even on a loaded machine (2 s was tight).
notify_conf digest_ms=86400000 escalate_ms=4000 digest_kinds=colour.yellow
start_notify
W=$T/web.jsonl

step "EIA and soil-and-water of TL-2026-001, and EIA of TL-2026-002, accepted on 2 March"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
send --dept WRB --project TL-2026-001 --procedure SOIL_WATER --event accepted
send --dept EEB --project TL-2026-002 --procedure EIA --event accepted
step "TL-2026-002 is silenced for an hour"
nctl silence add --project TL-2026-002 --author 专班值班员 --reason "项目暂停，等待规划调整" --for 1h
sid=$OUT
nctl silence list
[[ "$OUT" == *"专班值班员"* && "$OUT" == *"项目暂停"* ]] || fail "silence list: $OUT"

step "yellow on 13 March, the notifier down: on restart one digest with both items, at once"
# The items' day (the broker's clock, 13 March) ended long ago by the notifier's clock, so the
# digest is due as soon as they are caught up; held until the notifier's own midnight was the
# bug. Catching up routes the whole tick in one round, so the test does not depend on how the
# live stream happens to be split between rounds.
stop_notify
ctl clock set 2026-03-13T09:00:00+08:00
yellows=$(log_json --kind colour --project TL-2026-001 | jq -s 'map(select(.colour == "yellow"))')
(($(jq length <<<"$yellows") == 2)) || fail "expected two yellow entries: $yellows"
(($(jq 'map(.recv_ms) | unique | length' <<<"$yellows") == 1)) || fail "not one tick: $yellows"
start_notify
wait_count 15 1 "$W" '.path == "/zhangwei" and .body.route == "digest"'
sleep 0.5
(($(count "$W" '.path == "/zhangwei"') == 1)) || fail "more than the digest: $(cat "$W")"
(($(count "$W" '.path == "/zhangwei" and (.body.items | length) == 2
    and (.body.title | contains("2项")) and (.body.text | contains("剩余"))') == 1)) ||
    fail "digest: $(cat "$W")"
got=$(jq -s -c '[.[] | select(.path == "/zhangwei") | .body.items[].seq] | sort' "$W")
[[ "$got" == "$(jq -c 'map(.seq) | sort' <<<"$yellows")" ]] ||
    fail "digest items $got, yellow entries $(jq -c 'map(.seq)' <<<"$yellows")"
(($(count "$W" '.path == "/wanglina"') == 0)) || fail "the silenced project's steward was told"

step "red on 17 March: steward and leader at once"
ctl clock set 2026-03-17T09:00:00+08:00
log_json --kind colour --project TL-2026-001 | jq -c 'select(.colour == "red")' >"$T/red.json"
eia=$(jq -r 'select(.procedure == "EIA") | .seq' "$T/red.json")
soil=$(jq -r 'select(.procedure == "SOIL_WATER") | .seq' "$T/red.json")
[[ -n "$eia" && -n "$soil" ]] || fail "no red entries: $(cat "$T/red.json")"
wait_count 10 2 "$W" ".path == \"/lijianguo\" and .body.route == \"colour.red\""
(($(count "$W" ".path == \"/zhangwei\" and .body.route == \"colour.red\"
    and (.body.title | contains(\"超期\"))") == 2)) || fail "red to steward: $(cat "$W")"
step "the EIA red item is acknowledged at once; soil-and-water's is not"
nctl ack "$eia" --by 张伟
# The ack is a log entry (one path for every ack, the web link's too): who, which alert, how.
ack_json=$(log_json --kind alert_ack)
jq -e --argjson eia "$eia" 'select(.cause == $eia and .recipient == "张伟" and .via == "cli")' \
    <<<"$ack_json" >/dev/null || fail "no alert_ack entry for $eia in the log: $ack_json"
ctl tail --kind alert_ack
[[ "$OUT" == *"alert_ack"*"by=张伟 via=cli"*"cause=$eia"* ]] || fail "tail: $OUT"
run "$PERMIT_NOTIFY" ack "$eia" --config "$T/notify.conf"
((RC == 65)) && [[ "$ERR" == *"acknowledged already"* ]] || fail "a second ack exited $RC: $ERR"
(($(log_json --kind alert_ack | jq -s length) == 1)) || fail "the second ack was logged"

step "after escalate_ms: soil-and-water goes to WRB's section head, then to the leader"
wait_count 20 1 "$W" ".path == \"/section/WRB\" and .key == \"$soil-section%3AWRB-e1\"
    and .body.route == \"escalation\" and (.body.title | contains(\"第1级\"))"
wait_count 20 1 "$W" ".path == \"/lijianguo\" and .key == \"$soil-\" + (\"李建国\" | @uri) + \"-e2\""
sleep 1
(($(count "$W" '.path == "/section/EEB"') == 0)) || fail "the acknowledged item was escalated"
(($(count "$W" '.body.route == "escalation"') == 2)) || fail "escalations: $(cat "$W")"
nctl status
[[ "$OUT" == *"unacknowledged red items 0"* ]] || fail "status: $OUT"

step "the silenced project's red item is in history as silenced; the silence expires"
nctl history --project TL-2026-002 --json
jq -e -s 'length > 0 and all(.[]; .state == "silenced")' <<<"$OUT" >/dev/null ||
    fail "history TL-2026-002: $OUT"
nctl silence expire "$sid"
nctl silence list
[[ -z "$OUT" ]] || fail "silence still listed: $OUT"
(($(count "$W" '.dup') == 0)) || fail "repeats: $(cat "$W")"
stop_notify
