#!/usr/bin/env bash
# The long failover test of issue 10 (not in `make test`; `make ha-failover` runs it).
#
# On this machine, on loopback with distinct ports, it starts the three-server layout of
# deploy/ha/: a 3-member etcd cluster (one member on each database node, one on the witness),
# two PostgreSQL 15 + Patroni nodes with synchronous_mode on (as the unprivileged user
# `nobody`: initdb refuses root), HAProxy (the primary by Patroni's /primary check; each
# broker's own node's PostgreSQL while that node's Patroni is alive, /health; the serving
# broker by its ingest port), and one permitd per node, each restarted when it exits, as
# systemd's Restart=always would. Two fault-load agents drive events through HAProxy, one
# real permit-agent daemon (CTB) lists both brokers and is fed through its outbox, and a
# notifier follows both brokers and delivers every unblock to a webhook receiver.
# Then it makes HA_SWITCHOVERS planned switchovers under load (the old primary's broker must
# step down with exit 75), and HA_KILLS times, at seeded random moments, kills every process
# of the primary's node at once (etcd member, Patroni, every postgres process, permitd), lets
# the other node take over, and brings the killed node back as the synchronous standby
# (pg_rewind when its timeline forked). Finally it quiesces and runs tests/faults/check.py on
# the PostgreSQL database: 0 acked events lost, 0 applied twice, every agent event arrived,
# state equal to a rebuild, every unblock delivered; and it reports the failover time (the
# last ack before the kill to the first ack after, tests/ha/ackwatch.py), p50 and max, for
# the fault-load agents and for the real agent, against the 10 s target (exit 1 if missed).
#
#   bash tests/ha/run-failover.sh           # the whole test, about 4 minutes (10 kills: 6)
#   HA_MODE=cluster bash tests/ha/run-failover.sh
#                                           # only the database cluster: a planned switchover
#                                           # and a killed primary, no broker
# Settings (environment):
#   HA_KILLS=5            node kills
#   HA_SWITCHOVERS=1      planned switchovers (patronictl switchover) under load, first
#   FAULT_SEED=N          replays the moments (printed at the start)
#   HA_LOADS=2 HA_RATE=100 HA_PROJECTS=2000   load agents, events/s each, projects each
#   HA_AGENT_PROJECTS=2000  projects the real agent may reach (it is fed about 3 events/s)
#   HA_TTL=7 HA_LOOP_WAIT=1 HA_RETRY_TIMEOUT=3    Patroni's timing (README, "Running highly
#                         available": the settings that make failover faster)
#   HA_BROKER_DB=guarded  each permitd on its own node's PostgreSQL through HAProxy, only
#                         while that node's Patroni is alive (/health); direct: the node's port
#   HA_ETCD_LEADER=witness  keep etcd's leader on the witness (any: leave it where it is)
#   HA_TARGET_MS=10000    the failover target
#   HA_PORT_BASE=26100    ports BASE+10..BASE+79 on 127.0.0.1
#   PERMIT_BIN=DIR        use these binaries (default: a release build in build-ha-failover/)
#   KEEP_TMP=1            keep the folder (logs of every process) for a post-mortem
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HA_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HA_MODE=${HA_MODE:-full}
HA_KILLS=${HA_KILLS:-5}
HA_SWITCHOVERS=${HA_SWITCHOVERS:-1}
HA_AGENT_PROJECTS=${HA_AGENT_PROJECTS:-2000}
HA_LOADS=${HA_LOADS:-2}
HA_RATE=${HA_RATE:-100}
HA_PROJECTS=${HA_PROJECTS:-2000}
HA_TTL=${HA_TTL:-7}
HA_LOOP_WAIT=${HA_LOOP_WAIT:-1}
HA_RETRY_TIMEOUT=${HA_RETRY_TIMEOUT:-3}
HA_BROKER_DB=${HA_BROKER_DB:-guarded}
HA_PORT_BASE=${HA_PORT_BASE:-26100}
HA_TARGET_MS=${HA_TARGET_MS:-10000}
HA_USER=${HA_USER:-nobody}
[[ "$HA_MODE" == full || "$HA_MODE" == cluster ]] || {
    echo "run-failover: HA_MODE must be full or cluster" >&2
    exit 64
}
((EUID == 0)) || {
    echo "run-failover: run as root (it installs packages and runs the cluster as $HA_USER)" >&2
    exit 64
}

# ---- What it needs: Debian's packages and a release build -------------------------------
need=()
command -v patroni >/dev/null || need+=(patroni)
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v haproxy >/dev/null || need+=(haproxy)
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || need+=(postgresql-15)
command -v psql >/dev/null || need+=(postgresql-client-15)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
    echo "run-failover: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
bash "$HA_SRC/scripts/deps.sh"
if [[ -z "${PERMIT_BIN:-}" ]]; then
    PERMIT_BIN=$HA_SRC/build-ha-failover
    cmake -S "$HA_SRC" -B "$PERMIT_BIN" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$PERMIT_BIN" -j"${JOBS:-2}" >/dev/null
fi
export PERMIT_BIN
PGBIN=/usr/lib/postgresql/15/bin

# shellcheck source=../faults/lib.sh
source "$HA_SRC/tests/faults/lib.sh"
# shellcheck source=../integration/notify_lib.sh
source "$PERMIT_SRC/tests/integration/notify_lib.sh"
# shellcheck source=../integration/agent_lib.sh
source "$PERMIT_SRC/tests/integration/agent_lib.sh"
TEST_NAME=ha-failover
chmod 711 "$T" # the cluster's user must get through to its node folders

# ---- Ports (all on 127.0.0.1) --------------------------------------------------------------
B=$HA_PORT_BASE
ETCD_CLIENT=(- $((B + 11)) $((B + 13)) $((B + 15))) # etcd1 (db1), etcd2 (db2), etcd3 (witness)
ETCD_PEER=(- $((B + 12)) $((B + 14)) $((B + 16)))
PG_PORT_OF=(- $((B + 31)) $((B + 32)))
REST_PORT=(- $((B + 41)) $((B + 42)))
HAP_PG=$((B + 50))
HAP_INGEST=$((B + 51))
HAP_STATS=$((B + 59))
BR_INGEST=(- $((B + 61)) $((B + 71)))
BR_PUBLISH=(- $((B + 62)) $((B + 72)))
BR_QUERY=(- $((B + 63)) $((B + 73)))
for p in $(seq $((B + 10)) $((B + 79))); do
    if ss -Htln "sport = :$p" | grep -q .; then
        fail "port $p is taken: set HA_PORT_BASE to a free range"
    fi
done
ETCD_HOSTS="127.0.0.1:${ETCD_CLIENT[1]},127.0.0.1:${ETCD_CLIENT[2]},127.0.0.1:${ETCD_CLIENT[3]}"
ETCD_URLS="http://${ETCD_HOSTS//,/,http://}"
PG_URI="postgresql://permit@127.0.0.1:$HAP_PG/permit?connect_timeout=2"
PG_URI_POSTGRES="postgresql://permit@127.0.0.1:$HAP_PG/postgres?connect_timeout=2"

declare -A ETCD_PID=() PATRONI_PID=() SUP_PID=()
HAPROXY_PID=
WATCH_PID=

# ---- Teardown: everything this script started, by PID --------------------------------------
postmaster_pid() {
    local f=$T/node$1/data/postmaster.pid pid
    [[ -r "$f" ]] || return 1
    read -r pid <"$f" || return 1
    pid_alive "$pid" || return 1
    echo "$pid"
}

ha_teardown() {
    local n i pid
    touch "$T/stop"
    for n in 1 2; do
        [[ -n "${SUP_PID[$n]:-}" ]] && kill_wait "${SUP_PID[$n]}" TERM 2
        if [[ -s "$T/node$n/permitd.pid" ]]; then
            kill_wait "$(<"$T/node$n/permitd.pid")" TERM 5
        fi
    done
    [[ -n "$WATCH_PID" ]] && kill_wait "$WATCH_PID" TERM 2
    for n in 1 2; do
        [[ -n "${PATRONI_PID[$n]:-}" ]] && kill_wait "${PATRONI_PID[$n]}" TERM 20
        if pid=$(postmaster_pid "$n"); then
            kill -s QUIT "$pid" 2>/dev/null || true
            kill_wait "$pid" TERM 5
        fi
    done
    [[ -n "$HAPROXY_PID" ]] && kill_wait "$HAPROXY_PID" TERM 3
    for i in 1 2 3; do
        [[ -n "${ETCD_PID[$i]:-}" ]] && kill_wait "${ETCD_PID[$i]}" TERM 3
    done
    return 0
}
ha_exit() {
    local rc=$?
    ha_teardown || true
    (exit "$rc")
    cleanup
}
trap ha_exit EXIT

ha_fail() {
    local n
    for n in 1 2; do
        for f in "$T/node$n/patroni.log" "$T/node$n/permitd.log"; do
            [[ -s "$f" ]] && { echo "--- last lines of $f ---" >&2; tail -n 15 "$f" >&2; }
        done
    done
    fail "$@"
}

# ---- etcd: three members, one per server ---------------------------------------------------
start_etcd() {
    local i=$1 cluster=
    for j in 1 2 3; do
        cluster+="${cluster:+,}etcd$j=http://127.0.0.1:${ETCD_PEER[$j]}"
    done
    # disowned: no job notice when the nemesis kills it
    etcd --name "etcd$i" --data-dir "$T/etcd$i" \
        --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
        --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
        --initial-cluster "$cluster" --initial-cluster-state new \
        --initial-cluster-token permit-ha --heartbeat-interval 100 --election-timeout 1000 \
        >>"$T/etcd$i.log" 2>&1 &
    ETCD_PID[$i]=$!
    disown "${ETCD_PID[$i]}"
}

etcd_healthy() {
    ETCDCTL_API=3 etcdctl --endpoints="$ETCD_URLS" --command-timeout=1s endpoint health \
        >/dev/null 2>&1
}

# ---- Patroni + PostgreSQL, as $HA_USER ------------------------------------------------------
write_patroni_conf() {
    local n=$1 d=$T/node$1
    mkdir -p "$d"
    cat >"$d/patroni.yml" <<YAML
# Generated by tests/ha/run-failover.sh from deploy/ha/patroni-db$n.yml (loopback ports).
scope: permit
name: db$n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${REST_PORT[$n]}
  connect_address: 127.0.0.1:${REST_PORT[$n]}
etcd3:
  hosts: $ETCD_HOSTS
bootstrap:
  dcs:
    ttl: $HA_TTL
    loop_wait: $HA_LOOP_WAIT
    retry_timeout: $HA_RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
        max_connections: 100
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${PG_PORT_OF[$n]}
  connect_address: 127.0.0.1:${PG_PORT_OF[$n]}
  data_dir: $d/data
  bin_dir: $PGBIN
  pgpass: $d/pgpass
  authentication:
    superuser:
      username: permit
    replication:
      username: replicator
    rewind:
      username: permit
  parameters:
    unix_socket_directories: $d
    fsync: "on"
    synchronous_commit: "on"
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
YAML
    chown -R "$HA_USER:" "$d"
}

start_patroni() {
    local n=$1
    setpriv --reuid="$HA_USER" --regid="$(id -g "$HA_USER")" --clear-groups \
        env HOME="$T/node$n" patroni "$T/node$n/patroni.yml" >>"$T/node$n/patroni.log" 2>&1 &
    PATRONI_PID[$n]=$!
    disown "${PATRONI_PID[$n]}"
}

# Patroni's own view: the members as JSON lines {name, role, state, lag}.
members() {
    patronictl -c "$T/node1/patroni.yml" list -f json 2>/dev/null |
        jq -c '.[] | {name: .Member, role: .Role, state: .State, lag: ."Lag in MB"}'
}

# The node whose Patroni answers 200 on /primary (empty when none does).
primary_node() {
    local n
    for n in 1 2; do
        if curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:${REST_PORT[$n]}/primary"; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

has_primary() {
    primary_node >/dev/null
}

# Both nodes up, the replica streaming and chosen as synchronous standby: the state in which
# a failover loses nothing acked.
cluster_synced() {
    local out
    out=$(members) || return 1
    [[ $(grep -c '"role":"Leader".*"state":"running"' <<<"$out") == 1 ]] || return 1
    # Patroni 3.0 says "running" for a replica, later versions "streaming"; a Sync Standby is
    # in the primary's pg_stat_replication as synchronous either way.
    grep -Eq '"role":"Sync Standby","state":"(streaming|running)"' <<<"$out"
}

# psql_router [URI] -c SQL: through HAProxy, on the database permit unless URI says otherwise.
psql_router() {
    local uri=$PG_URI
    if [[ "$1" == postgresql://* ]]; then
        uri=$1
        shift
    fi
    psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$uri" "$@"
}

# ---- HAProxy: PostgreSQL by Patroni's /primary check, the broker by its ingest port -------
start_haproxy() {
    local n
    cat >"$T/haproxy.cfg" <<CFG
# Generated by tests/ha/run-failover.sh from deploy/ha/haproxy.cfg (loopback ports).
global
    maxconn 1000
defaults
    mode tcp
    timeout connect 2s
    timeout client 30m
    timeout server 30m
    timeout check 1s
listen stats
    mode http
    bind 127.0.0.1:$HAP_STATS
    stats enable
    stats uri /
listen postgres
    bind 127.0.0.1:$HAP_PG
    option httpchk
    http-check send meth GET uri /primary
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
    server db1 127.0.0.1:${PG_PORT_OF[1]} check port ${REST_PORT[1]}
    server db2 127.0.0.1:${PG_PORT_OF[2]} check port ${REST_PORT[2]}
listen permit_ingest
    bind 127.0.0.1:$HAP_INGEST
    default-server inter 500ms fastinter 250ms fall 1 rise 1 on-marked-down shutdown-sessions
    server db1 127.0.0.1:${BR_INGEST[1]} check
    server db2 127.0.0.1:${BR_INGEST[2]} check
CFG
    # Each node's broker reaches its own PostgreSQL through here, only while that node's
    # Patroni is alive and its PostgreSQL running (Patroni's /health; on a real node this
    # listen is in the node's own HAProxy): a PostgreSQL whose Patroni died is cut off.
    for n in 1 2; do
        cat >>"$T/haproxy.cfg" <<CFG
listen db${n}_guarded
    bind 127.0.0.1:$((B + 32 + n))
    option httpchk
    http-check send meth GET uri /health
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
    server db$n 127.0.0.1:${PG_PORT_OF[$n]} check port ${REST_PORT[$n]}
CFG
    done
    haproxy -f "$T/haproxy.cfg" -db >>"$T/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
}

# ---- permitd, one per node, restarted on exit like systemd's Restart=always ----------------
write_permitd_conf() {
    local n=$1 db
    case $HA_BROKER_DB in
    guarded) db="postgresql://permit@127.0.0.1:$((B + 32 + n))/permit?connect_timeout=2" ;;
    direct) db="postgresql://permit@127.0.0.1:${PG_PORT_OF[$n]}/permit?connect_timeout=2" ;;
    *) fail "HA_BROKER_DB must be guarded or direct" ;;
    esac
    cat >"$T/node$n/permitd.conf" <<CONF
; Generated by tests/ha/run-failover.sh from deploy/ha/permitd.conf (loopback, plain sockets).
[permitd]
db = $db
db_timeout_ms = ${HA_DB_TIMEOUT_MS:-5000}
ingest = tcp://127.0.0.1:${BR_INGEST[$n]}
publish = tcp://127.0.0.1:${BR_PUBLISH[$n]}
query = tcp://127.0.0.1:${BR_QUERY[$n]}
log_level = info
curve = no
CONF
}

# The supervisor of node N's broker: runs until $T/stop exists; pauses while the node is down.
supervise() {
    local n=$1 rc pid
    trap - EXIT
    while [[ ! -e "$T/stop" ]]; do
        if [[ -e "$T/node$n.down" ]]; then
            sleep 0.1
            continue
        fi
        "$PERMITD" --config "$T/node$n/permitd.conf" >>"$T/node$n/permitd.log" 2>&1 &
        pid=$!
        echo "$pid" >"$T/node$n/permitd.pid"
        rc=0
        wait "$pid" || rc=$?
        echo "$(date +%s%3N) $pid exited $rc" >>"$T/node$n/permitd.exits"
        sleep 0.5 # RestartSec=500ms
    done
}

start_supervisor() {
    supervise "$1" 2>/dev/null & # its stderr: bash's notice when a kill -9 ends permitd
    SUP_PID[$1]=$!
}

broker_ready_on() {
    local n=$1 pid
    [[ -s "$T/node$n/permitd.pid" ]] || return 1
    pid=$(<"$T/node$n/permitd.pid")
    pid_alive "$pid" || return 1
    # "ready:" logged by the broker now running (the log holds every start).
    awk -v p="permitd[$pid]" 'index($0, p) && /ready:/ {f = 1} END {exit !f}' \
        "$T/node$n/permitd.log"
}

# ---- Killing a node: every process of it at once ------------------------------------------
kill_node() {
    local n=$1 pids=() pid
    touch "$T/node$n.down"
    [[ -n "${ETCD_PID[$n]:-}" ]] && pids+=("${ETCD_PID[$n]}")
    [[ -n "${PATRONI_PID[$n]:-}" ]] && pids+=("${PATRONI_PID[$n]}")
    if pid=$(postmaster_pid "$n"); then
        pids+=("$pid")
        mapfile -t -O "${#pids[@]}" pids < <(pgrep -P "$pid")
    fi
    if [[ -s "$T/node$n/permitd.pid" ]]; then
        pids+=("$(<"$T/node$n/permitd.pid")")
    fi
    kill -s KILL "${pids[@]}" 2>/dev/null || true
    echo "$(date +%s%3N) db$n" >>"$T/kills"
    for pid in "${pids[@]}"; do
        while pid_alive "$pid"; do sleep 0.02; done
    done
    ETCD_PID[$n]=''
    PATRONI_PID[$n]=''
}

start_node() {
    local n=$1
    start_etcd "$n"
    start_patroni "$n"
    rm -f "$T/node$n.down"
}

# What deploy/ha/etcd-leader-to-witness.sh does every minute: keep etcd's leader on the
# witness. A new etcd leader renews every lease for a full TTL, so a leader dying with the
# primary's node would add a TTL to that failover.
etcd_leader_to_witness() {
    local st id leader
    [[ "${HA_ETCD_LEADER:-witness}" == witness ]] || return 0
    # "ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, ...": IDs in hex (64-bit: not through jq,
    # whose numbers are doubles, nor bash arithmetic).
    st=$(ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:${ETCD_CLIENT[3]}" endpoint status \
        -w simple 2>/dev/null) || return 0
    id=$(cut -d, -f2 <<<"$st" | tr -d ' ')
    leader=$(cut -d, -f5 <<<"$st" | tr -d ' ')
    [[ -n "$id" && "$leader" == false ]] || return 0
    ETCDCTL_API=3 etcdctl --endpoints="$ETCD_URLS" move-leader "$id" >>"$T/etcd-move.log" 2>&1 ||
        step "etcd: could not move the leader to the witness: $(tail -n 1 "$T/etcd-move.log")"
}

# The etcd member that leads now: db1, db2 or witness.
etcd_leader_name() {
    local i names=(- db1 db2 witness) st
    for i in 1 2 3; do
        st=$(ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:${ETCD_CLIENT[$i]}" \
            --command-timeout=1s endpoint status -w simple 2>/dev/null) || continue
        if [[ $(cut -d, -f5 <<<"$st" | tr -d ' ') == true ]]; then
            echo "${names[$i]}"
            return 0
        fi
    done
    echo none
}

nap_s() { # nap_s MIN MAX: sleep a seeded random time between MIN and MAX seconds
    rnd $((($2 - $1) * 1000))
    sleep "$(printf '%d.%03d' $(($1 + RND / 1000)) $((RND % 1000)))"
}

write_ok() {
    psql_router -c "INSERT INTO t VALUES (1002 + $(date +%s%N) % 1000000)" 2>/dev/null
}

# ---- The cluster -----------------------------------------------------------------------------
fault_seed
step "etcd: 3 members on ports ${ETCD_CLIENT[*]:1}"
for i in 1 2 3; do start_etcd "$i"; done
wait_for 30 "etcd to be healthy" etcd_healthy

step "Patroni + PostgreSQL 15 on db1 (port ${PG_PORT_OF[1]}) and db2 (${PG_PORT_OF[2]}):" \
    "ttl $HA_TTL, loop_wait $HA_LOOP_WAIT, retry_timeout $HA_RETRY_TIMEOUT, synchronous_mode"
write_patroni_conf 1
write_patroni_conf 2
start_patroni 1
wait_for 90 "db1 to bootstrap as the primary" has_primary
start_patroni 2
wait_for 120 "db2 to stream as the synchronous standby" cluster_synced
start_haproxy
router_up() {
    psql_router "$PG_URI_POSTGRES" -c "SELECT 1" >/dev/null 2>&1
}
wait_for 20 "HAProxy to route to the primary" router_up
# HAProxy may still pass a first connection to the replica (its checks have not run yet).
db_created() {
    [[ $(psql_router "$PG_URI_POSTGRES" -c "SELECT count(*) FROM pg_database
        WHERE datname = 'permit'" 2>/dev/null) == 1 ]] && return 0
    psql_router "$PG_URI_POSTGRES" -c "CREATE DATABASE permit" >/dev/null 2>&1 || true
    return 1
}
wait_for 30 "the database permit" db_created
members >"$T/members.start"
step "cluster up: $(jq -r '"\(.name) \(.role) \(.state)"' "$T/members.start" | paste -sd ',' | sed 's/,/, /g')"

if [[ "$HA_MODE" == cluster ]]; then
    psql_router -c "CREATE TABLE t(i int primary key)"
    psql_router -c "INSERT INTO t SELECT generate_series(1, 1000)"
    old=$(primary_node)
    other=$((3 - old))
    step "planned switchover db$old -> db$other (patronictl switchover)"
    patronictl -c "$T/node1/patroni.yml" switchover --leader "db$old" --candidate "db$other" \
        --force >"$T/switchover.out" 2>&1 || ha_fail "switchover: $(cat "$T/switchover.out")"
    wait_for 60 "db$other to lead with db$old as its synchronous standby" cluster_synced
    [[ $(primary_node) == "$other" ]] || ha_fail "db$other is not the primary after the switchover"
    psql_router -c "INSERT INTO t VALUES (1001)"
    etcd_leader_to_witness
    step "kill every process of db$other (the primary)"
    t0=$(date +%s%3N)
    kill_node "$other"
    wait_for 60 "a write through HAProxy after the kill" write_ok
    t1=$(date +%s%3N)
    step "database failover: first write through HAProxy $((t1 - t0)) ms after the kill"
    [[ $(psql_router -c "SELECT count(*) FROM t WHERE i <= 1001") == 1001 ]] ||
        ha_fail "rows acked before the kill are missing"
    start_node "$other"
    wait_for 120 "db$other back as the synchronous standby" cluster_synced
    step "db$other is back: $(members | jq -r '"\(.name) \(.role) \(.state)"' | paste -sd ',')"
    exit 0
fi

# ---- The brokers ----------------------------------------------------------------------------
# Each permitd reaches its own node's PostgreSQL, through HAProxy's per-node listen while
# that node's Patroni is alive (HA_BROKER_DB=guarded, what deploy/ha/ ships): a PostgreSQL
# left running by a dead Patroni is cut off. The broker itself serves only while its database
# is the primary (pg_is_in_recovery()) and the fencing epoch is its own.
# HA_BROKER_DB=direct connects to the node's port directly.
step "brokers: one permitd per node (db $HA_BROKER_DB), restarted on exit; HAProxy in front"
for n in 1 2; do write_permitd_conf "$n"; done
start_supervisor 1
start_supervisor 2
primary=$(primary_node)
wait_for 60 "the broker on db$primary (the primary) to log ready:" broker_ready_on "$primary"
BROKER_LOG=$T/node$primary/permitd.log
wait_for 20 "the broker on db$((3 - primary)) to say why it waits" \
    test -s "$T/node$((3 - primary))/permitd.log"
step "db$primary serves; db$((3 - primary)) waits: $(tail -n 1 "$T/node$((3 - primary))/permitd.log" | cut -c1-200)"

# Clients: lists of both brokers' endpoints (permitctl, the notifier); the load agents go
# through HAProxy's ingest listen (fault-load takes one endpoint).
export PERMIT_BROKER="tcp://127.0.0.1:${BR_INGEST[1]},tcp://127.0.0.1:${BR_INGEST[2]}"
export PERMIT_QUERY="tcp://127.0.0.1:${BR_QUERY[1]},tcp://127.0.0.1:${BR_QUERY[2]}"
export PERMIT_PUBLISH="tcp://127.0.0.1:${BR_PUBLISH[1]},tcp://127.0.0.1:${BR_PUBLISH[2]}"
QUERY=$PERMIT_QUERY PUBLISH=$PERMIT_PUBLISH
INGEST=tcp://127.0.0.1:$HAP_INGEST
DB=$PG_URI
fault_import
start_http web
routes_unblocked_webhook
notify_conf silence_ms=2000 query_timeout_ms=1000
start_notify

# One real department agent daemon (CTB) with both brokers in its list, fed through its
# outbox (send --queue) with RELICS accepted and approved for projects of its own.
register_projects HA "$HA_AGENT_PROJECTS"
INGEST=$PERMIT_BROKER agent_conf ctb CTB
start_agent ctb
feed_agent() {
    local i p
    trap - EXIT
    for ((i = 1; i <= HA_AGENT_PROJECTS; i++)); do
        [[ -e "$T/feed.stop" ]] && break
        p=$(printf 'HA-%03d' "$i")
        for kind in accepted approved; do
            "$PERMIT_AGENT" send --queue --config "$T/ctb.conf" --project "$p" \
                --procedure RELICS --event "$kind" >/dev/null 2>>"$T/feed.err" &&
                echo "$p $kind" >>"$T/feed.log"
        done
        sleep 0.3
    done
}
feed_agent &
FEED_PID=$!
CHILDREN+=("$FEED_PID")

acked_files=()
for ((i = 1; i <= HA_LOADS; i++)); do acked_files+=("$T/load$i.acked"); done
"$PY" "$HA_SRC/tests/ha/ackwatch.py" watch --out "$T/acks.timeline" "${acked_files[@]}" &
WATCH_PID=$!
step "$HA_LOADS loads of $HA_PROJECTS projects, $HA_RATE events/s each, through HAProxy :$HAP_INGEST"
for ((i = 1; i <= HA_LOADS; i++)); do
    start_load "load$i" "H$i" "$HA_PROJECTS" --window 16 --timeout-ms 1000 --rate "$HA_RATE"
done

acked_total() {
    cat "${acked_files[@]}" 2>/dev/null | wc -l
}
acks_grew_past() {
    (($(acked_total) > $1))
}

switchovers=0
while ((switchovers < HA_SWITCHOVERS)); do
    nap_s 3 8
    old=$(primary_node) || ha_fail "no primary before switchover $((switchovers + 1))"
    new=$((3 - old))
    wait_for 30 "the broker on db$old to serve" broker_ready_on "$old"
    switchovers=$((switchovers + 1))
    step "switchover $switchovers/$HA_SWITCHOVERS: db$old -> db$new (patronictl switchover)," \
        "$(acked_total) acks so far"
    echo "$(date +%s%3N) db$old" >>"$T/switchovers"
    patronictl -c "$T/node1/patroni.yml" switchover --leader "db$old" --candidate "db$new" \
        --force >"$T/switchover.out" 2>&1 || ha_fail "switchover: $(cat "$T/switchover.out")"
    BROKER_LOG=$T/node$new/permitd.log
    wait_for 60 "the broker on db$new to take over" broker_ready_on "$new"
    wait_for 60 "acks again after the switchover" acks_grew_past "$(acked_total)"
    sw_ms=$(tail -n 1 "$T/switchovers" | cut -d' ' -f1)
    step "db$new serves: acks again $(($(date +%s%3N) - sw_ms)) ms after the switchover began"
    wait_for 60 "the broker on db$old to step down (exit 75)" \
        grep -qs 'exited 75' "$T/node$old/permitd.exits"
    wait_for 120 "db$old back as the synchronous standby" cluster_synced
done

kills=0
while ((kills < HA_KILLS)); do
    etcd_leader_to_witness
    nap_s 3 12
    loads_running || fail "the loads finished before kill $((kills + 1)): raise HA_PROJECTS"
    old=$(primary_node) || ha_fail "no primary before kill $((kills + 1))"
    new=$((3 - old))
    wait_for 30 "the broker on db$old to serve" broker_ready_on "$old"
    before=$(acked_total)
    kills=$((kills + 1))
    step "kill $kills/$HA_KILLS: every process of db$old (the primary), $before acks so far" \
        "(etcd's leader: $(etcd_leader_name))"
    kill_node "$old"
    BROKER_LOG=$T/node$new/permitd.log
    wait_for 90 "the broker on db$new to take over" broker_ready_on "$new"
    wait_for 60 "acks again after the kill" acks_grew_past "$(acked_total)"
    kill_ms=$(tail -n 1 "$T/kills" | cut -d' ' -f1)
    step "db$new serves: acks again $(($(date +%s%3N) - kill_ms)) ms after the kill"
    nap_s 1 5
    start_node "$old"
    wait_for 180 "db$old back as the synchronous standby" cluster_synced
done

step "quiesce: the loads stop, the agent's outbox drains, every unblock is delivered"
sleep 3
touch "$T/feed.stop"
kill_wait "$FEED_PID" TERM 30
fed=$(lines_in "$T/feed.log")
wait_sent ctb "$fed" 120
stop_agent ctb
sqlite3 "$T/ctb/outbox.db" "SELECT id FROM outbox" >"$T/ctb.accepted"
sqlite3 -separator ' ' "$T/ctb/outbox.db" \
    "SELECT id, seq FROM outbox WHERE seq IS NOT NULL" >"$T/ctb.acked"
sqlite3 -separator ' ' "$T/ctb/outbox.db" "SELECT done_ms, ROW_NUMBER() OVER (ORDER BY done_ms)
    FROM outbox WHERE done_ms IS NOT NULL ORDER BY done_ms" >"$T/ctb.timeline"
for name in "${!LOAD_PID[@]}"; do
    pid=${LOAD_PID[$name]}
    [[ -n "$pid" ]] && kill_wait "$pid" TERM 10
    LOAD_PID[$name]=
done
kill_wait "$WATCH_PID" TERM 2
WATCH_PID=
n_acked=$(acked_total)
unblocks() {
    psql_router -c "SELECT COUNT(*) FROM log WHERE kind = 'unblocked'"
}
delivered() {
    jq -r .key "$T/web.jsonl" 2>/dev/null | sort -u | wc -l
}
all_delivered() {
    (($(delivered) >= $(unblocks)))
}
wait_for 120 "every unblock delivered" all_delivered
stop_notify
touch "$T/stop"
for n in 1 2; do
    kill_wait "${SUP_PID[$n]}" TERM 2
    SUP_PID[$n]=
    [[ -s "$T/node$n/permitd.pid" ]] && kill_wait "$(<"$T/node$n/permitd.pid")" TERM 15
done

step "the checker on the PostgreSQL database"
args=()
for f in "${acked_files[@]}" "$T/ctb.acked"; do [[ -e "$f" ]] && args+=(--acked "$f"); done
args+=(--accepted "$T/ctb.accepted")
rc=0
CHECK_SUMMARY=$("$PY" "$CHECK_PY" --pg "$PG_URI" --permitd "$PERMITD" --label ha-failover \
    --deliveries "$T/web.jsonl" "${args[@]}" 2>"$T/check.err") || rc=$?
((rc == 0)) || ha_fail "checker: $CHECK_SUMMARY $(cat "$T/check.err")"
echo "$CHECK_SUMMARY"
rc=0
"$PY" "$HA_SRC/tests/ha/ackwatch.py" report --timeline "$T/acks.timeline" --kills "$T/kills" \
    --target-ms "$HA_TARGET_MS" >"$T/failover.txt" || rc=$?
sed 's/^/ha-failover: fault-load /' "$T/failover.txt"
"$PY" "$HA_SRC/tests/ha/ackwatch.py" report --timeline "$T/ctb.timeline" --kills "$T/kills" \
    --target-ms "$HA_TARGET_MS" >"$T/agent-failover.txt" || true
sed 's/^/ha-failover: permit-agent CTB /' "$T/agent-failover.txt"
if [[ -s "$T/switchovers" ]]; then
    for tl in acks.timeline:fault-load ctb.timeline:"permit-agent CTB"; do
        "$PY" "$HA_SRC/tests/ha/ackwatch.py" report --timeline "$T/${tl%%:*}" --what switchover \
            --kills "$T/switchovers" --window-ms 10000 --target-ms "$HA_TARGET_MS" |
            sed "s/^/ha-failover: ${tl#*:} /" || true
    done
fi
restarts=$(cat "$T"/node*/permitd.exits 2>/dev/null | wc -l)
deposed=$(cat "$T"/node*/permitd.exits 2>/dev/null | grep -c 'exited 75' || true)
echo "ha-failover: $switchovers switchovers, $kills node kills, $n_acked fault-load and" \
    "$(lines_in "$T/ctb.acked") agent events acked, $restarts broker exits" \
    "($deposed deposed, exit 75); ttl $HA_TTL loop_wait $HA_LOOP_WAIT retry_timeout" \
    "$HA_RETRY_TIMEOUT; seed $FAULT_SEED"
((rc == 0)) || fail "failover time: $(tail -n 1 "$T/failover.txt")"
