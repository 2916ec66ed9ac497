#!/usr/bin/env bash
# Department agents watched: an agent's ping starts the watch, and a ping or an event is then a
# sign of life; an agent quiet for longer than agent_silent_s is logged and published once as
# agent_silent, and as agent_back when it is heard again. A one-shot `permit-agent send` from a
# department that never pinged starts no watch. Driven on the test clock, with hand-made ping
# frames (rawsend).
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ping_frame() {
    local body
    body=$(pb_str 1 "$1")
    printf '0801%02x%02x%s' $((11 << 3 | 2)) $((${#body} / 2)) "$body"
}
ping() {
    run "$RAWSEND" -t 5000 "$INGEST" "$(ping_frame "$1")"
    ((RC == 0)) || fail "no answer to a ping from $1 (rawsend exit $RC): $ERR"
}

start_broker --test-clock 2026-03-02T09:00:00+08:00 --agent-silent-s 60
import_samples

step "NRB's agent pings; a minute of silence is allowed"
ping NRB
ctl clock set 2026-03-02T09:01:00+08:00
(($(log_json --kind agent_silent | wc -l) == 0)) || fail "silent too early"

step "past the minute: agent_silent, once"
ctl clock set 2026-03-02T09:01:01+08:00
ctl clock set 2026-03-02T09:30:00+08:00
log_json --kind agent_silent >"$T/silent.json"
(($(wc -l <"$T/silent.json") == 1)) || fail "agent_silent: $(cat "$T/silent.json")"
[[ "$(jq -r .dept "$T/silent.json")" == NRB ]] || fail "silent: $(cat "$T/silent.json")"
[[ "$(jq -r .at_time "$T/silent.json")" == "2026-03-02T09:00:00.000+08:00" ]] ||
    fail "the silent entry does not say when it was last heard: $(cat "$T/silent.json")"

step "an event from NRB is a sign of life too: agent_back"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
log_json --kind agent_back >"$T/back.json"
(($(wc -l <"$T/back.json") == 1)) || fail "agent_back: $(cat "$T/back.json")"
ping NRB
(($(log_json --kind agent_back | wc -l) == 1)) || fail "agent_back repeated"

step "a one-shot send from EEB, whose agent never pinged, starts no watch"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
ctl clock set 2026-03-02T10:30:00+08:00
(($(log_json --kind agent_silent | jq -s 'map(select(.dept == "EEB")) | length') == 0)) ||
    fail "a one-shot send made EEB an agent to expect: $(log_json --kind agent_silent)"

step "an agent never heard from is not reported"
ctl clock set 2026-03-03T09:00:00+08:00
(($(log_json --kind agent_silent | jq -s 'map(select(.dept != "NRB")) | length') == 0)) ||
    fail "a department that never spoke was reported silent"
stop_broker
