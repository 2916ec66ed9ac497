#!/usr/bin/env bash
# Signals reach a busy broker: a CURVE broker kept busy by a flood of page requests from a
# background client gets one SIGHUP after a department's key is deleted from keys_dir, and must
# refuse that key (unauthorized) within a bounded time; the key put back and one more SIGHUP,
# it must work again. Ten rounds. A signal that arrives while the loop works (not inside
# zmq_poll) used to be noticed only at a later signal, so most of these SIGHUPs were lost.
# SIGTERM still stops the busy broker cleanly.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=10
K=$T/keys
mkdir -p "$K" "$T/secrets"
ctl keygen broker --dir "$T/secrets"
ctl keygen NRB --dir "$K" --role department
ctl keygen admin --dir "$K" --role admin
mv "$K"/*.secret "$T/secrets/"
cp "$K/NRB.key" "$T/NRB.key.saved"
BK=$T/secrets/broker.key
export PERMIT_BROKER_KEY=$BK PERMIT_CURVE_SECRET=$T/secrets/admin.secret
start_broker --curve yes --secret-key-file "$T/secrets/broker.secret" --keys-dir "$K"

step "a log of 1,100 projects, so that every page request costs the broker some work"
import_samples
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= 1100; i++)); do
        printf 'RB-%04d,忙碌测试项目%d号,科尔沁区,新能源,通辽忙碌能源有限公司,王管家,李领导,standard,\n' \
            "$i" "$i"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"

step "a background client floods the query socket with page requests (1,000 entries each)"
# Envelope {version 1, query (field 6) {after 0, limit 1000}}.
for ((i = 0; i < 100; i++)); do echo "0801 3205 0800 10e807"; done >"$T/pages.hex"
flood() {
    while [[ ! -e $T/flood.stop ]]; do
        "$RAWSEND" -t 5000 -k "$T/secrets/admin.secret" -s "$BK" "$QUERY" -l "$T/pages.hex" \
            >/dev/null || true
    done
}
for ((f = 0; f < 2; f++)); do
    spawn "flood$f" flood
done

step "NRB asks for a status on one live connection throughout"
mkfifo "$T/live.in"
"$RAWSEND" -t 20000 -k "$T/secrets/NRB.secret" -s "$BK" "$QUERY" -i <"$T/live.in" \
    >"$T/live.out" 2>"$T/live.err" &
CHILDREN+=("$!")
exec 3>"$T/live.in"
# Envelope {version 1, status_req (field 8) {project (field 1)}}.
req=$(pb_str 1 TL-2026-001)
STATUS_FRAME=$(printf '0801%02x%02x%s' $((8 << 3 | 2)) $((${#req} / 2)) "$req")
UNAUTHORIZED=$(hex_of unauthorized)
PROBES=0
REPLY=
answered() { (($(lines_in "$T/live.out") >= PROBES)); }
probe() {
    PROBES=$((PROBES + 1))
    echo "$STATUS_FRAME" >&3
    wait_for 20 "answer $PROBES on NRB's live connection" answered
    REPLY=$(sed -n "${PROBES}p" "$T/live.out")
}
refused_now() {
    probe
    [[ "$REPLY" == *"$UNAUTHORIZED"* ]]
}
trusted_now() {
    probe
    [[ "$REPLY" != *"$UNAUTHORIZED"* ]]
}
trusted_now || fail "NRB's key is refused before any revocation"

# Each SIGHUP must take effect within this many seconds, however busy the broker is.
BOUND=${BOUND:-5}
for ((round = 1; round <= ROUNDS; round++)); do
    step "round $round: NRB's key deleted, one SIGHUP: refused; put back, one SIGHUP: trusted"
    pid_alive "$SPAWNED" || fail "the flood client stopped"
    rm "$K/NRB.key"
    kill -s HUP "$BROKER_PID"
    wait_for "$BOUND" "the deleted key to be refused (round $round)" refused_now
    cp "$T/NRB.key.saved" "$K/NRB.key"
    kill -s HUP "$BROKER_PID"
    wait_for "$BOUND" "the restored key to work again (round $round)" trusted_now
done
exec 3>&-
n=$(grep -c "SIGHUP: .* trusted keys" "$BROKER_LOG")
((n == 2 * ROUNDS)) || fail "the broker reloaded its keys $n times for $((2 * ROUNDS)) SIGHUPs"

step "SIGTERM stops the busy broker cleanly"
stop_broker
touch "$T/flood.stop"
