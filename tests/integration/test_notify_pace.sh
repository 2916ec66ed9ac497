#!/usr/bin/env bash
# Robots' rate limits and size limits. A WeCom robot stand-in takes 20 messages per window
# (made 2 s here, pace_window_ms likewise) and answers errcode 45009 past it. The catch-up
# after the samples' import routes dozens of notices to it at once: the notifier paces them,
# coalesces the long queue into a digest, and splits that digest at item boundaries into parts
# under WeCom's 4,096 bytes, marked (1/N) ... (N/N) and sent in order. Nothing becomes a dead
# letter and every notice is delivered, once, directly or in a digest part.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
import_samples
start_http robot --rate 20 --window-ms 2000 --robot wecom
cat >"$T/routes.conf" <<CONF
[route]
unblocked = taskforce
[contact taskforce]
wecom = http://127.0.0.1:$PORT/wecom/taskforce
CONF
notify_conf pace_window_ms=2000 max_attempts=2
start_notify

step "the burst drains: 0 dead letters, every notice sent or in a digest"
drained() {
    nctl history --json
    jq -e -s 'length > 20 and all(.[]; .state == "sent" or .state == "digested")' <<<"$OUT" \
        >/dev/null
}
wait_for 30 "every notice to be sent or digested" drained
n=$(jq -s '[.[] | select(.route == "unblocked")] | length' <<<"$OUT")
digested=$(jq -s '[.[] | select(.state == "digested")] | length' <<<"$OUT")
echo "$n notices, $digested delivered in a digest"
((digested > 0)) || fail "no digest for a queue of $n"
nctl status
[[ "$OUT" == *"dead letters 0"* ]] || fail "status: $OUT"

step "the digest came in parts under 4,096 bytes, in order, marked (k/N)"
jq -r 'select(.body.markdown.content | test("\\(1/[0-9]+\\)")) | .key' "$T/robot.jsonl" >/dev/null
marks=$(jq -r '.body.markdown.content | capture("\\((?<k>[0-9]+)/(?<n>[0-9]+)\\)") |
    "\(.k)/\(.n)"' "$T/robot.jsonl" | tr '\n' ' ')
echo "parts: $marks"
nparts=${marks%% *}
nparts=${nparts#*/}
((nparts >= 2)) || fail "the digest was not split: $marks"
expect=""
for ((k = 1; k <= nparts; k++)); do expect+="$k/$nparts "; done
[[ "$marks" == "$expect" ]] || fail "parts out of order: $marks (expected $expect)"
big=$(jq -s '[.[] | select((.body | tojson | utf8bytelength) > 4096)] | length' "$T/robot.jsonl")
((big == 0)) || fail "$big messages over 4,096 bytes"
# Every digested notice's title is in exactly one part.
nctl history --json
jq -r 'select(.state == "digested") | .title' <<<"$OUT" | sort >"$T/want"
jq -r 'select(.body.markdown.content | test("\\([0-9]+/[0-9]+\\)")) | .body.markdown.content' \
    "$T/robot.jsonl" | sed -n 's/^- //p' | sort >"$T/got"
diff "$T/want" "$T/got" >/dev/null || fail "digest items differ: $(diff "$T/want" "$T/got" | head)"
(($(count "$T/robot.jsonl" '.dup') == 0)) || fail "a message was sent twice"
stop_notify
