#!/usr/bin/env bash
# The notifier killed with kill -9 in the middle of a stream of deliveries, while more
# notifications are logged, then restarted: it goes on from its cursor and its delivery
# records, so every notification reaches the receiver (nothing lost), and a receiver that
# honours the idempotency key acts on each exactly once (a delivery in flight at the kill may
# arrive twice, marked as a repeat by its key).
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http web --delay-ms 60
cat >"$T/routes.conf" <<CONF
[route]
unblocked = dept, taskforce
[contact dept:DRC]
webhook = http://127.0.0.1:$PORT/hook/DRC
[contact taskforce]
wecom = http://127.0.0.1:$PORT/wecom/taskforce
CONF
# No pacing: the task force's robot would otherwise be held at 20 a minute (test_notify_pace.sh).
notify_conf pace_limit=0
start_notify
W=$T/web.jsonl
mapfile -t projects < <(tail -n +2 "$PERMIT_SRC/deploy/projects.csv" | cut -d, -f1)
((${#projects[@]} >= 20)) || fail "expected at least 20 sample projects"

step "the first half of the projects get their project approval unblocked"
half=$((${#projects[@]} / 2))
for p in "${projects[@]:0:half}"; do
    send --dept NRB --project "$p" --procedure LAND_PREREVIEW --event accepted
done
wait_count 20 5 "$W" 'true'
step "kill -9 in mid-stream ($(count "$W" 'true') delivered so far)"
kill9_notify
for p in "${projects[@]:half}"; do
    send --dept NRB --project "$p" --procedure LAND_PREREVIEW --event accepted
done
# Every unblocked entry goes to the task force, and PROJECT_APPROVAL's (DRC's) to DRC too; the
# others are the procedures ready at registration, of departments without a contact here.
log_json --kind unblocked >"$T/unblocked.json"
ndrc=$(jq -s 'map(select(.dept == "DRC")) | length' "$T/unblocked.json")
((ndrc == ${#projects[@]})) || fail "expected one unblocked entry for DRC per project: $ndrc"
expected=$(($(jq -s length "$T/unblocked.json") + ndrc))

step "restarted: it catches up from its cursor and finishes the deliveries"
start_notify
grep -q "following .* from seq [1-9]" "$NOTIFY_LOG" || fail "did not resume from its cursor"
wait_count 30 "$expected" "$W" '.dup | not'
sleep 1
(($(count "$W" '.dup | not') == expected)) || fail "$(count "$W" '.dup | not') fresh, expected $expected"
(($(jq -r .key "$W" | sort -u | wc -l) == expected)) || fail "keys missing"
(($(count "$W" '.dup') <= 2)) || fail "more repeats than deliveries in flight: $(count "$W" '.dup')"
for s in $(jq -r 'select(.dept == "DRC") | .seq' "$T/unblocked.json"); do
    (($(count "$W" ".key == \"$s-dept%3ADRC\" and (.dup | not)") == 1)) || fail "seq $s to DRC"
done
for s in $(jq -r .seq "$T/unblocked.json"); do
    (($(count "$W" ".key == \"$s-taskforce\" and (.dup | not)") == 1)) || fail "seq $s to taskforce"
done
nctl status
[[ "$OUT" == *"sent $expected"* ]] || fail "status: $OUT"
stop_notify
