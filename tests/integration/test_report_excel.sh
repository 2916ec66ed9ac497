#!/usr/bin/env bash
# The weekly report for Excel: `permitctl report --format xlsx` read back with openpyxl (its
# sheets 汇总, 分地区, 分部门, 超期清单 and 趋势; figures equal to the JSON report's; number
# formats for counts, rates and dates; frozen header rows; conditional red and yellow fills),
# and --format csv with a UTF-8 byte order mark under --bom or a zh_CN locale, without under
# --no-bom or another locale. The data: a live broker on a test clock, three projects, one
# procedure overdue.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-openpyxl is installed
"$PY" -c 'import openpyxl' || fail "python3-openpyxl is missing (scripts/deps.sh installs it)"

start_broker --test-clock 2026-03-02T09:00:00+08:00
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
{
    echo "id,name,region,industry,company,steward,leader,template,not_required"
    echo "RX-1,科尔沁区风光储一体化项目,科尔沁区,新能源,通辽新能源有限公司,张伟,李建国,,"
    echo "RX-2,开鲁县红干椒加工园,开鲁县,农牧业,开鲁兴农有限公司,刘洋,孙海涛,,RELICS"
    echo "RX-3,=奈曼旗物流园,奈曼旗,物流,奈曼物流有限公司,陈静,周文斌,,"
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
send --dept NRB --project RX-1 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project RX-1 --procedure LAND_PREREVIEW --event approved --cert 证-1
send --dept EEB --project RX-3 --procedure EIA --event accepted
ctl clock set 2026-03-20T10:00:00+08:00

report() { # FORMAT OUT [ARGS...]
    local fmt=$1 out=$2
    shift 2
    ctl report --db "$DB" --as-of 2026-03-20T12:00:00+08:00 --weeks 4 --format "$fmt" --out "$out" "$@"
}

step "xlsx: sheets, figures equal to the JSON's, formats, frozen headers, red and yellow"
report json "$T/r.json"
report xlsx "$T/r.xlsx"
[[ "$(jq .summary.overdue_total "$T/r.json")" == 1 ]] || fail "no overdue item: $(jq -c .summary "$T/r.json")"
"$PY" - "$T/r.xlsx" "$T/r.json" <<'PY' || fail "the workbook does not match the report"
import datetime, json, sys
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
doc = json.load(open(sys.argv[2], encoding="utf-8"))
def check(ok, what):
    if not ok:
        sys.exit("xlsx: " + what)
check(wb.sheetnames == ["汇总", "分地区", "分部门", "超期清单", "趋势"], "sheets %s" % wb.sheetnames)
for ws in wb:
    check(ws.freeze_panes == "A2", "%s: frozen at %s" % (ws.title, ws.freeze_panes))
s, summary = wb["汇总"], doc["summary"]
rows = {s.cell(r, 1).value: s.cell(r, 2) for r in range(2, s.max_row + 1)}
check(rows["截至"].value == datetime.datetime(2026, 3, 20, 12, 0), "as of %r" % rows["截至"].value)
check(rows["截至"].is_date, "as of is not a date")
check(rows["列入手续"].value == summary["procedures"] and rows["列入手续"].number_format == "0",
      "procedures %r %s" % (rows["列入手续"].value, rows["列入手续"].number_format))
rate = rows["手续办结率"]
check(abs(rate.value - summary["procedure_rate_pct"] / 100) < 1e-9 and rate.number_format == "0.0%",
      "procedure rate %r %s" % (rate.value, rate.number_format))
check(rows["超期事项"].value == summary["overdue_total"], "overdue total")
r = wb["分地区"]
head = [c.value for c in r[1]]
region = {row[0].value: row for row in r.iter_rows(min_row=2)}
for want in doc["breakdown"]["region"]:
    got = region[want["key"]]
    check(got[head.index("项目")].value == want["projects"], "region projects")
    cell = got[head.index("手续办结率")]
    check(abs(cell.value - want["procedure_rate_pct"] / 100) < 1e-9 and cell.number_format == "0.0%",
          "region rate %r" % cell.value)
    check(got[head.index("红色预警")].value == want["red"], "region red")
check(len(r.conditional_formatting) == 2, "分地区 has %d conditional formats" % len(r.conditional_formatting))
d = wb["分部门"]
check(d.cell(1, 1).value == "部门编码" and d.max_row == len(doc["breakdown"]["department"]) + 1, "分部门 rows")
check(len(d.conditional_formatting) == 2, "分部门 conditional formats")
o, item = wb["超期清单"], doc["overdue"][0]
head = [c.value for c in o[1]]
row = o[2]
check(row[0].value == item["project"] and row[head.index("项目名称")].value == item["project_name"],
      "overdue item %r" % [c.value for c in row])
due = row[head.index("法定办结日")]
check(due.is_date and due.value == datetime.datetime.strptime(item["statutory_deadline"], "%Y-%m-%d")
      and due.number_format == "yyyy-mm-dd", "statutory deadline %r %s" % (due.value, due.number_format))
check(row[head.index("超法定时限（工作日）")].value == item["statutory_days_over"], "days over")
rules = [(str(cf.sqref), r.formula, r.dxf.fill.fgColor.rgb if r.dxf.fill.fgColor.rgb else r.dxf.fill.bgColor.rgb)
         for cf in o.conditional_formatting for r in cf.rules]
check(len(rules) == 2 and rules[0][1] == ["$G2>0"] and rules[1][1] == ["$F2>0"], "超期清单 rules %r" % rules)
t = wb["趋势"]
check(t.max_row == len(doc["trend"]) + 1, "trend rows")
last = t.cell(t.max_row, 1)
check(last.is_date and last.value.strftime("%Y-%m-%d") == doc["trend"][-1]["key"], "trend date %r" % last.value)
PY
# RX-3's name starts with '=': written as a string, no cell of the workbook is a formula.
"$PY" - "$T/r.xlsx" <<'PY' || fail "a name that looks like a formula became one"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if n.startswith("xl/worksheets/") and b"<f>" in z.read(n):
        sys.exit("formula cell in " + n)
PY

step "xlsx needs --out"
run "$PERMITCTL" report --db "$DB" --format xlsx
((RC == 64)) || fail "xlsx to stdout: exit $RC (expected 64): $ERR"

step "csv: a byte order mark with --bom or in zh_CN, none with --no-bom or in another locale"
bom() { [[ "$(head -c 3 "$1" | od -An -tx1 | tr -d ' ')" == efbbbf ]]; }
LANG=C.UTF-8 LC_ALL= LC_MESSAGES= report csv "$T/plain.csv"
bom "$T/plain.csv" && fail "a BOM in the C locale"
LANG=zh_CN.UTF-8 LC_ALL= LC_MESSAGES= report csv "$T/zh.csv"
bom "$T/zh.csv" || fail "no BOM under LANG=zh_CN.UTF-8"
LANG=C.UTF-8 LC_ALL=zh_CN.UTF-8 report csv "$T/zhall.csv"
bom "$T/zhall.csv" || fail "no BOM under LC_ALL=zh_CN.UTF-8"
LANG=zh_CN.UTF-8 LC_ALL= report csv "$T/nobom.csv" --no-bom
bom "$T/nobom.csv" && fail "a BOM with --no-bom"
LANG=C.UTF-8 LC_ALL= report csv "$T/withbom.csv" --bom
bom "$T/withbom.csv" || fail "no BOM with --bom"
cmp <(tail -c +4 "$T/withbom.csv") "$T/plain.csv" || fail "--bom changed more than the first bytes"

stop_broker
