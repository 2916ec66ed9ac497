#!/usr/bin/env bash
# An ack means durable, and a resend is applied once: four department agents stream events,
# the broker is killed with SIGKILL in the middle and restarted on the same database, and in
# the end every acked event is in the log exactly once under the sequence number it was acked
# with, every send succeeded, and the log has no gap and no duplicate id.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPROJ=60
# The owners of the procedures without prerequisites.
AGENTS=(NRB:LAND_PREREVIEW EEB:EIA WRB:SOIL_WATER CTB:RELICS)

start_broker
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
tmplname=$(csv_value "$PERMIT_SRC/deploy/projects.csv" id TL-2026-001 template)
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    for ((i = 1; i <= NPROJ; i++)); do
        printf 'K9-%03d,断电测试项目%d号,开鲁县,物流,开鲁县物流园有限公司,赵管家,钱领导,%s,\n' \
            "$i" "$i" "$tmplname"
    done
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"

# One department's agent: accepted then approved for its procedure of every project. Each
# ack is recorded as "id seq"; a send that never succeeded as "id rc: stderr".
agent_loop() {
    local dept=$1 proc=$2 i p id kind rc out
    for ((i = 1; i <= NPROJ; i++)); do
        p=$(printf 'K9-%03d' "$i")
        for kind in accepted approved; do
            id="k9-$dept-$p-$kind"
            rc=0
            out=$("$PERMIT_AGENT" send --dept "$dept" --project "$p" --procedure "$proc" \
                --event "$kind" --id "$id" --cert "$dept-$i" --tries 40 --timeout 500 \
                2>"$T/agent-$dept.err") || rc=$?
            if ((rc == 0)); then
                echo "$id $out" >>"$T/agent-$dept.acks"
            else
                echo "$id $rc: $(tr '\n' ' ' <"$T/agent-$dept.err")" >>"$T/agent-$dept.fail"
            fi
        done
    done
}

acks_total() {
    cat "$T"/agent-*.acks 2>/dev/null | wc -l
}
at_least_acks() {
    if cat "$T"/agent-*.fail 2>/dev/null | grep -q .; then
        fail "a send failed: $(cat "$T"/agent-*.fail | head -n 3)"
    fi
    (($(acks_total) >= $1))
}

step "4 agents, $NPROJ projects, 2 events each"
PIDS=()
for a in "${AGENTS[@]}"; do
    agent_loop "${a%%:*}" "${a#*:}" &
    PIDS+=("$!")
    CHILDREN+=("$!")
done

wait_for 60 "the first 60 acks" at_least_acks 60
before=$(acks_total)
step "kill -9 the broker after $before acks"
kill9_broker
sleep 0.5
step "restart it on the same database"
start_broker

for pid in "${PIDS[@]}"; do
    wait "$pid" || fail "an agent loop failed"
done
after=$(acks_total)
step "the agents are done: $after acks"
((after > before)) || fail "no event was acked after the restart"

step "every send eventually succeeded"
if cat "$T"/agent-*.fail >"$T/fails" 2>/dev/null && [[ -s "$T/fails" ]]; then
    fail "$(wc -l <"$T/fails") sends failed, e.g. $(head -n 3 "$T/fails")"
fi
((after == 4 * NPROJ * 2)) || fail "$after acks, expected $((4 * NPROJ * 2))"

step "every acked id is in the log once, under its acked seq"
# The log's "id seq" rows first, then the acks' "id seq" lines: the join is done by awk.
dbq "SELECT event_id, seq FROM log WHERE event_id LIKE 'k9-%'" >"$T/logged.txt"
bad=$(cat "$T"/agent-*.acks | awk -v logged="$T/logged.txt" '
    BEGIN { while ((getline line < logged) > 0) { split(line, f, " ")
                if (n[f[1]]++) seqs[f[1]] = seqs[f[1]] "," f[2]; else seqs[f[1]] = f[2] } }
    (n[$1] != 1 || seqs[$1] != $2) && shown++ < 5 {
        printf "%s acked %s, logged %d time(s) as %s; ", $1, $2, n[$1], ($1 in seqs) ? seqs[$1] : "-" }')
[[ -z "$bad" ]] || fail "acked events not logged as acked: $bad"
dup=$(dbq "SELECT event_id || ' x' || COUNT(*) FROM log WHERE event_id IS NOT NULL
        AND event_id != '' GROUP BY event_id HAVING COUNT(*) > 1 LIMIT 5")
[[ -z "$dup" ]] || fail "event ids logged more than once: $dup"
n=$(dbq "SELECT COUNT(*) FROM log WHERE event_id LIKE 'k9-%'")
((n == 4 * NPROJ * 2)) || fail "the log holds $n agent events, expected $((4 * NPROJ * 2))"
read -r count maxseq < <(dbq "SELECT COUNT(*), MAX(seq) FROM log")
((count == maxseq)) || fail "the log has $count entries but seqs up to $maxseq: a gap"

step "derived entries were neither lost nor doubled by the crash"
log_json --kind unblocked >"$T/unblocked.json"
for proc in PROJECT_APPROVAL FOREST_USE; do
    n=$(jq -s --arg p "$proc" '[.[] | select(.procedure == $p and (.project | startswith("K9-")))]
        | length' "$T/unblocked.json")
    ((n == NPROJ)) || fail "$proc was unblocked $n times across $NPROJ projects"
done
for p in K9-001 K9-030 K9-060; do
    ctl status "$p" --json
    n=$(jq '[.procs[] | select(.state == "approved")] | length' <<<"$OUT")
    ((n == 4)) || fail "$p has $n approved procedures, expected 4: $OUT"
done

stop_broker

step "a rebuild after the crash gives the same procedures"
db_dump procedures "project, ordinal" >"$T/live.txt"
rc=0
"$PERMITD" --db "$DB" --rebuild >"$T/rebuild.log" 2>&1 || rc=$?
((rc == 0)) || fail "permitd --rebuild exited $rc: $(tail -n 20 "$T/rebuild.log")"
db_dump procedures "project, ordinal" >"$T/rebuilt.txt"
diff -u "$T/live.txt" "$T/rebuilt.txt" >"$T/diff" || fail "rebuild differs: $(head -n 30 "$T/diff")"
