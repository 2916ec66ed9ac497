#!/usr/bin/env bash
# Chinese at the shell (issue 20): permitctl speaks Chinese under a zh_CN locale and English
# otherwise, with the same --json under both; its tables measure display width (a Chinese
# character is two columns) and fit 80 columns, cutting long fields with "…" on a character
# boundary, --wide showing them whole; status and overdue are red and yellow on a terminal,
# never with NO_COLOR and into a pipe only with CLICOLOR_FORCE.
# backends: sqlite
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8' ||
    fail "no zh_CN.UTF-8 locale (scripts/deps.sh test generates it)"
ZH=(env LC_ALL=zh_CN.UTF-8)
EN=(env LC_ALL=C.UTF-8)

# The widest line of stdin in display columns (East Asian wide and fullwidth count two).
max_width() {
    python3 -c '
import sys, unicodedata
print(max((sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.rstrip("\n"))
           for line in sys.stdin), default=0))'
}

start_broker --test-clock 2026-02-12T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
LONG=TL-2026-901
{
    echo "id,name,region,industry,company,steward,leader,template,not_required"
    echo "$LONG,科尔沁区二〇二六年度新能源汽车零部件及储能装备制造产业园配套基础设施建设项目,科尔沁区,制造业,通辽市科尔沁区新能源装备制造产业园区开发建设投资有限责任公司,张伟,李建国,standard,"
} >"$T/long.csv"
ctl import projects "$T/long.csv"
send --dept NRB --project "$LONG" --procedure LAND_PREREVIEW --event accepted
send --dept EEB --project "$LONG" --procedure EIA --event accepted
send --dept FGB --project "$LONG" --procedure FOREST_USE --event accepted_deficient \
    --missing "林地现状调查报告及专家评审意见" --due 2026-03-06
ctl clock set 2026-03-03T08:30:00+08:00

step "status in Chinese under zh_CN, in English under C.UTF-8"
run "${ZH[@]}" "$PERMITCTL" status "$LONG"
((RC == 0)) || fail "status under zh_CN exited $RC: $ERR"
ZH_STATUS=$OUT
for word in 项目 编码 部门 状态 期限 已受理 容缺受理 未满足前置 黄 工作日 等待前置; do
    [[ "$ZH_STATUS" == *"$word"* ]] || fail "the Chinese status lacks '$word': $ZH_STATUS"
done
[[ "$ZH_STATUS" != *"DEADLINE"* && "$ZH_STATUS" != *"blocked by"* ]] ||
    fail "the Chinese status has English words: $ZH_STATUS"
run "${EN[@]}" "$PERMITCTL" status "$LONG"
((RC == 0)) || fail "status under C.UTF-8 exited $RC: $ERR"
EN_STATUS=$OUT
for word in project CODE DEPT STATE DEADLINE accepted yellow "blocked by"; do
    [[ "$EN_STATUS" == *"$word"* ]] || fail "the English status lacks '$word': $EN_STATUS"
done
[[ "$EN_STATUS" != *"已受理"* && "$EN_STATUS" != *"工作日"* ]] ||
    fail "the English status has Chinese words of ours: $EN_STATUS"

step "80 columns: the last change and certificate left out, codes, states, deadlines, colours whole"
# Each row's code, state, limit, deadline and colour whole (short forms: 10日, 红 超4日); the
# name gives way; 更新 and 证照 are for --wide, and the footer says so.
# (the first line of the code: its notes follow the table)
row_of() { grep -m1 -E "^$1 " <<<"$ZH_STATUS" || fail "no row of $1 in: $ZH_STATUS"; }
[[ "$(row_of LAND_PREREVIEW)" =~ ^LAND_PREREVIEW\ +[^\ ]+\ +NRB\ +已受理\ +5日\ +2026-02-26\ +红\ 超4日$ ]] ||
    fail "LAND_PREREVIEW's row at 80 columns: $(row_of LAND_PREREVIEW)"
[[ "$(row_of FOREST_USE)" =~ FGB\ +容缺受理\ +10日\ +2026-03-04\ +黄\ 剩2日$ ]] ||
    fail "FOREST_USE's row at 80 columns: $(row_of FOREST_USE)"
[[ "$(row_of 'CONSTRUCTION_PERMIT \*')" == *"未满足前置"* ]] || fail "CONSTRUCTION_PERMIT cut: $ZH_STATUS"
heading=$(grep -E '^编码 ' <<<"$ZH_STATUS")
[[ "$heading" == *时限*期限*预警 && "$heading" != *更新* && "$heading" != *证照* ]] ||
    fail "the heading at 80 columns: $heading"
[[ "$ZH_STATUS" == *"日：工作日；加 --wide 显示全部列"* ]] || fail "no footer on the short forms: $ZH_STATUS"
# The critical path's line starts with what to do, so a cut keeps it.
[[ "$ZH_STATUS" == *"关键路径  先推动 RELICS；最长链条还需 15 个工作日"* ]] ||
    fail "the critical path does not start with what to push: $ZH_STATUS"
[[ "$EN_STATUS" =~ LAND_PREREVIEW\ .*\ 5d\ +2026-02-26\ +red\ 4d\ over && "$EN_STATUS" == *"critical  push RELICS first;"* ]] ||
    fail "the English short forms: $EN_STATUS"

step "every line fits 80 columns, long fields cut with …; --wide shows them whole"
for out in "$ZH_STATUS" "$EN_STATUS"; do
    w=$(max_width <<<"$out")
    ((w <= 80)) || fail "a status line is $w columns wide: $out"
done
[[ "$ZH_STATUS" == *"…"* ]] || fail "nothing was cut in the narrow status: $ZH_STATUS"
# A cut never leaves half a character: the output is valid UTF-8.
iconv -f UTF-8 -t UTF-8 <<<"$ZH_STATUS" >/dev/null || fail "the cut status is not valid UTF-8"
run "${ZH[@]}" "$PERMITCTL" status "$LONG" --wide
[[ "$OUT" == *"通辽市科尔沁区新能源装备制造产业园区开发建设投资有限责任公司"* &&
    "$OUT" == *"林地现状调查报告及专家评审意见"* && "$OUT" != *"…"* ]] ||
    fail "--wide cut something: $OUT"
[[ "$OUT" == *"黄色，剩2个工作日"* && "$OUT" == *"10工作日"* && "$OUT" == *更新* &&
    "$OUT" == *"2026-03-03 08:30+08:00"* && "$OUT" != *"日：工作日"* ]] ||
    fail "--wide lacks the long forms: $OUT"
w=$(max_width <<<"$OUT")
((w > 80)) || fail "--wide is only $w columns: nothing was long to begin with"
run env COLUMNS=120 LC_ALL=zh_CN.UTF-8 "$PERMITCTL" status "$LONG"
w=$(max_width <<<"$OUT")
((w <= 120 && w > 80)) || fail "COLUMNS=120 gave $w columns"

step "overdue and blocked: Chinese, 80 columns"
run "${ZH[@]}" "$PERMITCTL" overdue
((RC == 0)) || fail "overdue exited $RC: $ERR"
[[ "$OUT" == *"预警"* && "$OUT" =~ 黄\ 剩2日\ +$LONG\ +FOREST_USE ]] || fail "overdue in Chinese: $OUT"
w=$(max_width <<<"$OUT")
((w <= 80)) || fail "an overdue line is $w columns: $OUT"
# At 80 columns the project's name and the region are left out before anything is cut; the
# deadline and the steward stay whole.
[[ "$OUT" != *项目名称* && "$OUT" =~ NRB\ +2026-02-26\ +张伟 ]] || fail "overdue at 80 columns: $OUT"
run "${ZH[@]}" "$PERMITCTL" overdue --wide
[[ "$OUT" == *"黄色，剩2个工作日"* && "$OUT" == *项目名称* && "$OUT" == *科尔沁区二〇二六* ]] ||
    fail "overdue --wide: $OUT"
run "${ZH[@]}" "$PERMITCTL" blocked --project "$LONG"
[[ "$OUT" == *"等待前置"* && "$OUT" == *"（DRC，"* ]] || fail "blocked in Chinese: $OUT"
# Narrow, the procedure is its code, whole; what it waits for gives way.
[[ "$OUT" =~ $LONG\ +CONSTRUCTION_PERMIT\ +HCB ]] || fail "blocked at 80 columns cut the code: $OUT"
w=$(max_width <<<"$OUT")
((w <= 80)) || fail "a blocked line is $w columns: $OUT"
run "${ZH[@]}" "$PERMITCTL" blocked --project "$LONG" --wide
[[ "$OUT" == *"PROJECT_APPROVAL（DRC，可申报，串联）"* ]] || fail "blocked --wide in Chinese: $OUT"
run "${EN[@]}" "$PERMITCTL" blocked --project "$LONG" --wide
[[ "$OUT" == *"WAITING FOR"* && "$OUT" == *"PROJECT_APPROVAL (DRC, ready, hard)"* ]] ||
    fail "blocked in English: $OUT"

step "--json is the same under both locales"
for cmd in "status $LONG" "overdue" "blocked"; do
    # shellcheck disable=SC2086
    a=$("${ZH[@]}" "$PERMITCTL" $cmd --json)
    # shellcheck disable=SC2086
    b=$("${EN[@]}" "$PERMITCTL" $cmd --json)
    [[ "$a" == "$b" ]] || fail "$cmd --json differs: $(diff <(echo "$a") <(echo "$b"))"
done

step "errors and help in Chinese"
run "${ZH[@]}" "$PERMITCTL" status NO-SUCH-PROJECT
((RC == 65)) && [[ "$ERR" == *"项目不存在"* ]] || fail "unknown project in Chinese: $RC $ERR"
run "${EN[@]}" "$PERMITCTL" status NO-SUCH-PROJECT
((RC == 65)) && [[ "$ERR" == *"unknown project"* ]] || fail "unknown project in English: $RC $ERR"
run "${ZH[@]}" "$PERMITCTL" overdue --bogus
((RC == 64)) && [[ "$ERR" == *"未知选项"* ]] || fail "unknown option in Chinese: $RC $ERR"
run "${ZH[@]}" "$PERMITCTL" frobnicate
((RC == 64)) && [[ "$ERR" == *"未知命令"* ]] || fail "unknown command in Chinese: $RC $ERR"
run "${ZH[@]}" "$PERMITCTL" --help
[[ "$OUT" == *"用法"* && "$OUT" == *"显示项目的各项手续"* && "$OUT" == *"全局选项"* ]] ||
    fail "--help in Chinese: $OUT"
run "${ZH[@]}" "$PERMITCTL" --query ipc://$T/nobody.sock --timeout 100 --tries 1 overdue
((RC == 69)) && [[ "$ERR" == *"无法连接中心服务"* ]] || fail "unreachable in Chinese: $RC $ERR"
# LANGUAGE picks the catalog as gettext reads it: under any locale but plain C, and the words
# of the states and colours follow the catalog.
run env LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$PERMITCTL" overdue
[[ "$OUT" == *"预警"* && "$OUT" == *"黄 剩2日"* ]] || fail "LANGUAGE=zh_CN under C.UTF-8: $OUT"
run env LC_ALL=C LANGUAGE=zh_CN "$PERMITCTL" overdue
[[ "$OUT" == *"COLOUR"* && "$OUT" == *"yellow"* ]] || fail "LANGUAGE=zh_CN under C: $OUT"

step "permitctl's other commands, permit-agent, permit-notify and permitd speak Chinese too"
run "${ZH[@]}" "$PERMITCTL" import departments "$PERMIT_SRC/deploy/departments.csv"
[[ "$OUT" =~ 无需导入：[0-9]+\ 个部门均无变化 ]] || fail "import in Chinese: $OUT $ERR"
run "${EN[@]}" "$PERMITCTL" import departments "$PERMIT_SRC/deploy/departments.csv"
[[ "$OUT" =~ nothing\ to\ import:\ [0-9]+\ departments\ unchanged ]] || fail "import in English: $OUT $ERR"
run "${ZH[@]}" "$PERMITCTL" clock set yesterday
((RC == 64)) && [[ "$ERR" == *"不是形如 2026-03-02T09:00:00+08:00 的时间"* ]] || fail "clock in Chinese: $ERR"
run "${ZH[@]}" "$PERMIT_AGENT" --help
[[ "$OUT" == *"向中心服务发送一条事件"* && "$OUT" == *"事件类型（--event）："* &&
    "$OUT" == *"退出状态：0 已记录"* ]] || fail "permit-agent --help in Chinese: $OUT"
# Chinese help wraps at the display width, as English does (96 columns).
w=$(max_width <<<"$OUT")
((w <= 96)) || fail "a permit-agent --help line is $w columns: $OUT"
run "${ZH[@]}" "$PERMIT_AGENT" run --help
[[ "$OUT" == *"本部门代理代表的部门编码（必填）"* ]] || fail "permit-agent run --help options: $OUT"
run "${ZH[@]}" "$PERMIT_AGENT" status --state "$T/no-agent"
[[ "$ERR" == *"中没有发件箱（这是部门代理的状态目录吗？）"* ]] || fail "permit-agent status in Chinese: $ERR"
run "${ZH[@]}" "$PERMIT_BIN/permit-notify" run --help
[[ "$OUT" == *"运行通知服务"* && "$OUT" == *"路由文件：谁通过哪个渠道收到什么"* ]] ||
    fail "permit-notify run --help in Chinese: $OUT"
run "${ZH[@]}" "$PERMITD" --config "$PERMIT_SRC/deploy/permitd.conf" --curve no -n
((RC == 0)) && [[ "$OUT" == *"配置正确"* ]] || fail "permitd -n in Chinese: $RC $OUT $ERR"
run "${ZH[@]}" "$PERMIT_BIN/permit-web" --query "$QUERY" --publish "$PUBLISH" -n
((RC == 0)) && [[ "$OUT" == *"配置正确"* ]] || fail "permit-web -n in Chinese: $RC $OUT $ERR"
# permit-web's log, as an operator reads it: ready, and the stop.
"${ZH[@]}" "$PERMIT_BIN/permit-web" --query "$QUERY" --publish "$PUBLISH" --listen 127.0.0.1:0 \
    --web-users "$T/no-web-users" 2>"$T/web.zh.log" &
web_pid=$!
CHILDREN+=("$web_pid")
wait_for 20 "permit-web to log 就绪" grep -q "info: 就绪：http://127.0.0.1:" "$T/web.zh.log"
grep -q "info: 文件描述符：上限" "$T/web.zh.log" || fail "permit-web's start in English: $(cat "$T/web.zh.log")"
kill -s TERM "$web_pid"
wait "$web_pid" || fail "permit-web exited $? after SIGTERM: $(cat "$T/web.zh.log")"
grep -q "正在停止" "$T/web.zh.log" || fail "permit-web's stop in English: $(cat "$T/web.zh.log")"

step "colours on a terminal, not with NO_COLOR, not into a pipe"
command -v script >/dev/null || fail "script (bsdutils) is missing"
on_tty() {
    script -qec "$*" /dev/null </dev/null
}
out=$(env -u NO_COLOR LC_ALL=zh_CN.UTF-8 COLUMNS=100 bash -c "$(declare -f on_tty); on_tty '$PERMITCTL' overdue")
[[ "$out" == *$'\e[31m'* || "$out" == *$'\e[33m'* ]] || fail "no colour on a terminal: $out"
out=$(env -u NO_COLOR LC_ALL=zh_CN.UTF-8 bash -c "$(declare -f on_tty); on_tty '$PERMITCTL' status $LONG")
[[ "$out" == *$'\e[33m'* ]] || fail "no yellow in status on a terminal: $out"
out=$(env NO_COLOR=1 LC_ALL=zh_CN.UTF-8 bash -c "$(declare -f on_tty); on_tty '$PERMITCTL' overdue")
[[ "$out" != *$'\e['* ]] || fail "colour on a terminal with NO_COLOR=1: $out"
out=$(env NO_COLOR= LC_ALL=zh_CN.UTF-8 bash -c "$(declare -f on_tty); on_tty '$PERMITCTL' overdue")
[[ "$out" == *$'\e['* ]] || fail "NO_COLOR empty is as unset (no-color.org), yet no colour: $out"
out=$(env -u NO_COLOR -u CLICOLOR_FORCE "$PERMITCTL" overdue)
[[ "$out" != *$'\e['* ]] || fail "colour into a pipe: $out"
# CLICOLOR_FORCE colours into a pipe (less -R); NO_COLOR still wins.
out=$(env -u NO_COLOR CLICOLOR_FORCE=1 "$PERMITCTL" overdue)
[[ "$out" == *$'\e[33m'* ]] || fail "no colour into a pipe with CLICOLOR_FORCE=1: $out"
out=$(env -u NO_COLOR CLICOLOR_FORCE=1 "$PERMITCTL" status "$LONG")
[[ "$out" == *$'\e[33m'* ]] || fail "no colour in status with CLICOLOR_FORCE=1: $out"
out=$(env NO_COLOR=1 CLICOLOR_FORCE=1 "$PERMITCTL" overdue)
[[ "$out" != *$'\e['* ]] || fail "CLICOLOR_FORCE won over NO_COLOR: $out"

step "permitd's refusals in its own language: English under C, Chinese under zh_CN"
refused unknown_project --dept NRB --project NO-SUCH --procedure LAND_PREREVIEW --event accepted
[[ "$ERR" == *"no project NO-SUCH is registered"* ]] || fail "a refusal of an English broker: $ERR"
stop_broker
LC_ALL=zh_CN.UTF-8 start_broker
# The sender's locale is English: the reason is the broker's words, the code stays a code.
refused unknown_project --dept NRB --project NO-SUCH --procedure LAND_PREREVIEW --event accepted
[[ "$ERR" == *"refused (unknown_project): 未登记项目 NO-SUCH"* ]] ||
    fail "a refusal of a Chinese broker: $ERR"
refused forbidden_transition --dept NRB --project "$LONG" --procedure LAND_PREREVIEW --event accepted
[[ "$ERR" == *"LAND_PREREVIEW（项目 $LONG）当前为 accepted：不允许 accepted"* ]] ||
    fail "a transition refused by a Chinese broker: $ERR"
grep -q "未登记项目 NO-SUCH" "$BROKER_LOG" || fail "permitd's log has no Chinese refusal: $(tail -n 3 "$BROKER_LOG")"

stop_broker
