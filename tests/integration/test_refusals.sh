#!/usr/bin/env bash
# Bad input gets a clear answer and changes nothing: each kind of bad event is refused with
# its code (exit 65, the code on stderr), a template with a mutual prerequisite is refused
# with the cycle spelled out, garbage frames and a wrong protocol version are answered rather
# than crashing or silencing the broker, and good events keep flowing afterwards.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

start_broker
import_samples
head=$(db_head)

step "unknown project, procedure, department; not the owner"
refused unknown_project --dept NRB --project NO-SUCH-1 --procedure LAND_PREREVIEW \
    --event accepted --id bad-1
refused unknown_procedure --dept NRB --project "$P" --procedure NO_SUCH_PROC \
    --event accepted --id bad-2
refused unknown_department --dept XYZ --project "$P" --procedure LAND_PREREVIEW \
    --event accepted --id bad-3
refused not_owner --dept EEB --project "$P" --procedure LAND_PREREVIEW \
    --event accepted --id bad-4

step "forbidden transitions"
refused forbidden_transition --dept EEB --project "$P" --procedure EIA --event approved \
    --cert X-1 --id bad-5
refused forbidden_transition --dept EEB --project "$P" --procedure EIA \
    --event supplement_received --id bad-6

step "accepted while a hard prerequisite is not approved"
refused prerequisites --dept FGB --project "$P" --procedure FOREST_USE --event accepted \
    --id bad-7
[[ "$ERR" == *LAND_PREREVIEW* ]] || fail "the prerequisites refusal does not name LAND_PREREVIEW: $ERR"
refused prerequisites --dept HCB --project "$P" --procedure CONSTRUCTION_PERMIT \
    --event accepted --id bad-8

step "usage errors exit 64 and send nothing"
run "$PERMIT_AGENT" send --project "$P" --procedure EIA --event accepted --id bad-9
((RC == 64)) || fail "send without --dept exited $RC (expected 64): $ERR"
run "$PERMIT_AGENT" send --dept EEB --project "$P" --procedure EIA --event approve --id bad-10
((RC == 64 || RC == 65)) || fail "send --event approve exited $RC (expected 64 or 65): $ERR"

[[ "$(db_head)" == "$head" ]] || fail "refused events changed the log (head $head -> $(db_head))"

step "a template with a mutual prerequisite (互为前置) is refused with the cycle spelled out"
tmpl=$PERMIT_SRC/deploy/template.csv
cyc=$T/cyclic.csv
# The sample template, with EIA and SOIL_WATER made each other's hard prerequisite.
{
    head -n 1 "$tmpl"
    echo "procedure,EIA,环境影响评价批复,EEB,10,SOIL_WATER,"
    echo "procedure,SOIL_WATER,水土保持方案审批,WRB,10,EIA,"
    echo "procedure,RELICS,文物考古调查,CTB,10,,"
} >"$cyc"
run "$PERMITCTL" import template "$cyc" --template cyclic
((RC == 65)) || fail "importing a cyclic template exited $RC (expected 65): $OUT $ERR"
# permitctl compiles the template first and refuses it with the lines, sending nothing.
[[ "$ERR" == *"cyclic.csv:2: EIA and SOIL_WATER are each other's prerequisite (互为前置)"* ]] ||
    fail "the cycle refusal lacks its lines: $ERR"
[[ "$ERR" == *EIA* && "$ERR" == *SOIL_WATER* ]] ||
    fail "the cycle refusal does not name both procedures: $ERR"
[[ "$ERR" != *RELICS* ]] || fail "the cycle refusal names RELICS, which is not in the cycle: $ERR"
[[ "$(db_head)" == "$head" ]] || fail "the refused template changed the log"

step "raw frames: garbage, empty, a wrong protocol version"
# rawsend prints the reply frame; protobuf keeps strings raw, so the code can be grepped.
raw() {
    local name=$1 hex=$2 rc=0
    "$RAWSEND" -t 5000 "$INGEST" "$hex" >"$T/$name.reply" 2>"$T/$name.err" || rc=$?
    ((rc == 0)) || fail "no reply to the $name frame (rawsend exit $rc): $(<"$T/$name.err")"
    pid_alive "$BROKER_PID" || fail "permitd died on the $name frame"
}
raw garbage "ffffffffffffffffffff0a0b0c0d0e0f10111213"
grep -qa malformed "$T/garbage.reply" ||
    fail "the garbage frame's reply lacks 'malformed': $(od -c "$T/garbage.reply" | head)"
raw truncated "0801120a0a03"
grep -qa malformed "$T/truncated.reply" || fail "the truncated frame's reply lacks 'malformed'"
raw empty ""
grep -qaE 'malformed|invalid' "$T/empty.reply" ||
    fail "the empty frame's reply lacks 'malformed' or 'invalid': $(od -c "$T/empty.reply" | head)"

# A hand-made envelope around an event for an unknown project, as version 1 and version 2.
v1=$(pb_event_frame 1 accepted bad-raw-1 NRB NO-SUCH-2 LAND_PREREVIEW)
v2=$(pb_event_frame 2 accepted bad-raw-1 NRB NO-SUCH-2 LAND_PREREVIEW)
raw v1 "$v1"
grep -qa unknown_project "$T/v1.reply" ||
    fail "the hand-made version 1 event was not refused as unknown_project (is the test's encoding wrong?): $(od -c "$T/v1.reply" | head)"
raw v2 "$v2"
grep -qa version "$T/v2.reply" ||
    fail "the version 2 envelope's reply lacks the code 'version': $(od -c "$T/v2.reply" | head)"
raw v2garbage "0802ffffffffff0a0b0c"
grep -qaE 'version|malformed' "$T/v2garbage.reply" ||
    fail "the version 2 garbage frame's reply lacks 'version' or 'malformed'"

# Malformed but with a readable id: the refusal names the event, so its sender can tell which
# one it was. An invalid UTF-8 byte in the cert (field 11); a 5,000-byte note (field 12, over
# its limit). An id that cannot be read leaves the refusal without one, as before.
varint() {
    local v=$1
    while ((v >= 128)); do
        printf '%02x' $((v & 127 | 128))
        v=$((v >> 7))
    done
    printf '%02x' "$v"
}
envelope() { printf '0801%02x%s%s' $((2 << 3 | 2)) "$(varint $((${#1} / 2)))" "$1"; }
body=$(pb_str 2 accepted)$(pb_str 3 bad-raw-utf8)$(pb_str 6 "$P")$(pb_str 7 EIA)5a01ff
raw badcert "$(envelope "$body")"
grep -qa malformed "$T/badcert.reply" && grep -qa bad-raw-utf8 "$T/badcert.reply" ||
    fail "the malformed event's refusal does not carry its id: $(od -c "$T/badcert.reply" | head)"
note=$(head -c 5000 /dev/zero | tr '\0' n | od -An -v -tx1 | tr -d ' \n')
body=$(pb_str 2 accepted)$(pb_str 3 bad-raw-note)$(pb_str 6 "$P")$(pb_str 7 EIA)62$(varint 5000)$note
raw longnote "$(envelope "$body")"
grep -qa "note: 5000 bytes (limit 4096)" "$T/longnote.reply" && grep -qa bad-raw-note "$T/longnote.reply" ||
    fail "the over-long note's refusal does not carry its id: $(od -c "$T/longnote.reply" | head)"

[[ "$(db_head)" == "$head" ]] || fail "raw frames changed the log (head $head -> $(db_head))"

step "good events still flow"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id good-1
((SEQ == head + 1)) || fail "the good event got seq $SEQ, expected $((head + 1))"
send --dept EEB --project "$P" --procedure EIA --event accepted --id good-2

step "the log holds no refused event"
log_json >"$T/log.json"
n=$(jq -s '[.[] | select((.event_id // "") | startswith("bad-"))] | length' "$T/log.json")
((n == 0)) || fail "$n refused events are in the log: $(grep bad- "$T/log.json")"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id LIKE 'bad-%'")
((n == 0)) || fail "$n refused events are in the log table"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id IN ('good-1', 'good-2')")
((n == 2)) || fail "the good events are not both in the log table ($n)"

stop_broker
