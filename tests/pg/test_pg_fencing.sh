#!/usr/bin/env bash
# PostgreSQL backend: fencing between two brokers, and a commit that never returns.
#
# 1. Broker A serves a throw-away cluster while two senders keep sending to A alone. Broker B
#    starts on the same database: it takes over (the fencing epoch moves on), and A's next
#    transaction fails its fencing check: A acks nothing more and exits 75 with one line
#    saying it was deposed. B serves (it acks new events and the ones A could not). Every
#    acked event is in the log once, under the seq it was acked with, and every seq A acked
#    is at or below the head B started from: A committed nothing after B took over.
# 2. A commit that waits for ever: synchronous_standby_names names a standby that never
#    comes, so every COMMIT waits for it after it is already durable on the primary. B must
#    not ack such an event, must not hang (its db_timeout_ms deadline drops the connection;
#    the sender gets a refusal or a timeout, and B still answers queries), and once the
#    setting is reset the commit that was only local becomes visible and the agent's resend
#    of the same id is acked exactly once, with that row's seq (the dedup absorbs it).
# 3. Brokers on a standby wait, saying why; SIGTERM then is a clean stop; on promotion one
#    takes over and serves.
# 4. Its database goes away: the serving broker refuses (never acks), and after three
#    deadlines without the database steps down with exit 75, so its clients move on.
#
# Runs with PERMIT_TEST_BACKEND=postgresql whatever the environment says.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
export PERMIT_TEST_BACKEND=postgresql
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../integration/agent_lib.sh"

P=PGF
NPROJ=300
TIMEOUT_MS=1500 # db_timeout_ms of both brokers
for n in a b; do
    declare "${n^^}_INGEST=ipc://$T/$n-ingest.sock" "${n^^}_PUBLISH=ipc://$T/$n-publish.sock" \
        "${n^^}_QUERY=ipc://$T/$n-query.sock"
done

# start_node a|b: permitd on that node's endpoints and the shared database.
start_node() {
    local n=${1^^} v
    v=${n}_INGEST && INGEST=${!v}
    v=${n}_PUBLISH && PUBLISH=${!v}
    v=${n}_QUERY && QUERY=${!v}
    export PERMIT_BROKER=$INGEST PERMIT_QUERY=$QUERY PERMIT_PUBLISH=$PUBLISH
    start_broker --db-timeout-ms "$TIMEOUT_MS"
}

# sender NAME FROM TO: one event after the other to broker A only, one try each; a line per
# event in $T/NAME.acks: "ack ID SEQ" or "no ID EXIT". Stops at the first event A did not ack.
sender() {
    local name=$1 i id out rc
    for ((i = $2; i <= $3; i++)); do
        id=$(printf 'fence-%s-%03d' "$name" "$i")
        rc=0
        out=$("$PERMIT_AGENT" send --broker "$A_INGEST" --tries 1 --timeout 3000 --dept NRB \
            --project "$(printf '%s-%03d' "$P" "$i")" --procedure LAND_PREREVIEW \
            --event accepted --id "$id" 2>>"$T/$name.err") || rc=$?
        if ((rc == 0)); then
            echo "ack $id $out" >>"$T/$name.acks"
        else
            echo "no $id $rc" >>"$T/$name.acks"
            return 0
        fi
    done
}

acks_of() {
    if [[ -f "$T/$1.acks" ]]; then
        grep -c '^ack ' "$T/$1.acks" || true
    else
        echo 0
    fi
}
a_acked_some() { (($(acks_of s1) >= 5 && $(acks_of s2) >= 5)); }
a_gone() { ! pid_alive "$A_PID"; }
senders_gone() { ! pid_alive "$S1_PID" && ! pid_alive "$S2_PID"; }
logged() { dbq "SELECT COUNT(*) FROM log WHERE event_id = '$1'"; }
seq_of() { dbq "SELECT seq FROM log WHERE event_id = '$1'"; }
setting_is() { [[ "$(dbq "SHOW synchronous_standby_names")" == "$1" ]]; }

# Every "ack ID SEQ" line of the files: ID is in the log once, under SEQ.
check_acks() {
    local f verb id seq n
    for f in "$@"; do
        [[ -f "$f" ]] || continue
        while read -r verb id seq; do
            [[ $verb == ack ]] || continue
            n=$(logged "$id")
            ((n == 1)) || fail "$id was acked (seq $seq) but is in the log $n times"
            [[ "$(seq_of "$id")" == "$seq" ]] ||
                fail "$id was acked with seq $seq but is logged under $(seq_of "$id")"
        done <"$f"
    done
}

step "broker A on a fresh cluster; departments, template and $NPROJ projects"
start_node a
A_PID=$BROKER_PID
A_LOG=$BROKER_LOG
CHILDREN+=("$A_PID")
grep -q "took over with fencing epoch 1" "$A_LOG" || fail "A did not take over with epoch 1"
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
register_projects "$P" "$NPROJ"
register_projects PGH 2 # for part 2
[[ "$(dbq "SELECT epoch FROM fence")" == 1 ]] || fail "the fence does not hold epoch 1"

step "two senders keep sending to A alone"
spawn s1 sender s1 1 150
S1_PID=$SPAWNED
spawn s2 sender s2 151 300
S2_PID=$SPAWNED
wait_for 30 "A to ack a few events of each sender" a_acked_some

step "broker B starts on the same database: it takes over while A is busy"
start_node b
B_PID=$BROKER_PID
grep -q "took over with fencing epoch 2" "$BROKER_LOG" || fail "B did not take over with epoch 2"
b_head=$(sed -n 's/.*ready: .*head \([0-9]*\).*/\1/p' "$BROKER_LOG" | tail -n 1)
[[ -n "$b_head" ]] || fail "B's ready line names no head"

step "A is deposed: it exits 75, saying so once"
wait_for 20 "A to exit" a_gone
rc=0
wait "$A_PID" || rc=$?
((rc == 75)) || fail "A exited $rc (expected 75 once deposed)"
n=$(grep -c "deposed" "$A_LOG" || true)
((n == 1)) || fail "A's log says 'deposed' $n times (expected one line)"
grep -q "took over with fencing epoch 2" "$A_LOG" && fail "A took over again"

step "both senders stopped at the first event A did not ack"
wait_for 30 "the senders to stop" senders_gone
for s in s1 s2; do
    [[ "$(tail -n 1 "$T/$s.acks" | cut -d' ' -f1)" == no ]] ||
        fail "sender $s's last event was acked by a deposed A: $(tail -n 1 "$T/$s.acks")"
done

step "every seq A acked is at or below the head B started from ($b_head)"
while read -r verb id seq; do
    ((seq <= b_head)) || fail "A acked $id with seq $seq after B took over at head $b_head"
done < <(grep -h '^ack ' "$T/s1.acks" "$T/s2.acks")

step "nothing A was sent is logged after B took over (before B was sent anything)"
n=$(dbq "SELECT COUNT(*) FROM log WHERE seq > $b_head AND event_id LIKE 'fence-s%'")
((n == 0)) || fail "$n events sent to A were logged after B took over at $b_head: A committed after it was deposed"

step "B serves: it acks what A could not, and new events"
for s in s1 s2; do
    read -r _ id _ < <(tail -n 1 "$T/$s.acks")
    send --broker "$B_INGEST" --dept NRB --project "$P-${id##*-}" --procedure LAND_PREREVIEW \
        --event accepted --id "$id"
    echo "ack $id $SEQ" >>"$T/b.acks"
done
for i in 1 2 3; do
    send --broker "$B_INGEST" --dept NRB --project "$P-00$i" --procedure LAND_PREREVIEW \
        --event approved --cert "NRB-2026-F$i" --id "fence-b-$i"
    echo "ack fence-b-$i $SEQ" >>"$T/b.acks"
done
[[ "$(dbq "SELECT epoch FROM fence")" == 2 ]] || fail "the fence does not hold epoch 2"

step "every acked event is in the log once, under the seq it was acked with"
check_acks "$T/s1.acks" "$T/s2.acks" "$T/b.acks"
dups=$(dbq "SELECT COUNT(*) FROM (SELECT event_id FROM log WHERE event_id IS NOT NULL
            GROUP BY event_id HAVING COUNT(*) > 1) AS d")
((dups == 0)) || fail "$dups event ids are in the log more than once"

step "a commit that waits for a standby that never comes"
dbq "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
dbq "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "the server to wait for the standby 'nobody'" setting_is nobody
head0=$(db_head)
start_s=$SECONDS
run "$PERMIT_AGENT" send --broker "$B_INGEST" --tries 1 --timeout 8000 --dept NRB \
    --project PGH-001 --procedure LAND_PREREVIEW --event accepted --id hang-1
took=$((SECONDS - start_s))
((RC != 0)) || fail "B acked hang-1 (seq $OUT) while its commit waited for a standby"
((took <= 7)) || fail "the sender waited ${took}s: B's deadline (${TIMEOUT_MS} ms) did not fire"
pid_alive "$B_PID" || fail "B died while a commit hung"
grep -q "commit: no answer from the database within $TIMEOUT_MS ms" "$BROKER_LOG" ||
    fail "B's log does not say its commit got no answer"
step "B still answers queries while the commit hangs (sender got exit $RC)"
run "$PERMITCTL" --query "$B_QUERY" tail --from 0 --json
((RC == 0)) || fail "permitctl tail on B failed while the commit hung: $ERR"
((${#OUT} > 0)) || fail "permitctl tail printed nothing"
[[ "$(db_head)" == "$head0" ]] || fail "a commit waiting for the standby is visible already"

step "the standby setting is reset: the commit that was only local becomes visible"
dbq "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
dbq "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "the server to stop waiting for a standby" setting_is ""
wait_for 10 "hang-1's local commit to become visible" [ "$(logged hang-1)" == 1 ]
hang_seq=$(seq_of hang-1)

step "the agent's resend of hang-1 is acked once, with the seq of that commit"
send --broker "$B_INGEST" --dept NRB --project PGH-001 --procedure LAND_PREREVIEW \
    --event accepted --id hang-1
[[ "$SEQ" == "$hang_seq" ]] || fail "the resend of hang-1 got seq $SEQ, the row has $hang_seq"
[[ "$(logged hang-1)" == 1 ]] || fail "hang-1 is in the log $(logged hang-1) times"

step "B carries on: a new event is acked (after at most a refusal while it finds the log's end)"
sent_after() {
    run "$PERMIT_AGENT" send --broker "$B_INGEST" --tries 1 --timeout 4000 --dept NRB \
        --project PGH-002 --procedure LAND_PREREVIEW --event accepted --id hang-2
    ((RC == 0))
}
wait_for 20 "B to ack hang-2" sent_after
[[ "$(seq_of hang-2)" == "$OUT" ]] || fail "hang-2 was acked with seq $OUT, logged as $(seq_of hang-2)"
((OUT > hang_seq)) || fail "hang-2 got seq $OUT, not after hang-1's $hang_seq"
check_acks "$T/s1.acks" "$T/s2.acks" "$T/b.acks"

step "B stops cleanly"
stop_broker

# standby_start: a streaming standby of the cluster in $T/pg2 (pg_basebackup -R), on a
# socket of its own: S_URI, S_DIR, S_PID.
standby_start() {
    local bindir user
    bindir=$(pg_bindir) || fail "no PostgreSQL server binaries"
    S_DIR=$T/pg2
    mkdir -p "$S_DIR"
    if ((EUID == 0)); then
        user=${PG_RUN_AS:-nobody}
        chown "$user:$(id -gn "$user")" "$S_DIR"
    fi
    S_PORT=$(pg_port)
    pg_as_owner "$bindir/pg_basebackup" -D "$S_DIR/data" -R -X stream -c fast \
        -d "host=$PG_DIR port=$PG_PORT user=permit" >"$S_DIR/basebackup.log" 2>&1 ||
        fail "pg_basebackup failed: $(tail -n 3 "$S_DIR/basebackup.log")"
    printf "\nunix_socket_directories = '%s'\nport = %s\n" "$S_DIR" "$S_PORT" \
        >>"$S_DIR/data/postgresql.conf"
    pg_as_owner "$bindir/pg_ctl" -D "$S_DIR/data" -l "$S_DIR/postgres.log" -w -t 30 -s start ||
        fail "the standby did not start: $(tail -n 5 "$S_DIR/postgres.log")"
    read -r S_PID <"$S_DIR/data/postmaster.pid"
    CHILDREN+=("$S_PID")
    S_URI=$(pg_uri "$S_DIR" "$S_PORT")
}
c_says() { cat "$T/c.out" "$T/c.err" 2>/dev/null | grep -c "$1" || true; }
c_waits() { (($(c_says "the database is a standby (waiting for it to become the primary)") > 0)); }
c_ready() { (($(c_says "ready:") > 0)); }
d_waits() { grep -qs "the database is a standby" "$T/d.err" "$T/d.out"; }

step "a standby of the cluster; brokers C and D started on it wait, saying why"
standby_start
[[ "$(psql -X -A -t -d "$S_URI" -c "SELECT pg_is_in_recovery()")" == t ]] ||
    fail "the copy is not a standby"
spawn c "$PERMITD" --db "$S_URI" --ingest "ipc://$T/c-ingest.sock" \
    --publish "ipc://$T/c-publish.sock" --query "ipc://$T/c-query.sock" --curve no \
    --log-level info --db-timeout-ms "$TIMEOUT_MS"
C_PID=$SPAWNED
spawn d "$PERMITD" --db "$S_URI" --ingest "ipc://$T/d-ingest.sock" \
    --publish "ipc://$T/d-publish.sock" --query "ipc://$T/d-query.sock" --curve no \
    --log-level info --db-timeout-ms "$TIMEOUT_MS"
D_PID=$SPAWNED
wait_for 20 "C to wait for the standby" c_waits
wait_for 20 "D to wait for the standby" d_waits
step "SIGTERM while waiting is a clean stop"
stop_child "$D_PID" d

step "the standby is promoted: C takes over (epoch 3) and serves"
pg_as_owner "$(pg_bindir)/pg_ctl" -D "$S_DIR/data" -w -t 30 -s promote || fail "promote failed"
wait_for 20 "C to log ready:" c_ready
pid_alive "$C_PID" || fail "C died"
(($(c_says "took over with fencing epoch 3") == 1)) || fail "C did not take over with epoch 3"
(($(c_says "waiting before serving") == 1)) ||
    fail "C said it was waiting $(c_says "waiting before serving") times (expected once)"
send --broker "ipc://$T/c-ingest.sock" --dept NRB --project PGH-002 --procedure LAND_PREREVIEW \
    --event approved --cert NRB-2026-C1 --id promoted-1
DB=$S_URI
[[ "$(seq_of promoted-1)" == "$SEQ" ]] || fail "promoted-1 was acked with seq $SEQ, logged as $(seq_of promoted-1)"
check_acks "$T/s1.acks" "$T/s2.acks" "$T/b.acks"
[[ "$(logged hang-1)" == 1 ]] || fail "the promoted copy holds hang-1 $(logged hang-1) times"

step "C's database goes away: C refuses, then steps down (exit 75) so clients move on"
pg_as_owner "$(pg_bindir)/pg_ctl" -D "$S_DIR/data" -m immediate -s stop || fail "stop failed"
started=$(date +%s%N)
# Sends until C is gone (each refused at once, or unanswered), for 30 s at most.
for ((i = 1; $(date +%s%N) - started < 30000000000; i++)); do
    pid_alive "$C_PID" || break
    rc=0
    "$PERMIT_AGENT" send --broker "ipc://$T/c-ingest.sock" --tries 1 --timeout 2000 --dept NRB \
        --project PGH-003 --procedure LAND_PREREVIEW --event accepted --id "cut-$i" \
        >/dev/null 2>&1 || rc=$?
    ((rc != 0)) || fail "C acked cut-$i with its database stopped"
    { sleep 0.1; } 2>/dev/null
done
! pid_alive "$C_PID" || fail "C still serves (bound, refusing everything) without its database"
rc=0
wait "$C_PID" || rc=$?
((rc == 75)) || fail "C exited $rc after losing its database (expected 75)"
took=$((($(date +%s%N) - started) / 1000000))
(($(c_says "cut off from the database") == 1)) || fail "C did not say once that it was cut off"
((took >= 3 * TIMEOUT_MS)) || fail "C stepped down after $took ms (not before 3 deadlines)"
echo "C stepped down $took ms after its database went away"
