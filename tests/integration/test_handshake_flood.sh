#!/usr/bin/env bash
# Connections that never handshake: 300 raw TCP connections from one address that send nothing
# must not starve a CURVE broker. Past max_conn_per_address they are closed at once, the rest
# when handshake_ms runs out; a trusted client gets its answer meanwhile; the broker's open
# descriptors stay bounded; one summary line says what happened, not a line per connection.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K=$T/keys
mkdir -p "$K" "$T/secrets"
ctl keygen broker --dir "$T/secrets"
ctl keygen NRB --dir "$K" --role department
mv "$K"/*.secret "$T/secrets/"

# Loopback TCP (the cap counts TCP peers by address), on ports free now.
read -r PI PQ PP < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
INGEST=tcp://127.0.0.1:$PI QUERY=tcp://127.0.0.1:$PQ PUBLISH=tcp://127.0.0.1:$PP
export PERMIT_BROKER=$INGEST PERMIT_QUERY=$QUERY PERMIT_PUBLISH=$PUBLISH
start_broker --curve yes --secret-key-file "$T/secrets/broker.secret" --keys-dir "$K" \
    --handshake-ms 1500 --max-conn-per-address 50
grep -q "file descriptors: up to" "$BROKER_LOG" || fail "the broker did not log its fd limit"
base=$(ls "/proc/$BROKER_PID/fd" | wc -l)

step "300 TCP connections that never handshake, held open"
spawn flood python3 -c '
import socket, sys, time
held = []
for i in range(300):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(600)' "$PI"
flood=$SPAWNED
wait_for 30 "the flood to be connected" test -s "$T/flood.out"
(($(<"$T/flood.out") >= 200)) || fail "only $(<"$T/flood.out") flood connections were made"

step "a trusted client still gets its answer within a few seconds"
start=$SECONDS
run env PERMIT_CURVE_SECRET="$T/secrets/NRB.secret" PERMIT_BROKER_KEY="$T/secrets/broker.key" \
    "$PERMIT_AGENT" send --dept NRB --project NO-SUCH-1 --procedure LAND_PREREVIEW \
    --event accepted --id flood-1 --timeout 3000 --tries 1
((RC == 65)) && [[ "$ERR" == *"refused (unknown_project)"* ]] ||
    fail "the trusted client got no answer during the flood (exit $RC): $ERR"
((SECONDS - start <= 5)) || fail "the trusted client waited $((SECONDS - start)) s"

step "the broker's descriptors stay bounded: the cap at once, the rest after handshake_ms"
fds=$(ls "/proc/$BROKER_PID/fd" | wc -l)
((fds <= base + 60)) || fail "the broker holds $fds descriptors during the flood (base $base)"
few_fds() { (($(ls "/proc/$BROKER_PID/fd" | wc -l) <= base + 5)); }
wait_for 10 "the unfinished handshakes to be closed" few_fds
pid_alive "$flood" || fail "the flood stopped early"

step "one summary line at stop, with what was closed and why"
kill_wait "$flood"
stop_broker
grep -E "auth: last [0-9]+ s: [0-9]+ handshakes timed out or dropped unfinished, [0-9]+ connections refused over the per-address cap \(last from 127\.0\.0\.1\)" \
    "$BROKER_LOG" >"$T/summary" || fail "no summary line of the flood"
(($(wc -l <"$T/summary") == 1)) || fail "more than one summary line: $(cat "$T/summary")"
read -r timed refused < <(sed -E 's/.*: ([0-9]+) handshakes.*, ([0-9]+) connections refused.*/\1 \2/' "$T/summary")
((timed >= 50 && refused >= 150)) || fail "the summary counts too little: $(cat "$T/summary")"
