#!/usr/bin/env bash
# The `make run` demo: three weeks of joint review and joint approval (联审联批) in about half a
# minute, through the real programs. Starts the broker in ./run/ (made fresh) on a test clock
# (2 March 2026), loads the sample departments, template, projects and calendar, starts the
# notifier with every steward, leader and the task force routed to a small local webhook
# receiver (deploy/demo_receiver.py), and follows the log live with `permitctl tail -f`. Then,
# moving the clock day by day with `permitctl clock set`: project TL-2026-001 goes through its
# ten procedures to "ready to start" (parallel approval, a refused event, a supplement, a
# rejection and a new application, a commitment kept); eight other projects file the same
# Monday (and one more a week later) and are left waiting, so procedures turn yellow and red, and a commitment made for
# an acceptance with deficiency (容缺受理) is breached. After each day it prints what the
# notifier delivered, as a work-chat robot would show it; at the end `permitctl overdue` and
# `permitctl blocked`, and the weekly bulletin written to run/bulletin.html and .xlsx.
# Stops everything it started, whatever happens.
#
# usage: deploy/demo.sh [BUILD_DIR]   (default: build; DEMO_PAUSE=seconds between steps)
# The Chinese text quotes with “ ” as Chinese does: not a mistyped shell quote.
# shellcheck disable=SC1111
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
[[ -d "$BUILD" ]] || BUILD=$SRC/$BUILD
BIN=$(cd "$BUILD" 2>/dev/null && pwd) || {
    echo "demo: no build folder '${1:-build}' (run make build)" >&2
    exit 1
}
for prog in permitd permit-agent permitctl permit-notify; do
    [[ -x "$BIN/$prog" ]] || {
        echo "demo: $BIN/$prog is missing (run make build)" >&2
        exit 1
    }
done
# Debian's python3 (scripts/deps.sh run installs it) for the receiver, else the first on PATH.
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=$(command -v python3) || {
    echo "demo: python3 is missing (run scripts/deps.sh run)" >&2
    exit 1
}
for tool in jq sqlite3; do
    command -v "$tool" >/dev/null || {
        echo "demo: $tool is missing (run scripts/deps.sh run)" >&2
        exit 1
    }
done
PAUSE=${DEMO_PAUSE:-0.5}
P=TL-2026-001
START=2026-03-02T09:00:00+08:00
LAST_DAY=2026-03-17

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' CYAN=$'\e[36m' OFF=$'\e[0m'
else
    BOLD='' DIM='' RED='' CYAN='' OFF=''
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
export PERMIT_TIME_ZONE=Asia/Shanghai
cat >"$RUN/permitd.conf" <<EOF
; Written by deploy/demo.sh; see deploy/permitd.conf for every key.
[permitd]
db = $RUN/permit.db
ingest = $PERMIT_BROKER
publish = $PERMIT_PUBLISH
query = $PERMIT_QUERY
log_level = info
time_zone = Asia/Shanghai
; The demo's time is a test clock that only \`permitctl clock set\` moves: three weeks in a
; minute. Never in production (the broker warns at start).
test_clock = $START
; The demo's sockets are ipc files in a private folder: plain, on purpose (never in production,
; see README "Security").
curve = no
EOF

BROKER_PID=
TAIL_PID=
TAIL_FROM=0
RECEIVER_PID=
NOTIFY_PID=
WEB_PID=
SERVING=0 # 1 while the demo, its story told, only keeps the wall board up until Ctrl-C
cleanup() {
    local rc=$? pid i
    trap - EXIT INT TERM
    # Ctrl-C while the wall board is up is how the demo is meant to end.
    if ((SERVING && (rc == 130 || rc == 143))); then
        rc=0
        echo
        note "stopping the web console and the broker"
    fi
    # The followers first (the notifier, the console, the tail), the broker last.
    for pid in "$NOTIFY_PID" "$WEB_PID" "$TAIL_PID" "$RECEIVER_PID" "$BROKER_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            # Each stops within a second of SIGTERM; one that hangs is not waited for forever.
            for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if ((rc == 130 || rc == 143)); then
        echo "demo: interrupted; everything it started is stopped (logs in $RUN)" >&2
    elif ((rc != 0)); then
        echo "demo: failed (exit $rc); the broker's log is $RUN/permitd.log:" >&2
        tail -n 15 "$RUN/permitd.log" >&2 2>/dev/null || true
        if [[ -s "$RUN/notify.log" ]]; then
            echo "demo: the notifier's log, $RUN/notify.log:" >&2
            tail -n 10 "$RUN/notify.log" >&2 || true
        fi
        if [[ -s "$RUN/permit-web.log" ]]; then
            echo "demo: the web console's log, $RUN/permit-web.log:" >&2
            tail -n 5 "$RUN/permit-web.log" >&2 || true
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
    echo "demo: $*" >&2
    exit 1
}

# say ZH EN: a step of the story, in Chinese and in English.
say() {
    sleep "$PAUSE"
    printf '\n%s%s%s\n%s%s%s\n' "$BOLD" "$1" "$OFF" "$BOLD" "$2" "$OFF"
}
note() {
    printf '%s%s%s\n' "$DIM" "$*" "$OFF"
}

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 50 ms; fail after SECONDS.
wait_until() {
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    die "timed out after ${secs}s waiting for $what"
}

# The test clock's current day and time; every event is stamped with it (--time), as a
# department's agent would stamp it with its own clock.
NOW=$START
# day DATE ZH EN: move the clock to 09:00 on DATE; the broker logs every colour, reminder and
# breach that came due on the way before it answers.
day() {
    NOW=${1}T09:00:00+08:00
    sleep "$PAUSE"
    printf '\n%s━━ %s ━━ %s%s\n' "$CYAN$BOLD" "$2" "$3" "$OFF"
    note "   permitctl clock set $NOW"
    "$BIN/permitctl" clock set "$NOW" >/dev/null
    tail_sync
}

# agent DEPT PROJECT PROCEDURE KIND [--cert N] [--note TEXT] ...: one event, as that
# department's agent sends it.
agent() {
    local dept=$1 project=$2 proc=$3 kind=$4 seq
    shift 4
    seq=$("$BIN/permit-agent" send --dept "$dept" --project "$project" --procedure "$proc" \
        --event "$kind" --time "$NOW" "$@")
    tail_sync
    printf '  %-4s %-11s %-20s %-22s acked, seq %s\n' "$dept" "$project" "$proc" "$kind" "$seq"
}

# refused DEPT PROJECT PROCEDURE KIND: an event the broker must refuse; show its answer.
refused() {
    local dept=$1 project=$2 proc=$3 kind=$4 rc=0 err
    err=$("$BIN/permit-agent" send --dept "$dept" --project "$project" --procedure "$proc" \
        --event "$kind" --time "$NOW" 2>&1 >/dev/null) || rc=$?
    ((rc == 65)) || die "expected a refusal, permit-agent exited $rc: $err"
    printf '  %-4s %-11s %-20s %-22s %sREFUSED%s (exit %d)\n' "$dept" "$project" "$proc" "$kind" \
        "$RED" "$OFF" "$rc"
    printf '       %s\n' "$err"
}

log_head() {
    sqlite3 "$RUN/permit.db" "SELECT COALESCE(MAX(seq), 0) FROM log"
}

# Wait until `permitctl tail -f` has shown the log's head, so what it shows stays under the
# step that caused it.
tail_shows() {
    grep -qE "^  │ +$1 " "$RUN/tail.txt"
}
tail_sync() {
    [[ -n "$TAIL_PID" ]] || return 0
    local head
    head=$(log_head)
    ((head > TAIL_FROM)) || return 0
    wait_until 10 "permitctl tail -f to show entry $head" tail_shows "$head"
}

# notifier_has_no STATES: the notifier has routed the whole log (its cursor is at the log's
# head) and holds no delivery in STATES. Read from its database, not from `permit-notify
# status`, whose words follow the locale.
notifier_has_no() {
    local head cursor busy
    kill -0 "$NOTIFY_PID" 2>/dev/null || die "permit-notify exited"
    head=$(log_head)
    cursor=$(sqlite3 "$RUN/notify.db" "SELECT value FROM meta WHERE key = 'cursor'" 2>/dev/null) ||
        return 1
    busy=$(sqlite3 "$RUN/notify.db" \
        "SELECT COUNT(*) FROM delivery WHERE state IN ($1)" 2>/dev/null) || return 1
    [[ -n "$cursor" ]] && ((cursor >= head && busy == 0))
}

# Print what reached the receiver since the last call: who it was for, the title and the text,
# as the work-chat robot would show them (its Markdown's bold marks dropped).
SHOWN=0
deliveries() {
    local total i
    wait_until 20 "the notifier to deliver everything" notifier_has_no "'pending'"
    # Yellow warnings are held for one digest per steward and day. The demo's days are long
    # past by the notifier's clock, so their digests go out at once, within its next round.
    for ((i = 0; i < 60; i++)); do
        notifier_has_no "'pending', 'held'" && break
        sleep 0.05
    done
    total=$(wc -l <"$RUN/received.jsonl")
    if ((total == SHOWN)); then
        note "  (通知：无 · no notifications)"
        return 0
    fi
    note "  通知 · delivered by permit-notify to the webhook receiver (run/received.jsonl):"
    tail -n +"$((SHOWN + 1))" "$RUN/received.jsonl" | jq -r '
        "  ✉ \(.recipient)  \(.title)",
        (.text | gsub("\\*\\*"; "") | split("\n")[] | select(length > 0) | "      " + .)'
    SHOWN=$total
}

echo "${BOLD}联审联批 · Joint review and joint approval: three weeks of ten projects${OFF}"
note "binaries: $BIN    working folder: $RUN"

say "启动协调中心 permitd（测试时钟：2026-03-02 周一 09:00）" \
    "Starting the broker, permitd, on a test clock at Monday 2 March 2026 09:00 (log: run/permitd.log)"
"$BIN/permitd" --config "$RUN/permitd.conf" 2>"$RUN/permitd.log" &
BROKER_PID=$!
broker_ready() {
    kill -0 "$BROKER_PID" 2>/dev/null || die "permitd exited while starting"
    grep -q "ready:" "$RUN/permitd.log" 2>/dev/null
}
wait_until 10 "permitd to become ready" broker_ready
note "  $(grep -m1 "ready:" "$RUN/permitd.log")"

say "导入示例数据：部门、审批事项模板、项目、法定工作日历" \
    "Loading the sample configuration (deploy/*.csv, deploy/calendar) with permitctl import"
for what in departments template projects; do
    printf '  %s: %s\n' "$what" "$("$BIN/permitctl" import "$what" "$SRC/deploy/$what.csv")"
done
# The official working-day calendars, as published (holidays off, make-up Saturdays worked).
for year in 2026 2027; do
    printf '  calendar: %s\n' "$("$BIN/permitctl" import calendar "$SRC/deploy/calendar/$year.json")"
done

say "启动通知服务 permit-notify，推送到本地 webhook 接收端" \
    "Starting the notifier, permit-notify: stewards, leaders and the task force get webhooks (a local receiver)"
: >"$RUN/received.jsonl"
"$PY" "$SRC/deploy/demo_receiver.py" --port-file "$RUN/receiver.port" \
    --out "$RUN/received.jsonl" 2>"$RUN/receiver.log" &
RECEIVER_PID=$!
receiver_ready() {
    kill -0 "$RECEIVER_PID" 2>/dev/null || die "the receiver exited: $(tail -n 5 "$RUN/receiver.log")"
    [[ -s "$RUN/receiver.port" ]]
}
wait_until 10 "the webhook receiver to listen" receiver_ready
HOOK=http://127.0.0.1:$(<"$RUN/receiver.port")/hook
{
    echo "; Written by deploy/demo.sh; deploy/routes.conf documents the format."
    echo "[route]"
    echo "colour.yellow = steward"
    echo "colour.red = steward, leader"
    echo "commitment_due = steward"
    echo "commitment_breached = steward, leader"
    echo "milestone = 联审联批专班"
    echo "rejected = steward"
    # Every steward and leader of the sample projects, and the task force: one receiver.
    tail -n +2 "$SRC/deploy/projects.csv" | tr -d '\r' | cut -d, -f6,7 | tr , '\n' |
        sort -u | while read -r name; do
        [[ -n "$name" ]] && printf '[contact %s]\nwebhook = %s\n' "$name" "$HOOK"
    done
    printf '[contact 联审联批专班]\nwebhook = %s\n' "$HOOK"
} >"$RUN/routes.conf"
cat >"$RUN/notify.conf" <<EOF
; Written by deploy/demo.sh; deploy/notify.conf documents every key.
[notify]
db = $RUN/notify.db
query = $PERMIT_QUERY
publish = $PERMIT_PUBLISH
routes = $RUN/routes.conf
templates = $SRC/deploy/templates
time_zone = Asia/Shanghai
; The demo's days pass in seconds: no waiting for working hours.
quiet_days = 0
log_level = info
EOF
"$BIN/permit-notify" run --config "$RUN/notify.conf" 2>"$RUN/notify.log" &
NOTIFY_PID=$!
notify_ready() {
    kill -0 "$NOTIFY_PID" 2>/dev/null || die "permit-notify exited while starting"
    grep -q "ready:" "$RUN/notify.log" 2>/dev/null
}
wait_until 20 "permit-notify to become ready" notify_ready
note "  receiver: $HOOK → run/received.jsonl; routes: run/routes.conf"

say "启动网页控制台 permit-web：大屏随日志实时更新" \
    "Starting the web console, permit-web: the wall board follows the log live"
# port: 7480, or any free one when something else has it (DEMO_WEB_PORT to choose).
start_web() {
    "$BIN/permit-web" --query "$PERMIT_QUERY" --publish "$PERMIT_PUBLISH" --listen "127.0.0.1:$1" \
        --time-zone Asia/Shanghai 2>"$RUN/permit-web.log" &
    WEB_PID=$!
}
web_up() {
    grep -q " ready: " "$RUN/permit-web.log" 2>/dev/null && return 0
    kill -0 "$WEB_PID" 2>/dev/null || return 2
    return 1
}
web_wait() {
    local i rc
    for ((i = 0; i < 200; i++)); do
        rc=0
        web_up || rc=$?
        ((rc != 1)) && return "$rc"
        sleep 0.05
    done
    die "timed out after 10s waiting for permit-web to become ready"
}
start_web "${DEMO_WEB_PORT:-7480}"
if ! web_wait; then
    wait "$WEB_PID" 2>/dev/null || true
    note "  port ${DEMO_WEB_PORT:-7480} is taken: any free one"
    start_web 0
    web_wait || die "permit-web exited while starting: $(tail -n 3 "$RUN/permit-web.log")"
fi
BOARD=$(sed -n 's/.* ready: \(http[^ ]*\).*/\1/p' "$RUN/permit-web.log" | head -n 1)
note "  大屏 wall board: $BOARD  (run/permit-web.log)"

say "实时跟踪日志：permitctl tail -f（以 │ 开头的行）" \
    "Following the log live: permitctl tail -f (lines marked │ come from it)"
TAIL_FROM=$(log_head)
"$BIN/permitctl" tail -f --from "$TAIL_FROM" > >(sed -u 's/^/  │ /' | tee "$RUN/tail.txt") &
TAIL_PID=$!

day 2026-03-02 "第1周 周一 3月2日" "Week 1, Monday 2 March"
say "项目 $P 开始并联审批：用地预审、环评、水保、文物同时受理" \
    "Project $P starts: NRB, EEB, WRB and CTB accept side by side (并联审批)"
agent NRB "$P" LAND_PREREVIEW accepted --note "用地预审材料齐全，予以受理"
agent EEB "$P" EIA accepted
agent WRB "$P" SOIL_WATER accepted
agent CTB "$P" RELICS accepted
note "  项目审批只需用地预审“已受理”（串联改并联）: PROJECT_APPROVAL is unblocked for DRC."
agent DRC "$P" PROJECT_APPROVAL accepted

say "住建局过早受理施工许可：被拒绝，并说明原因" \
    "HCB tries to accept the construction permit far too early: refused, with the reason"
refused HCB "$P" CONSTRUCTION_PERMIT accepted

say "同一天，另外八个项目提交申请；其中一项环评“容缺受理”，企业承诺3月6日前补齐材料" \
    "The same day eight more projects file; EEB accepts one EIA with a deficiency (容缺受理), due Friday 6 March"
agent EEB TL-2026-002 EIA accepted_deficient --missing "排污口设置论证报告" \
    --due 2026-03-06 --note "容缺受理：企业书面承诺3月6日前补交"
agent NRB TL-2026-002 LAND_PREREVIEW accepted
agent WRB TL-2026-003 SOIL_WATER accepted
agent NRB ED-2026-001 LAND_PREREVIEW accepted
agent EEB ED-2026-002 EIA accepted
agent EEB BT-2026-001 EIA accepted
agent NRB HH-2026-002 LAND_PREREVIEW accepted
agent CTB XA-2026-003 RELICS accepted
agent WRB XA-2026-004 SOIL_WATER accepted
deliveries

day 2026-03-04 "第1周 周三 3月4日" "Week 1, Wednesday 4 March"
say "自然资源局要求补正（计时暂停），收到后批准用地预审" \
    "NRB asks for more material (补正: the clock pauses), gets it, approves the land pre-review"
agent NRB "$P" LAND_PREREVIEW supplement_requested --note "请补充项目用地红线图"
agent NRB "$P" LAND_PREREVIEW supplement_received --note "已补充红线图"
agent NRB "$P" LAND_PREREVIEW approved --cert "用字第150502202600001号"
agent NRB HH-2026-002 LAND_PREREVIEW approved --cert "用字第150105202600003号"
say "发改委批准项目审批；节能审查容缺受理，承诺3月11日前补交" \
    "DRC approves the project and accepts the energy review with a deficiency, due 11 March"
agent DRC "$P" PROJECT_APPROVAL approved --cert "通发改审批〔2026〕18号"
agent DRC "$P" ENERGY_REVIEW accepted_deficient --missing "节能报告专家评审意见" \
    --due 2026-03-11 --note "容缺受理：申请人书面承诺3月11日前补交"
deliveries

day 2026-03-05 "第1周 周四 3月5日" "Week 1, Thursday 5 March"
say "TL-2026-002 的补交承诺明天到期：提醒项目管家（commitment_due）" \
    "TL-2026-002's commitment is due tomorrow: the clock reminds its steward (commitment_due)"
deliveries
say "$P：承诺按期兑现；环评不予许可后重新申请；水保、文物批准" \
    "$P: the commitment kept; the EIA rejected (不予许可) and applied for again; soil and relics approved"
agent DRC "$P" ENERGY_REVIEW commitment_fulfilled --note "专家意见已提交"
agent DRC "$P" ENERGY_REVIEW approved --cert "通发改能审〔2026〕9号"
agent EEB "$P" EIA rejected --note "排污口设置不符合要求，不予许可"
agent EEB "$P" EIA accepted --note "修改排污方案后重新申请"
agent WRB "$P" SOIL_WATER approved --cert "通水保〔2026〕15号"
agent CTB "$P" RELICS approved --cert "通文物〔2026〕6号"
agent FGB "$P" FOREST_USE accepted
deliveries

day 2026-03-09 "第2周 周一 3月9日" "Week 2, Monday 9 March"
say "TL-2026-002 未按期补齐材料：承诺违约（commitment_breached），立即通知管家和包联领导；今天到期的用地预审转黄" \
    "TL-2026-002 missed its commitment: breached, steward and leader told at once; land pre-reviews due today turn yellow"
deliveries
say "$P：林地、用地规划许可、工程规划许可依次办结" \
    "$P: forest use, then the land-use and engineering planning permits"
agent FGB "$P" FOREST_USE approved --cert "内林草审〔2026〕33号"
agent NRB "$P" LAND_PLAN_PERMIT accepted
agent NRB "$P" LAND_PLAN_PERMIT approved --cert "地字第150502202600007号"
agent NRB "$P" ENG_PLAN_PERMIT accepted
agent NRB "$P" ENG_PLAN_PERMIT approved --cert "建字第150502202600007号"
agent EEB "$P" EIA approved --cert "通环审〔2026〕21号"
note "  施工许可的前置条件全部办结: CONSTRUCTION_PERMIT is unblocked for HCB."

day 2026-03-10 "第2周 周二 3月10日" "Week 2, Tuesday 10 March"
say "住建局核发施工许可：五证联发，项目具备开工条件；两项用地预审超期转红" \
    "HCB issues the construction permit: certificates together, ready to start; two land pre-reviews turn red"
agent HCB "$P" CONSTRUCTION_PERMIT accepted
agent HCB "$P" CONSTRUCTION_PERMIT approved --cert "150502202604010101"
note "  包头九原区公铁联运物流枢纽申请用地预审（5个工作日）: one more project files today."
agent NRB BT-2026-002 LAND_PREREVIEW accepted
deliveries

day 2026-03-13 "第2周 周五 3月13日" "Week 2, Friday 13 March"
say "3月2日受理的十日时限事项只剩两个工作日：转黄，汇总推送给项目管家" \
    "The ten-day procedures accepted on 2 March have two working days left: yellow, sent as one digest per steward"
deliveries

day "$LAST_DAY" "第3周 周二 3月17日" "Week 3, Tuesday 17 March"
say "仍未办结的事项超期转红，通知项目管家和包联领导；3月10日受理的用地预审今天到期，转黄" \
    "Those still open are overdue: red, steward and leader told; the pre-review filed on 10 March is due today: yellow"
deliveries

say "超期和预警事项：permitctl overdue" "What is red or yellow: permitctl overdue"
"$BIN/permitctl" overdue

say "等待前置条件的事项（TL-2026-002）：permitctl blocked" \
    "What waits for its prerequisites, and who holds it: permitctl blocked --project TL-2026-002"
"$BIN/permitctl" blocked --project TL-2026-002

say "项目 $P：permitctl status" "permitctl status $P"
"$BIN/permitctl" status "$P"

say "生成周调度通报：permitctl report（HTML 与 Excel）" \
    "The weekly bulletin (周调度通报) as of $LAST_DAY: permitctl report, HTML and Excel"
for fmt in html xlsx; do
    "$BIN/permitctl" report --config "$RUN/permitd.conf" --as-of "$LAST_DAY" --format "$fmt" \
        --out "$RUN/bulletin.$fmt"
    printf '  run/bulletin.%s  %s bytes\n' "$fmt" "$(wc -c <"$RUN/bulletin.$fmt")"
done

# In a terminal the demo ends serving the wall board until Ctrl-C; otherwise (a test, a pipe)
# it checks the board answers and stops everything. DEMO_SERVE=1 or 0 decides instead.
SERVE=${DEMO_SERVE:-}
if [[ -z $SERVE ]]; then
    SERVE=0
    [[ -t 0 && -t 1 ]] && SERVE=1
fi
board=$(curl -sf --max-time 5 "${BOARD}api/board") || die "the wall board does not answer at $BOARD"
[[ $(jq -r .head <<<"$board") == "$(log_head)" ]] ||
    die "the wall board is not at the log's head ($(jq -r .head <<<"$board"), not $(log_head))"

say "停止通知服务、接收端和日志跟踪（SIGTERM）" \
    "Stopping the notifier, the receiver and the tail (SIGTERM)"
stop() {
    local pid=$1 what=$2 want=$3 rc=0
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    ((rc == want)) || die "$what exited $rc on SIGTERM"
}
stop "$NOTIFY_PID" permit-notify 0
NOTIFY_PID=
stop "$TAIL_PID" "permitctl tail" 0
TAIL_PID=
stop "$RECEIVER_PID" "the receiver" 0
RECEIVER_PID=
if ((!SERVE)); then
    stop "$WEB_PID" permit-web 0
    WEB_PID=
    stop "$BROKER_PID" permitd 0
    BROKER_PID=
    # A broker started again on this folder goes on from the demo's last day, not from 2 March.
    sed -i "s/^test_clock = .*/test_clock = ${LAST_DAY}T09:00:00+08:00/" "$RUN/permitd.conf"
fi
note "  all stopped cleanly"

rel=${BIN#"$PWD"/}
if ((SERVE)); then
    restart="# in another terminal, while the broker and the board still run:"
else
    restart="# start the broker again on the same database, its test clock at $LAST_DAY 09:00
  $rel/permitd --config run/permitd.conf 2>>run/permitd.log &"
fi
cat <<EOF

${BOLD}Explore further${OFF}
  $restart
  export PERMIT_BROKER=$PERMIT_BROKER
  export PERMIT_QUERY=$PERMIT_QUERY
  export PERMIT_PUBLISH=$PERMIT_PUBLISH
  $rel/permitctl clock set 2026-03-20T09:00:00+08:00   # three days on: more turns red
  $rel/permitctl tail --from 0                     # the whole log, readable
  $rel/permitctl tail --from 0 --json --kind commitment_breached
  $rel/permitctl overdue --colour red
  $rel/permitctl status TL-2026-002
  $rel/permit-notify history --db run/notify.db    # every delivery, and to whom
  jq . run/received.jsonl                          # what the webhook receiver got
  sqlite3 run/permit.db 'SELECT seq, kind, dept, project, procedure FROM log'

${BOLD}周调度通报 · The weekly bulletin: run/bulletin.html (open it in a browser) and run/bulletin.xlsx${OFF}
EOF
if ((SERVE)); then
    SERVING=1
    printf '\n%s大屏 · The wall board: %s  (open it in a browser; Ctrl-C stops the console and the broker)%s\n' \
        "$BOLD" "$BOARD" "$OFF"
    # sed's test_clock for a later start is left to after the stop: this broker is still on it.
    wait "$BROKER_PID" || true
    die "permitd stopped while the wall board was up (run/permitd.log)"
else
    printf '\n大屏 · The wall board was served at %s and answered at the log'"'"'s head; in a terminal\n' "$BOARD"
    echo "make run keeps it open until Ctrl-C (DEMO_SERVE=1 to keep it here too)."
fi
