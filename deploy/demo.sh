#!/usr/bin/env bash
# The `make run` demo: one project's pre-construction approvals flowing through real
# processes. Starts the broker in ./run/ (made fresh), loads the sample departments, template
# and projects, follows the log live with `permitctl tail -f`, and walks project TL-2026-001
# through its ten procedures as the owning departments' agents would: parallel approval,
# a supplement request, a rejection and a new application, a refused event, the unblocked
# entries and both milestones. Stops everything it started, whatever happens.
#
# usage: deploy/demo.sh [BUILD_DIR]   (default: build; DEMO_PAUSE=seconds between steps)
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
[[ -d "$BUILD" ]] || BUILD=$SRC/$BUILD
BIN=$(cd "$BUILD" 2>/dev/null && pwd) || {
    echo "demo: no build folder '${1:-build}' (run make build)" >&2
    exit 1
}
for prog in permitd permit-agent permitctl; do
    [[ -x "$BIN/$prog" ]] || {
        echo "demo: $BIN/$prog is missing (run make build)" >&2
        exit 1
    }
done
PAUSE=${DEMO_PAUSE:-0.6}
P=TL-2026-001

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' OFF=$'\e[0m'
else
    BOLD='' DIM='' RED='' OFF=''
fi

RUN=$PWD/run
rm -rf "$RUN"
mkdir -p "$RUN"
# ipc:// paths must fit a unix socket address (about 100 bytes); fall back to relative ones.
SOCK=$RUN
((${#SOCK} < 90)) || SOCK=run
export PERMIT_BROKER=ipc://$SOCK/ingest.sock
export PERMIT_QUERY=ipc://$SOCK/query.sock
export PERMIT_PUBLISH=ipc://$SOCK/publish.sock
cat >"$RUN/permitd.conf" <<EOF
; Written by deploy/demo.sh; see deploy/permitd.conf for every key.
[permitd]
db = $RUN/permit.db
ingest = $PERMIT_BROKER
publish = $PERMIT_PUBLISH
query = $PERMIT_QUERY
log_level = info
; The demo's sockets are ipc files in a private folder: plain, on purpose (never in production,
; see README "Security").
curve = no
EOF

BROKER_PID=
TAIL_PID=
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "$TAIL_PID" "$BROKER_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if ((rc != 0)); then
        echo "demo: failed (exit $rc); the broker's log is $RUN/permitd.log:" >&2
        tail -n 15 "$RUN/permitd.log" >&2 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() {
    sleep "$PAUSE"
    printf '\n%s%s%s\n' "$BOLD" "$*" "$OFF"
}
note() {
    printf '%s%s%s\n' "$DIM" "$*" "$OFF"
}

# agent DEPT PROCEDURE KIND [--cert N] [--note TEXT]: one event, as that department's agent.
agent() {
    local dept=$1 proc=$2 kind=$3 seq
    shift 3
    seq=$("$BIN/permit-agent" send --dept "$dept" --project "$P" --procedure "$proc" \
        --event "$kind" "$@")
    printf '  %-4s %-20s %-22s acked, seq %s\n' "$dept" "$proc" "$kind" "$seq"
    sleep "$PAUSE"
}

# refused DEPT PROCEDURE KIND: an event the broker must refuse; show its answer.
refused() {
    local dept=$1 proc=$2 kind=$3 rc=0 err
    err=$("$BIN/permit-agent" send --dept "$dept" --project "$P" --procedure "$proc" \
        --event "$kind" 2>&1 >/dev/null) || rc=$?
    if ((rc != 65)); then
        echo "demo: expected a refusal, permit-agent exited $rc: $err" >&2
        exit 1
    fi
    printf '  %-4s %-20s %-22s %sREFUSED%s (exit %d)\n' "$dept" "$proc" "$kind" "$RED" "$OFF" "$rc"
    printf '       %s\n' "$err"
    sleep "$PAUSE"
}

echo "${BOLD}Joint review and joint approval (联审联批): one project through ten procedures${OFF}"
note "binaries: $BIN    working folder: $RUN"

say "Starting the broker, permitd (log: run/permitd.log, database: run/permit.db)"
"$BIN/permitd" --config "$RUN/permitd.conf" 2>"$RUN/permitd.log" &
BROKER_PID=$!
for ((i = 0; i < 200; i++)); do
    grep -q "ready:" "$RUN/permitd.log" 2>/dev/null && break
    kill -0 "$BROKER_PID" 2>/dev/null || {
        echo "demo: permitd exited while starting" >&2
        exit 1
    }
    sleep 0.05
done
grep -q "ready:" "$RUN/permitd.log" || {
    echo "demo: permitd did not become ready within 10s" >&2
    exit 1
}
note "  $(grep -m1 "ready:" "$RUN/permitd.log")"

say "Loading the sample configuration (deploy/*.csv) with permitctl import"
for what in departments template projects; do
    case $what in
    departments) file=departments.csv ;;
    template) file=template.csv ;;
    projects) file=projects.csv ;;
    esac
    printf '  %s: %s\n' "$what" "$("$BIN/permitctl" import "$what" "$SRC/deploy/$file")"
done
# The official working-day calendars, as published (holidays off, make-up Saturdays worked).
for year in 2026 2027; do
    printf '  calendar: %s\n' "$("$BIN/permitctl" import calendar "$SRC/deploy/calendar/$year.json")"
done
name=$("$BIN/permitctl" status "$P" --json | jq -r '.project.name')
head=$("$BIN/permitctl" tail --json --from 0 | jq -s 'map(.seq) | max // 0')

say "Following the log live: permitctl tail -f (lines marked │ come from it)"
"$BIN/permitctl" tail -f --from "$head" > >(sed -u 's/^/  │ /' | tee "$RUN/tail.txt") &
TAIL_PID=$!

say "Project $P $name: its ten procedures start. Three need nothing first, so EEB, WRB and
CTB accept theirs side by side (环评, 水保, 文物); NRB accepts the land pre-review (用地预审)."
agent NRB LAND_PREREVIEW accepted --note "用地预审材料齐全，予以受理"
agent EEB EIA accepted
agent WRB SOIL_WATER accepted
agent CTB RELICS accepted
note "The project approval (项目审批) only needs the land pre-review *accepted* (串联改并联):"
note "see the unblocked entry for PROJECT_APPROVAL, DRC's turn."

say "DRC accepts the project approval; the energy-saving review (节能审查) runs in parallel too."
agent DRC PROJECT_APPROVAL accepted

say "HCB tries to accept the construction permit (施工许可) far too early: refused, with the reason."
refused HCB CONSTRUCTION_PERMIT accepted

say "NRB needs more material (补正): the clock pauses until the applicant supplies it."
agent NRB LAND_PREREVIEW supplement_requested --note "请补充项目用地红线图"
agent NRB LAND_PREREVIEW supplement_received --note "已补充红线图"
agent NRB LAND_PREREVIEW approved --cert "用字第150502202600001号"
note "Forest and grassland use (使用林地) needs the pre-review *approved* (hard): now unblocked for FGB."

say "DRC accepts the energy review with a deficiency (容缺受理) on a written commitment, then approves."
agent DRC ENERGY_REVIEW accepted_deficient --missing "节能报告专家评审意见" \
    --due "$(date -d '+7 days' +%F)" --note "容缺受理：申请人书面承诺7日内补交"
agent DRC PROJECT_APPROVAL approved --cert "通发改审批〔2026〕18号"
agent DRC ENERGY_REVIEW commitment_fulfilled --note "专家意见已提交"
agent DRC ENERGY_REVIEW approved --cert "通发改能审〔2026〕9号"

say "EEB rejects the environmental impact assessment (不予许可); the company revises and applies again."
agent EEB EIA rejected --note "排污口设置不符合要求，不予许可"
agent EEB EIA accepted --note "修改排污方案后重新申请"
agent EEB EIA approved --cert "通环审〔2026〕21号"
agent WRB SOIL_WATER approved --cert "通水保〔2026〕15号"
agent CTB RELICS approved --cert "通文物〔2026〕6号"

say "FGB handles forest use; then the land-use planning permit (建设用地规划许可证) is unblocked."
agent FGB FOREST_USE accepted
agent FGB FOREST_USE approved --cert "内林草审〔2026〕33号"

say "NRB issues the land-use and the engineering planning permits (规划许可)."
agent NRB LAND_PLAN_PERMIT accepted
agent NRB LAND_PLAN_PERMIT approved --cert "地字第150502202600007号"
agent NRB ENG_PLAN_PERMIT accepted
agent NRB ENG_PLAN_PERMIT approved --cert "建字第150502202600007号"
note "Every prerequisite of the construction permit is done: unblocked for HCB."

say "HCB issues the construction permit: certificates issued together (五证联发), ready to start."
agent HCB CONSTRUCTION_PERMIT accepted
agent HCB CONSTRUCTION_PERMIT approved --cert "150502202604010101"

# Let the tail catch up with the last milestone before stopping it.
for ((i = 0; i < 100; i++)); do
    grep -q READY_TO_START "$RUN/tail.txt" 2>/dev/null && break
    sleep 0.05
done

say "permitctl status $P"
"$BIN/permitctl" status "$P"

say "Stopping the tail and the broker (SIGTERM)"
kill -TERM "$TAIL_PID"
rc=0
wait "$TAIL_PID" || rc=$?
TAIL_PID=
((rc == 0)) || {
    echo "demo: permitctl tail exited $rc on SIGTERM" >&2
    exit 1
}
kill -TERM "$BROKER_PID"
rc=0
wait "$BROKER_PID" || rc=$?
BROKER_PID=
((rc == 0)) || {
    echo "demo: permitd exited $rc on SIGTERM" >&2
    exit 1
}
note "  both stopped cleanly"

rel=${BIN#"$PWD"/}
cat <<EOF

${BOLD}Explore further${OFF}
  # start the broker again on the same database
  $rel/permitd --config run/permitd.conf 2>>run/permitd.log &
  export PERMIT_BROKER=$PERMIT_BROKER
  export PERMIT_QUERY=$PERMIT_QUERY
  export PERMIT_PUBLISH=$PERMIT_PUBLISH
  $rel/permitctl tail --from 0                     # the whole log, readable
  $rel/permitctl tail --from 0 --json --kind unblocked
  $rel/permitctl status TL-2026-002
  $rel/permit-agent send --dept NRB --project TL-2026-002 --procedure LAND_PREREVIEW --event accepted
  # the database itself
  sqlite3 run/permit.db 'SELECT seq, kind, dept, project, procedure FROM log'
  sqlite3 run/permit.db "SELECT code, state, cert FROM procedures WHERE project = '$P'"
EOF
