#!/usr/bin/env bash
# At least once in, exactly once applied: the same event id sent again is answered with the
# original sequence number, is logged once and changes the state once.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

start_broker
import_samples

step "first send of dedup-1"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
first=$SEQ
head1=$(db_head)

step "the same id again, twice"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "a repeated id got seq $SEQ, the original was $first"
[[ -n "$ERR" ]] || fail "a repeated id printed no note on stderr"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "a third send got seq $SEQ, the original was $first"
[[ "$(db_head)" == "$head1" ]] || fail "the repeats appended to the log (head $head1 -> $(db_head))"

step "the repeated id wins even with a different body"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved --id dedup-1 \
    --cert "NRB-2026-0001"
[[ "$SEQ" == "$first" ]] || fail "a repeated id with another body got seq $SEQ, not $first"

step "the log holds dedup-1 exactly once, and one unblocked entry"
log_json >"$T/log.json"
n=$(jq -s '[.[] | select(.event_id == "dedup-1")] | length' "$T/log.json")
((n == 1)) || fail "dedup-1 appears $n times in the log"
[[ "$(jq -s -r '.[] | select(.event_id == "dedup-1") | .seq' "$T/log.json")" == "$first" ]] ||
    fail "dedup-1 is logged under another seq than $first"
n=$(jq -s '[.[] | select(.kind == "unblocked" and .procedure == "PROJECT_APPROVAL")] | length' \
    "$T/log.json")
((n == 1)) || fail "PROJECT_APPROVAL was unblocked $n times"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'dedup-1'")
((n == 1)) || fail "the log table holds dedup-1 $n times"

step "the state changed once: still accepted, not approved"
ctl status "$P" --json
state=$(jq -r '.procs[] | select(.code == "LAND_PREREVIEW") | .state' <<<"$OUT")
[[ "$state" == accepted ]] || fail "LAND_PREREVIEW is '$state' after the repeats"
seqat=$(jq -r '.procs[] | select(.code == "LAND_PREREVIEW") | .updated_seq' <<<"$OUT")
[[ "$seqat" == "$first" ]] || fail "LAND_PREREVIEW was last updated by seq $seqat, not $first"

step "the dedup survives a restart"
stop_broker
start_broker
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id dedup-1
[[ "$SEQ" == "$first" ]] || fail "after a restart the repeated id got seq $SEQ, not $first"
[[ "$(db_head)" == "$head1" ]] || fail "after a restart the repeat appended to the log"

step "a new id is a new event"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved --id dedup-2 \
    --cert "NRB-2026-0001"
((SEQ > head1)) || fail "dedup-2 got seq $SEQ, not after $head1"
stop_broker
