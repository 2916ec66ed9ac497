# Helpers of the department agent daemon's integration tests (test_agent_*.sh); sourced after
# lib.sh. Each agent NAME gets a config $T/NAME.conf, a state folder $T/NAME (its outbox and
# spool) and a log $T/agent-NAME.N.err per start, on the test's broker endpoint, with timers
# short enough that a lost broker is noticed in about a second.
#
#   agent_conf NAME DEPT [KEY=VALUE...]   write $T/NAME.conf (extra keys override)
#   start_agent NAME [LOG]   run it in the background, wait for "ready:" in its log (LOG when
#                         the config names a log_file); AGENT_LOG names the log
#   stop_agent NAME       SIGTERM, wait, fail unless it exited 0 (ASan: no leak, no error)
#   kill9_agent NAME      SIGKILL
#   drop_file NAME FILE   move FILE into NAME's spool the way a sender should: copy it in under
#                         a dot-name, then rename it
#   agent_json NAME       permit-agent status --json: left in OUT
#   agent_field NAME JQ   one field of the status (e.g. .queued)
#   wait_sent NAME N SECS wait until the outbox holds N sent events and nothing queued
#   register_projects PREFIX N   import N projects PREFIX-001... on the standard template
#   start_with_projects PREFIX N start the broker, import the sample departments and template
#                         and N projects PREFIX-001...
#   check_once LIKE N     the log holds N department events of the projects matching LIKE,
#                         each id once, and no id anywhere twice
#   check_chains LIKE KINDS [PROCS]   every (project, procedure) matching LIKE (and one of
#                         the space-separated procedure codes PROCS) went through KINDS, in
#                         that order, nothing else
#
# shellcheck shell=bash disable=SC2034

declare -A AGENT_PID=()
declare -A AGENT_STARTS=()
AGENT_LOG=

agent_conf() {
    local name=$1 dept=$2 kv
    shift 2
    {
        echo "; written by $TEST_NAME"
        echo "[agent]"
        echo "dept = $dept"
        echo "state = $T/$name"
        echo "broker = $INGEST"
        echo "heartbeat_ms = 200"
        echo "timeout_ms = 1500"
        echo "backoff_min_ms = 50"
        echo "backoff_max_ms = 400"
        echo "scan_ms = 50"
        echo "drain_ms = 3000"
        for kv in "$@"; do
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$T/$name.conf"
}

agent_is_ready() {
    local name=$1
    pid_alive "${AGENT_PID[$name]}" ||
        fail "permit-agent $name died while starting: $(tail -n 5 "$T/agent-$name.${AGENT_STARTS[$name]}.err")"
    grep -qs "ready:" "$AGENT_LOG"
}

start_agent() {
    local name=$1 n
    n=$((${AGENT_STARTS[$name]:-0} + 1))
    AGENT_STARTS[$name]=$n
    spawn "agent-$name.$n" "$PERMIT_AGENT" run --config "$T/$name.conf"
    AGENT_PID[$name]=$SPAWNED
    AGENT_LOG=${2:-$T/agent-$name.$n.err}
    wait_for 20 "permit-agent $name to log ready:" agent_is_ready "$name"
}

stop_agent() {
    stop_child "${AGENT_PID[$1]}" "agent-$1.${AGENT_STARTS[$1]}"
}

kill9_agent() {
    local pid=${AGENT_PID[$1]}
    kill -s KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

drop_file() {
    local name=$1 file=$2 base
    base=$(basename "$file")
    cp "$file" "$T/$name/spool/.$base"
    mv "$T/$name/spool/.$base" "$T/$name/spool/$base"
}

agent_json() {
    run "$PERMIT_AGENT" status --state "$T/$1" --json
    ((RC == 0)) || fail "permit-agent status $1 exited $RC: $ERR"
}

agent_field() {
    agent_json "$1"
    jq -r "$2" <<<"$OUT"
}

sent_and_empty() {
    local name=$1 want=$2
    agent_json "$name"
    [[ "$(jq -r '"\(.sent) \(.queued)"' <<<"$OUT")" == "$want 0" ]]
}

wait_sent() {
    wait_for "$3" "agent $1 to have $2 events acked and none queued" sent_and_empty "$1" "$2"
}

register_projects() {
    local prefix=$1 n=$2 i
    {
        head -n 1 "$PERMIT_SRC/deploy/projects.csv"
        for ((i = 1; i <= n; i++)); do
            printf '%s-%03d,代理测试项目%d号,科尔沁区,物流,某物流有限公司,赵管家,钱领导,,\n' \
                "$prefix" "$i" "$i"
        done
    } >"$T/projects-$prefix.csv"
    ctl import projects "$T/projects-$prefix.csv"
}

start_with_projects() {
    start_broker
    ctl import departments "$PERMIT_SRC/deploy/departments.csv"
    ctl import template "$PERMIT_SRC/deploy/template.csv"
    register_projects "$1" "$2"
}

# Department events in the broker's log whose project matches the LIKE pattern.
events_sql() {
    echo "SELECT seq, event_id, kind, actor, project, procedure, event_ms FROM log
          WHERE event_id IS NOT NULL AND project LIKE '$1' AND kind IN ('accepted',
          'accepted_deficient', 'supplement_requested', 'supplement_received',
          'commitment_fulfilled', 'approved', 'rejected', 'not_required', 'withdrawn')"
}

check_once() {
    local like=$1 want=$2 n ids dup
    read -r n ids < <(dbq "SELECT COUNT(*), COUNT(DISTINCT e.event_id)
        FROM ($(events_sql "$like")) AS e")
    ((n == want)) || fail "the log holds $n events of projects $like, expected $want"
    ((ids == want)) || fail "the log holds $n events of projects $like but only $ids ids"
    dup=$(dbq "SELECT event_id || ' x' || COUNT(*) FROM log WHERE event_id IS NOT NULL
        GROUP BY event_id HAVING COUNT(*) > 1 LIMIT 5")
    [[ -z "$dup" ]] || fail "event ids logged more than once: $dup"
}

# The chains are put together here rather than in SQL (group_concat and string_agg differ).
check_chains() {
    local like=$1 kinds=$2 procs=${3:-} where='' bad
    [[ -z "$procs" ]] || where="WHERE e.procedure IN ('${procs// /\', \'}')"
    bad=$(dbq "SELECT e.project, e.procedure, e.kind FROM ($(events_sql "$like")) AS e $where
        ORDER BY e.project, e.procedure, e.seq" | awk -v want="$kinds" '
        { key = $1 " " $2
          if (key in chain) chain[key] = chain[key] " " $3
          else { order[n++] = key; chain[key] = $3 } }
        END { for (i = 0; i < n && shown < 5; i++) if (chain[order[i]] != want) {
                  printf "%s%s: %s", shown++ ? "; " : "", order[i], chain[order[i]] } }')
    [[ -z "$bad" ]] || fail "events of a procedure out of order or missing (want $kinds): $bad"
}
