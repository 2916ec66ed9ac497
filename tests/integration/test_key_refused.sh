#!/usr/bin/env bash
# A refused key is not a dead broker. permitctl and permit-agent send with a key the broker
# does not trust (or no key at all) are told at once, exit 77 (EX_NOPERM) and say what to do
# next; with the broker gone they still say "unreachable" and exit 69. The broker logs each
# refused key at warning once a minute, however often it retries, and names a revoked key.
# The agent daemon whose key is revoked says so (status: refused, its log: the next step),
# not "no answer", and keeps the event queued.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

K=$T/keys S=$T/secrets
mkdir -p "$K" "$S"
ctl keygen broker --dir "$S"
ctl keygen NRB --dir "$K" --role department
ctl keygen admin --dir "$K" --role admin
ctl keygen stranger --dir "$S"
mv "$K"/*.secret "$S/"
export PERMIT_BROKER_KEY=$S/broker.key
start_broker --curve yes --secret-key-file "$S/broker.secret" --keys-dir "$K"
for f in departments template projects; do
    PERMIT_CURVE_SECRET=$S/admin.secret ctl import $f "$PERMIT_SRC/deploy/$f.csv"
done
agent_conf nrb NRB "curve_secret=$S/NRB.secret" "broker_key=$S/broker.key"
start_agent nrb
ev() {
    run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project TL-2026-001 \
        --procedure LAND_PREREVIEW --event "$1"
    ((RC == 0)) || fail "send --queue exited $RC: $ERR"
}
ev accepted
wait_sent nrb 1 10

step "a key the broker does not trust: exit 77 at once, naming the key file to add"
t0=$(date +%s%N)
run "$PERMITCTL" --curve-secret "$S/stranger.secret" --timeout 3000 --tries 2 import departments \
    "$PERMIT_SRC/deploy/departments.csv"
ms=$((($(date +%s%N) - t0) / 1000000))
((RC == 77)) || fail "a refused key exited $RC (expected 77): $ERR"
[[ "$ERR" == *"refused this key: ask the broker's admin to add stranger.key to keys_dir"* ]] ||
    fail "no next step for the refused key: $ERR"
[[ "$ERR" != *unreachable* ]] || fail "a refused key was called unreachable: $ERR"
((ms < 2500)) || fail "the refusal took $ms ms: it waited out the tries"
run "$PERMIT_AGENT" send --curve-secret "$S/stranger.secret" --timeout 3000 --tries 2 \
    --project TL-2026-001 --procedure P1 --dept NRB --event accepted
((RC == 77)) || fail "permit-agent send with a refused key exited $RC (expected 77): $ERR"
[[ "$ERR" == *"add stranger.key to keys_dir"* ]] || fail "permit-agent: no next step: $ERR"

step "no key at all against a CURVE broker: exit 77, saying which options give one"
run env -u PERMIT_BROKER_KEY "$PERMITCTL" --timeout 3000 status TL-2026-001
((RC == 77)) || fail "a client with no key exited $RC (expected 77): $ERR"
[[ "$ERR" == *"--curve-secret"* ]] || fail "no next step for a missing key: $ERR"

step "the broker logs the refused key at warning once, however often it comes"
for _ in 1 2 3; do
    run "$PERMITCTL" --curve-secret "$S/stranger.secret" --timeout 1000 status TL-2026-001
done
n=$(grep "warn: refused handshake " "$BROKER_LOG" |
    grep -cF "key $(sed -n 's/^public = //p' "$S/stranger.key") is not in $K" || true)
((n == 1)) || fail "expected one warning for the stranger's key, saw $n: $(grep refused "$BROKER_LOG")"

step "a revoked key is named in the broker's warning"
mv "$K/NRB.key" "$T/NRB.key.revoked"
kill -HUP "$BROKER_PID"
wait_for 10 "the broker to revoke NRB" grep -q "key of NRB (department) revoked" "$BROKER_LOG"
run "$PERMITCTL" --curve-secret "$S/NRB.secret" --timeout 3000 status TL-2026-001
((RC == 77)) || fail "a revoked key exited $RC (expected 77): $ERR"
wait_for 5 "a warning naming NRB" grep -q "warn: refused handshake .*the key of NRB (department), revoked" \
    "$BROKER_LOG"

step "the agent daemon with the revoked key: status says refused, its log the next step"
ev approved
agent_refused() {
    agent_json nrb
    jq -e '.broker.refused == true and .broker.reachable == false and .queued == 1' <<<"$OUT" \
        >/dev/null
}
wait_for 10 "the agent's status to say the broker refused its key" agent_refused
run "$PERMIT_AGENT" status --state "$T/nrb"
[[ "$OUT" == *"REFUSED this key since"*"add NRB.key to keys_dir"* ]] ||
    fail "status text does not say the key is refused: $OUT"
grep -q "warn: the broker at $INGEST refused this key.*add NRB.key to keys_dir.* events wait in the outbox" \
    "$AGENT_LOG" || fail "the agent's log does not say its key is refused: $(cat "$AGENT_LOG")"
grep -q "no answer" "$AGENT_LOG" && fail "the agent's log says 'no answer' to a refused key"
mv "$T/NRB.key.revoked" "$K/NRB.key"
kill -HUP "$BROKER_PID"
wait_sent nrb 2 15
grep -q "accepts this key again" "$AGENT_LOG" || fail "the agent did not log its key accepted again"
stop_agent nrb

step "a broker that is gone is still unreachable (69), not refused"
stop_broker
run "$PERMITCTL" --curve-secret "$S/stranger.secret" --timeout 300 --tries 1 status TL-2026-001
((RC == 69)) || fail "no broker: exit $RC (expected 69): $ERR"
[[ "$ERR" == *unreachable* ]] || fail "no broker: $ERR"
# The start-up probe's random key is refused as it must be: that is no warning.
awk '/ ready: /{exit} /warn: refused handshake/{found=1} END{exit !found}' "$T/permitd.1.log" &&
    fail "the start-up probe's own refusal was logged as a warning"
true
