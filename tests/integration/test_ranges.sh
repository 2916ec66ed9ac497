#!/usr/bin/env bash
# Absurd numbers are refused at the boundary with the field, the value and the allowed range,
# and the broker keeps running: a claimed time of INT64_MIN (signed overflow in the lateness
# check: the sanitizer build aborted), limit_days 0 or 4294967295, start_half 7, year
# 4294967295, a query after 2^63. permitctl import refuses the same values in a file, with the
# same bounds.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001

start_broker
import_samples
head=$(db_head)

# Hand-made frames (proto/permit.proto field numbers), so nothing on our side can clamp them.
pb_msg() { # FIELD HEX: a length-delimited field around HEX
    printf '%02x%02x%s' $(($1 << 3 | 2)) $((${#2} / 2)) "$2"
}
pb_varint() { # FIELD VARINT_HEX
    printf '%02x%s' $(($1 << 3)) "$2"
}
INT64_MIN=80808080808080808001 # as a varint, two's complement
U32_MAX=ffffffff0f
TWO_POW_63=80808080808080808001

# raw ENDPOINT NAME HEX WANT...: one frame, its reply must say every WANT; the broker lives.
raw() {
    local ep=$1 name=$2 hex=$3 rc=0 want
    shift 3
    "$RAWSEND" -t 5000 "$ep" "$hex" >"$T/$name.reply" 2>"$T/$name.err" || rc=$?
    ((rc == 0)) || fail "no reply to the $name frame (rawsend exit $rc): $(<"$T/$name.err")"
    pid_alive "$BROKER_PID" || fail "permitd died on the $name frame"
    for want in "$@"; do
        grep -qaF -- "$want" "$T/$name.reply" ||
            fail "the reply to $name does not say '$want': $(tr -c '[:print:]' ' ' <"$T/$name.reply")"
    done
}

step "an event claimed at INT64_MIN: malformed, with the field, the value and the range"
event=$(pb_str 2 accepted)$(pb_str 3 range-1)$(pb_str 5 NRB)$(pb_str 6 "$P")$(pb_str 7 LAND_PREREVIEW)
raw "$INGEST" event_min "0801$(pb_msg 2 "$event$(pb_varint 9 $INT64_MIN)")" \
    malformed "Entry.event_ms: -9223372036854775808 is out of range" "253402300799999"

step "a template with limit_days 0 and 4294967295: malformed"
proc() { # LIMIT_HEX
    pb_msg 3 "$(pb_str 1 X1)$(pb_str 2 x)$(pb_str 3 NRB)$(pb_varint 4 "$1")"
}
raw "$INGEST" limit_zero "0801$(pb_msg 3 "$(pb_msg 4 "$(pb_str 1 absurd)$(proc 00)")")" \
    malformed "ProcType.limit_days: 0 is out of range (1 to 3650)"
raw "$INGEST" limit_max "0801$(pb_msg 3 "$(pb_msg 4 "$(pb_str 1 absurd)$(proc $U32_MAX)")")" \
    malformed "ProcType.limit_days: 4294967295 is out of range"

step "a project starting in half 7 of year 4294967295: malformed"
project() { # MORE_HEX
    pb_msg 5 "$(pb_str 1 ABSURD-1)$(pb_str 2 absurd)$(pb_str 8 standard)$1"
}
raw "$INGEST" half7 "0801$(pb_msg 3 "$(project "$(pb_varint 11 07)")")" \
    malformed "Project.start_half: 7 is out of range (0 for none, or 1 to 2)"
raw "$INGEST" year_max "0801$(pb_msg 3 "$(project "$(pb_varint 11 01)$(pb_varint 12 $U32_MAX)")")" \
    malformed "Project.year: 4294967295 is out of range (0 for none, or 2000 to 2200)"

step "a query after 2^63: malformed"
raw "$QUERY" after "0801$(pb_msg 6 "$(pb_varint 1 $TWO_POW_63)")" \
    malformed "Query.after: 9223372036854775808 is out of range (0 to 9223372036854775807)"

[[ "$(db_head)" == "$head" ]] || fail "refused frames changed the log (head $head -> $(db_head))"
[[ -z "$(dbq "SELECT id FROM projects WHERE id = 'ABSURD-1'")" ]] || fail "ABSURD-1 was registered"

step "permitctl import refuses the same values in files, with the line"
printf 'type,code,name,dept,limit_days\nprocedure,X1,x,NRB,0\n' >"$T/t0.csv"
run "$PERMITCTL" import template "$T/t0.csv" --template absurd
((RC == 65)) && [[ "$ERR" == *"t0.csv:2: procedure X1: limit_days must be a whole number of working days from 1 to 3650, not '0'"* ]] ||
    fail "limit_days 0 in a file: exit $RC, $ERR"
printf 'id,name,start_half,year\nABSURD-2,x,1,4294967295\n' >"$T/p.csv"
run "$PERMITCTL" import projects "$T/p.csv"
((RC == 65)) && [[ "$ERR" == *"p.csv:2: year must be a year from 2000 to 2200, not '4294967295'"* ]] ||
    fail "year 4294967295 in a file: exit $RC, $ERR"

step "the broker still takes good events"
send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted --id range-good-1
((SEQ > head)) || fail "the good event got seq $SEQ after head $head"
stop_broker
