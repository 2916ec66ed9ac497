#!/usr/bin/env bash
# Security: a broker on CURVE. Keys made with permitctl keygen; the broker trusts a keys folder
# and refuses everyone else. A plain client and an unknown key get nowhere; a notifier key
# cannot publish events; a department cannot speak for another, whatever its dept field says;
# a key revoked by SIGHUP stops working on its live connection; a replayed frame is applied
# once; malformed, truncated, over-long and oversized frames from a trusted key change
# nothing; a department's key may not log corrections nor an operator's key a department's
# events (forbidden); the authorised agent's events keep flowing throughout; a broker whose
# ZAP handler is missing (fail-open CURVE) refuses to start.
# Its subject is the sockets' authentication, not storage (pg_test_dedup covers replays on
# PostgreSQL):
# backends: sqlite
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

P=TL-2026-001
K=$T/keys
mkdir -p "$K"

step "permitctl keygen writes NAME.key and NAME.secret (0600), never over an existing one"
# --dir is made when missing, parents too, private to its owner.
ctl keygen broker --dir "$T/secrets/broker"
[[ "$(stat -c %a "$T/secrets")" == 700 && "$(stat -c %a "$T/secrets/broker")" == 700 ]] ||
    fail "keygen made its --dir with mode $(stat -c %a "$T/secrets/broker") (expected 700)"
mv "$T/secrets/broker/"* "$T/secrets/"
for who in NRB:department EEB:department WRB:department notifier:notifier alice:operator \
    admin:admin web:viewer; do
    ctl keygen "${who%%:*}" --dir "$K" --role "${who##*:}"
done
ctl keygen stranger --dir "$T/secrets"
mv "$K"/*.secret "$T/secrets/"
[[ "$(stat -c %a "$T/secrets/NRB.secret")" == 600 ]] || fail "NRB.secret is not mode 0600"
grep -q "^role = department$" "$K/NRB.key" || fail "NRB.key has no role line"
grep -q "^secret" "$K/NRB.key" && fail "the public key file holds a secret"
run "$PERMITCTL" keygen NRB --dir "$K"
((RC != 0)) || fail "keygen overwrote NRB.key"
BK=$T/secrets/broker.key
sec() { echo "$T/secrets/$1.secret"; }
# Every client of this test names its keys; PERMIT_BROKER_KEY is shared, the secret is not.
export PERMIT_BROKER_KEY=$BK
as() {
    local who=$1
    shift
    PERMIT_CURVE_SECRET=$(sec "$who") "$@"
}

CURVE_ARGS=(--curve yes --secret-key-file "$T/secrets/broker.secret" --keys-dir "$K")

step "-n checks the keys; curve = yes without keys is a configuration error"
run "$PERMITD" "${CURVE_ARGS[@]}" -n
((RC == 0)) || fail "permitd -n with keys exited $RC: $ERR"
run "$PERMITD" --curve yes -n
((RC == 78)) || fail "curve = yes without keys exited $RC (expected 78): $ERR"
[[ "$ERR" == *secret_key_file* ]] || fail "no clear reason for the missing keys: $ERR"
printf 'public = %s\nrole = king\n' "$(sed -n 's/^public = //p' "$K/NRB.key")" >"$T/bad.key"
mkdir -p "$T/badkeys" && cp "$T/bad.key" "$T/badkeys/X.key"
run "$PERMITD" --curve yes --secret-key-file "$T/secrets/broker.secret" --keys-dir "$T/badkeys" -n
((RC == 78)) || fail "a key with role king was accepted (exit $RC)"

step "a secret key readable by others: a warning at start, an error with -n"
cp "$T/secrets/broker.secret" "$T/open.secret"
chmod 644 "$T/open.secret"
run "$PERMITD" --curve yes --secret-key-file "$T/open.secret" --keys-dir "$K" -n
((RC != 0)) || fail "permitd -n accepted a 0644 secret key"
[[ "$ERR" == *"chmod 600 $T/open.secret"* ]] || fail "-n does not say chmod 600: $ERR"
start_broker --curve yes --secret-key-file "$T/open.secret" --keys-dir "$K"
grep -q "warn: $T/open.secret is readable by group or others: chmod 600" "$BROKER_LOG" ||
    fail "no warning about the 0644 secret key in the log"
stop_broker

step "the start-up probe refuses to run a broker that fails open (no ZAP handler)"
run "$PERMITD" --db "$T/open.db" --ingest "ipc://$T/open-i.sock" --publish "ipc://$T/open-p.sock" \
    --query "ipc://$T/open-q.sock" "${CURVE_ARGS[@]}" --test-fail-open yes
((RC != 0)) || fail "a fail-open broker started (exit 0)"
[[ "$ERR" == *"random key was ACCEPTED"* ]] || fail "no clear reason for the refusal: $ERR"
[[ "$ERR" != *"ready:"* ]] || fail "the fail-open broker said ready: before refusing"

step "a CURVE broker proves at start that a random key is refused, on every socket"
start_broker "${CURVE_ARGS[@]}"
n=$(grep -c "start-up probe with a random key was refused" "$BROKER_LOG" || true)
((n == 3)) || fail "expected 3 refused probes (ingest, query, publish), saw $n"
grep -q "PLAIN sockets" "$BROKER_LOG" && fail "a CURVE broker warns about plain sockets"

step "the admin imports; the log names the key's identity, not \$PERMIT_OPERATOR"
export PERMIT_OPERATOR=mallory
as admin ctl import departments "$PERMIT_SRC/deploy/departments.csv"
as admin ctl import template "$PERMIT_SRC/deploy/template.csv"
as admin ctl import projects "$PERMIT_SRC/deploy/projects.csv"
actor=$(dbq "SELECT actor FROM log WHERE kind = 'department' LIMIT 1")
[[ "$actor" == operator:admin ]] || fail "the import was logged as '$actor' (expected operator:admin)"

step "an authorised department's event is acked"
as NRB send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event accepted
head=$(db_head)

step "a plain client is never answered but told it was refused (77); nothing reaches the log"
run env -u PERMIT_BROKER_KEY "$PERMIT_AGENT" send --dept NRB --project "$P" \
    --procedure LAND_PREREVIEW --event approved --cert P-1 --timeout 300 --tries 2
((RC == 77)) || fail "a plain client exited $RC (expected 77, refused): $ERR"
run env -u PERMIT_BROKER_KEY "$PERMITCTL" --timeout 300 --tries 1 status "$P"
((RC == 77)) || fail "a plain query exited $RC (expected 77)"

step "an unknown key is refused at the handshake, and logged at warning with its public key"
stranger=$(sed -n 's/^public = //p' "$T/secrets/stranger.key")
run "$RAWSEND" -t 1000 -k "$(sec stranger)" -s "$BK" "$INGEST" \
    "$(pb_event_frame 1 approved x-1 NRB "$P" LAND_PREREVIEW)"
((RC == 2)) || fail "an unknown key got an answer (rawsend exit $RC)"
grep -qF "key $stranger is not in $K" "$BROKER_LOG" ||
    fail "the unknown key's refusal is not logged with its key"
run as stranger "$PERMITCTL" --timeout 300 --tries 1 status "$P"
((RC == 77)) || fail "an unknown key's query exited $RC (expected 77, refused)"

step "a notifier key may read but not publish events"
run as notifier "$PERMIT_AGENT" send --dept NRB --project "$P" --procedure LAND_PREREVIEW \
    --event approved --cert P-2
((RC == 65)) && [[ "$ERR" == *"refused (forbidden)"* ]] ||
    fail "a notifier's event was not refused as forbidden (exit $RC): $ERR"
as notifier ctl status "$P" --wide
[[ "$OUT" == *LAND_PREREVIEW* ]] || fail "the notifier cannot read a status"
run as notifier "$PERMITCTL" import departments "$PERMIT_SRC/deploy/departments.csv"
((RC == 65)) && [[ "$ERR" == *forbidden* ]] || fail "a notifier's import was not forbidden: $ERR"

step "a viewer key (permit-web) may read and subscribe, but neither send events nor import"
run as web "$PERMIT_AGENT" send --dept NRB --project "$P" --procedure LAND_PREREVIEW \
    --event approved --cert P-3
((RC == 65)) && [[ "$ERR" == *"refused (forbidden)"* ]] ||
    fail "a viewer's event was not refused as forbidden (exit $RC): $ERR"
as web ctl status "$P"
[[ "$OUT" == *LAND_PREREVIEW* ]] || fail "the viewer cannot read a status"
as web ctl tail --from 0 --json --project "$P"
[[ "$OUT" == *'"kind":"project"'* ]] || fail "the viewer cannot read the log"
run as web "$PERMITCTL" import departments "$PERMIT_SRC/deploy/departments.csv"
((RC == 65)) && [[ "$ERR" == *forbidden* ]] || fail "a viewer's import was not forbidden: $ERR"
# permit-web itself on the viewer key: it follows the whole log over CURVE.
web_conf "curve_secret=$(sec web)" "broker_key=$BK"
start_web
wait_for 10 "permit-web to follow the log over CURVE" test "$(web_head)" == "$(db_head)"
stop_web

step "a department cannot speak for another: lying dept field, or another's procedure"
refused_as() {
    local who=$1 code=$2
    shift 2
    PERMIT_CURVE_SECRET=$(sec "$who") refused "$code" "$@"
}
refused_as NRB forbidden --dept EEB --project "$P" --procedure EIA --event accepted
refused_as NRB not_owner --dept NRB --project "$P" --procedure EIA --event accepted
# A raw frame from NRB's key that claims to be an operator's correction (actor field 4, with a
# reason in note field 12): the broker takes the identity from the key, so it is refused.
event=$(pb_str 2 reopened)$(pb_str 3 lie-1)$(pb_str 4 operator:root)$(pb_str 5 NRB)$(pb_str 6 "$P")
event=$event$(pb_str 7 LAND_PREREVIEW)$(pb_str 12 "trust me")
frame=$(printf '0801%02x%02x%s' $((2 << 3 | 2)) $((${#event} / 2)) "$event")
run "$RAWSEND" -k "$(sec NRB)" -s "$BK" "$INGEST" "$frame"
[[ "$OUT" == *forbidden* ]] || fail "a department's forged correction was not forbidden: $OUT"
run as alice "$PERMITCTL" import departments "$PERMIT_SRC/deploy/departments.csv"
((RC == 65)) && [[ "$ERR" == *forbidden* ]] || fail "an operator's import was not forbidden: $ERR"

step "a role's wrong events are forbidden: a department's correction, an operator's approval"
run as NRB "$PERMITCTL" reopen "$P" LAND_PREREVIEW --reason "we erred"
((RC == 65)) && [[ "$ERR" == *forbidden* && "$ERR" == *"operator's correction"* ]] ||
    fail "a department's reopen was not forbidden (exit $RC): $ERR"
run as NRB "$PERMITCTL" extend "$P" LAND_PREREVIEW 5 --reason "we are slow"
((RC == 65)) && [[ "$ERR" == *forbidden* ]] ||
    fail "a department's extension was not forbidden (exit $RC): $ERR"
refused_as alice forbidden --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved \
    --cert P-4
[[ "$ERR" == *"comes from the department"* ]] || fail "no clear reason for the operator: $ERR"
refused_as admin forbidden --dept NRB --project "$P" --procedure LAND_PREREVIEW \
    --event supplement_requested
[[ "$(db_head)" == "$head" ]] || fail "refused messages changed the log"

step "an operator's correction is logged under the key's identity"
as NRB send --dept NRB --project "$P" --procedure LAND_PREREVIEW --event approved --cert P-3
as alice ctl reopen "$P" LAND_PREREVIEW --reason "wrong certificate"
actor=$(dbq "SELECT actor FROM log WHERE kind = 'reopened'")
[[ "$actor" == operator:alice ]] || fail "the correction was logged as '$actor' (expected operator:alice)"

step "a replayed frame from the authorised agent is applied once"
frame=$(pb_event_frame 1 accepted replay-1 WRB "$P" SOIL_WATER)
run "$RAWSEND" -k "$(sec WRB)" -s "$BK" "$INGEST" "$frame"
((RC == 0)) || fail "the first send of the frame got no answer"
head=$(db_head)
run "$RAWSEND" -k "$(sec WRB)" -s "$BK" "$INGEST" "$frame"
((RC == 0)) || fail "the replay got no answer"
[[ "$OUT" != *forbidden* && "$OUT" != *invalid* ]] || fail "the replay was refused instead of deduplicated"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'replay-1'")
((n == 1)) || fail "the replayed event is in the log $n times"
[[ "$(db_head)" == "$head" ]] || fail "the replay appended to the log"

step "malformed, truncated, over-long and oversized frames from a trusted key change nothing"
head=$(db_head)
# Protobuf lengths of 128 bytes and more need a multi-byte varint (lib.sh's pb_str has one).
varint() {
    local v=$1
    while ((v >= 128)); do
        printf '%02x' $((v & 127 | 128))
        v=$((v >> 7))
    done
    printf '%02x' "$v"
}
long_str() {
    local hex
    hex_into hex "$2"
    printf '%02x%s%s' $(($1 << 3 | 2)) "$(varint $((${#hex} / 2)))" "$hex"
}
event=$(pb_str 2 accepted)$(long_str 3 "$(printf 'x%.0s' {1..129})")$(pb_str 5 WRB)
event=$event$(pb_str 6 "$P")$(pb_str 7 SOIL_WATER)
long_id=$(printf '0801%02x%s%s' $((2 << 3 | 2)) "$(varint $((${#event} / 2)))" "$event")
for bad in "ffffffff" "${frame:0:$((${#frame} - 6))}" "$long_id"; do
    run "$RAWSEND" -k "$(sec WRB)" -s "$BK" "$INGEST" "$bad"
    ((RC == 0)) || fail "no answer to a bad frame (rawsend exit $RC)"
    [[ "$OUT" == *malformed* ]] || fail "a bad frame was not refused as malformed: $OUT"
done
grep -q "Entry.event_id: 129 bytes (limit 128)" "$BROKER_LOG" ||
    fail "the over-long id's refusal does not say which field and its limit"
head -c $((33 * 1024 * 1024)) /dev/zero >"$T/huge.bin"
run "$RAWSEND" -t 3000 -k "$(sec WRB)" -s "$BK" "$INGEST" -f "$T/huge.bin"
((RC == 2)) || fail "an oversized frame was answered or failed oddly (rawsend exit $RC)"
rm -f "$T/huge.bin"
pid_alive "$BROKER_PID" || fail "the broker died on bad frames"
[[ "$(db_head)" == "$head" ]] || fail "bad frames changed the log"

step "a revoked key stops working on its live connection after SIGHUP"
mkfifo "$T/eeb.in"
"$RAWSEND" -t 5000 -k "$(sec EEB)" -s "$BK" "$INGEST" -i <"$T/eeb.in" >"$T/eeb.out" \
    2>"$T/eeb.err" &
EEB_PID=$!
CHILDREN+=("$EEB_PID")
exec 3>"$T/eeb.in"
echo "$(pb_event_frame 1 accepted live-1 EEB NO-SUCH-1 EIA)" >&3
one_reply() { (($(lines_in "$T/eeb.out") >= 1)); }
wait_for 10 "the live connection's first reply" one_reply
grep -q "$(hex_of unknown_project)" "$T/eeb.out" ||
    fail "the live connection's first reply is not unknown_project: $(cat "$T/eeb.out")"
rm "$K/EEB.key"
kill -s HUP "$BROKER_PID"
revoked() { grep -q "key of EEB (department) revoked" "$BROKER_LOG"; }
wait_for 10 "the broker to log the revocation" revoked
echo "$(pb_event_frame 1 accepted live-2 EEB "$P" EIA)" >&3
two_replies() { (($(lines_in "$T/eeb.out") >= 2)); }
wait_for 10 "the live connection's second reply" two_replies
exec 3>&-
sed -n 2p "$T/eeb.out" | grep -q "$(hex_of unauthorized)" ||
    fail "the revoked key's message on its live connection was not refused as unauthorized"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id = 'live-2'")
((n == 0)) || fail "the revoked key's event was logged"
grep -q "refused (unauthorized) key .* (not trusted: revoked?)" "$BROKER_LOG" ||
    fail "the revoked key's refusal is not logged with its key"
run as EEB "$PERMIT_AGENT" send --dept EEB --project "$P" --procedure EIA --event accepted \
    --timeout 300 --tries 2
((RC == 77)) || fail "a new connection with the revoked key exited $RC (expected 77)"

step "a key added by SIGHUP works without a restart"
cp "$T/secrets/stranger.key" "$K/CTB.key"
echo "role = department" >>"$K/CTB.key"
kill -s HUP "$BROKER_PID"
trusted() { grep -q "key of CTB (department) trusted" "$BROKER_LOG"; }
wait_for 10 "the broker to trust CTB" trusted
as stranger send --dept CTB --project "$P" --procedure RELICS --event accepted

step "the authorised agent's events keep flowing; live subscribers read over CURVE"
PERMIT_CURVE_SECRET=$(sec notifier) spawn tail "$PERMITCTL" tail -f --from 0 --json
TAIL_PID=$SPAWNED
as NRB send --dept NRB --project TL-2026-002 --procedure LAND_PREREVIEW --event accepted
seen() { has_line "$T/tail.out" ".seq == $SEQ"; }
wait_for 15 "the notifier's tail -f to see seq $SEQ" seen
stop_child "$TAIL_PID" tail

step "a flood of refusals is logged at most 10 lines per kind per window, then summarised"
for i in $(seq 1 30); do echo "ffff"; done >"$T/flood.hex"
"$RAWSEND" -k "$(sec NRB)" -s "$BK" "$INGEST" -l "$T/flood.hex" >/dev/null ||
    fail "the flood got no answers"
stop_broker
n=$(grep -c "refused (malformed) NRB (department)" "$BROKER_LOG" || true)
((n <= 13)) || fail "$n malformed refusals logged one by one (at most 10 per window expected)"
grep -q "more malformed refusals" "$BROKER_LOG" || fail "no summary line for the flood"
grep -q "unauthorized or forbidden" "$BROKER_LOG" || fail "the stop line does not count refusals"
