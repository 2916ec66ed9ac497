#!/usr/bin/env bash
# REQ clients: a REQ socket puts an empty delimiter frame between its routing id and its body,
# and drops any reply that does not carry it back. The query and ingest sockets answer REQ
# peers (status, a page, a refusal, an acked event) and DEALER peers alike, on the same
# sockets at the same time. A REQ client used to hang: its message was refused as malformed,
# and the refusal was sent without the delimiter.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=TL-2026-001
start_broker
import_samples

# Envelope {version 1, status_req (field 8) {project (field 1)}}, and {version 1, query
# (field 6) {after 0, limit 5}}.
req=$(pb_str 1 "$P")
STATUS_FRAME=$(printf '0801%02x%02x%s' $((8 << 3 | 2)) $((${#req} / 2)) "$req")
PAGE_FRAME="0801 3204 0800 1005"

for mode in -r ""; do
    who=${mode:+REQ}
    who=${who:-DEALER}
    step "a $who client gets a project's status from the query socket"
    # shellcheck disable=SC2086
    run "$RAWSEND" -t 3000 $mode "$QUERY" "$STATUS_FRAME"
    ((RC == 0)) || fail "the $who status request got no answer (rawsend exit $RC): $ERR"
    [[ "$OUT" == *LAND_PREREVIEW* && "$OUT" != *malformed* ]] ||
        fail "the $who status request was not answered with the status"

    step "a $who client gets a page of the log"
    # shellcheck disable=SC2086
    run "$RAWSEND" -t 3000 $mode "$QUERY" "$PAGE_FRAME"
    ((RC == 0)) || fail "the $who page request got no answer (rawsend exit $RC): $ERR"
    [[ "$OUT" == *NRB* && "$OUT" != *malformed* ]] || fail "the $who page request got no page"

    step "a $who client's garbage is refused as malformed, and the refusal reaches it"
    # shellcheck disable=SC2086
    run "$RAWSEND" -t 3000 $mode "$QUERY" "ffffffff"
    ((RC == 0)) || fail "the $who garbage got no answer (rawsend exit $RC): $ERR"
    [[ "$OUT" == *malformed* ]] || fail "the $who garbage was not refused as malformed"

    step "a $who client's event on the ingest socket is acked and logged once"
    id="req-$who"
    project=TL-2026-002
    [[ -n "$mode" ]] || project=TL-2026-003
    # shellcheck disable=SC2086
    run "$RAWSEND" -t 3000 $mode "$INGEST" \
        "$(pb_event_frame 1 accepted "$id" NRB "$project" LAND_PREREVIEW)"
    ((RC == 0)) || fail "the $who event got no answer (rawsend exit $RC): $ERR"
    [[ "$OUT" == *"$id"* ]] || fail "the $who event's answer does not name it: $OUT"
    n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id = '$id'")
    ((n == 1)) || fail "the $who event is in the log $n times"
done

step "REQ and DEALER clients on one live connection each, side by side"
mkfifo "$T/req.in" "$T/dealer.in"
"$RAWSEND" -t 3000 -r "$QUERY" -i <"$T/req.in" >"$T/req.out" 2>"$T/req.err" &
CHILDREN+=("$!")
"$RAWSEND" -t 3000 "$QUERY" -i <"$T/dealer.in" >"$T/dealer.out" 2>"$T/dealer.err" &
CHILDREN+=("$!")
exec 3>"$T/req.in" 4>"$T/dealer.in"
for ((i = 0; i < 5; i++)); do
    echo "$STATUS_FRAME" >&3
    echo "$PAGE_FRAME" >&4
done
exec 3>&- 4>&-
five() { (($(lines_in "$T/req.out") == 5 && $(lines_in "$T/dealer.out") == 5)); }
wait_for 10 "five answers on each connection" five
stop_broker
