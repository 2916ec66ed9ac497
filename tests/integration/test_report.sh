#!/usr/bin/env bash
# The weekly report through real processes: a live broker on a test clock (weeks pass without
# sleeping) with the official 2026 calendar and six projects whose figures are known by
# construction; `permitctl report` read beside the running broker in every format, compared
# figure by figure across formats; --as-of reproducing an earlier week's report byte for byte
# after more events; the HTML page parsed as XML and as HTML, self-contained, with its charts.
# shellcheck source-path=SCRIPTDIR disable=SC2119
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"

# 60 procedures; not required: 4 + 3 + 4 + 0 + 1 + 4 = 16.
NR4="FOREST_USE;RELICS;SOIL_WATER;ENERGY_REVIEW"
{
    echo "id,name,region,industry,company,steward,leader,template,not_required"
    echo "RP-1,科尔沁区风光储一体化项目,科尔沁区,新能源,通辽新能源有限公司,张伟,李建国,,$NR4"
    echo "RP-2,科尔沁区冷链物流中心,科尔沁区,物流,通辽冷链有限公司,张伟,李建国,,FOREST_USE;RELICS;SOIL_WATER"
    echo "RP-3,开鲁县红干椒加工园,开鲁县,农牧业,开鲁兴农有限公司,刘洋,孙海涛,,$NR4"
    echo "RP-4,开鲁县供热管网改造,开鲁县,市政,开鲁热力有限公司,刘洋,孙海涛,,"
    echo "RP-5,奈曼旗光伏治沙示范项目,奈曼旗,新能源,奈曼绿能有限公司,陈静,周文斌,,SOIL_WATER"
    echo "RP-6,\"奈曼旗物流园, 二期\",奈曼旗,物流,奈曼物流有限公司,陈静,周文斌,,$NR4"
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"

approve() { # DEPT PROJECT PROCEDURE
    send --dept "$1" --project "$2" --procedure "$3" --event accepted
    send --dept "$1" --project "$2" --procedure "$3" --event approved --cert "证-$2-$3"
}

step "week of 2 March: RP-1 gets every approval; EEB accepts RP-6's EIA (due 16 March)"
approve NRB RP-1 LAND_PREREVIEW
approve DRC RP-1 PROJECT_APPROVAL
approve EEB RP-1 EIA
approve NRB RP-1 LAND_PLAN_PERMIT
approve NRB RP-1 ENG_PLAN_PERMIT
approve HCB RP-1 CONSTRUCTION_PERMIT
send --dept EEB --project RP-6 --procedure EIA --event accepted
ctl clock set 2026-03-06T18:00:00+08:00

report() { # NAME ARGS...: every format of one report into $T/NAME.{md,csv,json,html}
    local name=$1 fmt
    shift
    for fmt in md csv json html; do
        ctl report --db "$DB" "$@" --format "$fmt" --out "$T/$name.$fmt"
        [[ -s "$T/$name.$fmt" ]] || fail "report $name.$fmt is empty"
    done
}

step "the report of Friday 6 March, beside the live broker"
report week1 --as-of 2026-03-06 --weeks 4
[[ "$(jq -r .summary.procedure_rate_pct "$T/week1.json")" == 36.7 ]] ||
    fail "6 March: procedure rate $(jq .summary "$T/week1.json") (expected 22/60 = 36.7)"
[[ "$(jq -r .summary.project_rate_pct "$T/week1.json")" == 16.7 ]] ||
    fail "6 March: project rate $(jq .summary "$T/week1.json") (expected 1/6 = 16.7)"

step "week of 9 March: RP-3's first two approvals; on 20 March RP-6's EIA is 4 days over"
ctl clock set 2026-03-09T09:00:00+08:00
approve NRB RP-3 LAND_PREREVIEW
approve DRC RP-3 PROJECT_APPROVAL
ctl clock set 2026-03-20T10:00:00+08:00

report now --as-of 2026-03-20T12:00:00+08:00 --weeks 4
jq -e '.summary | .procedures == 60 and .approved == 8 and .not_required == 16 and .done == 24
    and .procedure_rate_pct == 40.0 and .projects == 6 and .projects_done == 1
    and .project_rate_pct == 16.7 and .red == 1 and .overdue_total == 1' "$T/now.json" >/dev/null ||
    fail "20 March summary: $(jq -c .summary "$T/now.json")"
jq -e '.breakdown.region | map({(.key): [.procedure_rate_pct, .project_rate_pct]}) | add
    == {"科尔沁区": [65.0, 50.0], "开鲁县": [30.0, 0.0], "奈曼旗": [25.0, 0.0]}' \
    "$T/now.json" >/dev/null || fail "region rates: $(jq -c .breakdown.region "$T/now.json")"
jq -e '[.breakdown.region[].key] == ["科尔沁区", "开鲁县", "奈曼旗"]' "$T/now.json" >/dev/null ||
    fail "regions are not ranked by rate: $(jq -c '[.breakdown.region[].key]' "$T/now.json")"
jq -e '.overdue[0] | .project == "RP-6" and .procedure == "EIA" and .days_over == 4
    and .deadline == "2026-03-16" and .dept_name == "生态环境局"' "$T/now.json" >/dev/null ||
    fail "overdue: $(jq -c .overdue "$T/now.json")"
jq -e '[.trend[] | [.key, .procedure_rate_pct]] == [["2026-03-01", null],
    ["2026-03-08", 36.7], ["2026-03-15", 40.0], ["2026-03-20", 40.0]]' "$T/now.json" >/dev/null ||
    fail "trend: $(jq -c '[.trend[] | [.key, .procedure_rate_pct]]' "$T/now.json")"
# NRB: RP-1's three and RP-3's one approval, each accepted and approved the same day.
jq -e '.departments[] | select(.key == "NRB") | .approved_on_clock == 4 and .avg_days == 0.0
    and .within_limit == 4' "$T/now.json" >/dev/null ||
    fail "NRB working days: $(jq -c '.departments' "$T/now.json")"

step "--as-of 6 March after more events reproduces the first report exactly, in every format"
report again --as-of 2026-03-06 --weeks 4
for fmt in md csv json html; do
    cmp -s "$T/week1.$fmt" "$T/again.$fmt" ||
        fail "report --as-of 2026-03-06 ($fmt) differs from the one made on 6 March:
$(diff "$T/week1.$fmt" "$T/again.$fmt" | head -20)"
done

step "every figure is the same in json, csv, markdown and html"
python3 - "$T/now" <<'PY' || fail "formats disagree (see above)"
import csv, html.parser, json, sys
import xml.etree.ElementTree as ET

base = sys.argv[1]
doc = json.load(open(base + ".json", encoding="utf-8"))
md = open(base + ".md", encoding="utf-8").read()
page = open(base + ".html", encoding="utf-8").read()
errors = []

def text(v, pct=False, null="—"):
    if v is None:
        return null
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "%.1f%s" % (v, "%" if pct else "")
    return str(v)

# CSV, long format: every scalar of the document, once, with the same value.
rows = list(csv.reader(open(base + ".csv", encoding="utf-8", newline="")))
if rows[0] != ["section", "key", "metric", "value"]:
    errors.append("csv header %r" % rows[0])
got = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
want = {}
def flatten(section, v):
    if isinstance(v, list):
        for item in v:
            for k, x in item.items():
                if k != "key":
                    want[(section, item["key"], k)] = text(x, null="")
    elif isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (list, dict)):
                flatten(section + "." + k, x)
            else:
                want[(section, "", k)] = text(x, null="")
for k, v in doc.items():
    flatten(k, v)
if got != want:
    diff = set(got.items()) ^ set(want.items())
    errors.append("csv differs from json: %s" % sorted(diff)[:10])
if len(rows) - 1 != len(want):
    errors.append("csv has %d rows for %d figures" % (len(rows) - 1, len(want)))

# Markdown: the summary rows and the breakdown's rows, cell for cell.
pcts = {"project_rate_pct", "procedure_rate_pct", "within_limit_pct"}
for k, v in doc["summary"].items():
    needle = "| %s |" % text(v, k in pcts)
    if not any(line.endswith(needle) for line in md.splitlines()):
        errors.append("md: no summary row ending %r (%s)" % (needle, k))
cols = ["projects", "projects_done", "project_rate_pct", "procedures", "approved",
        "not_required", "done", "procedure_rate_pct", "red", "yellow"]
for r in doc["breakdown"][doc["meta"]["by"]]:
    line = "| " + " | ".join([r["key"]] + [text(r[c], c in pcts) for c in cols]) + " |"
    if line not in md.splitlines():
        errors.append("md: no breakdown row %r" % line)
for p in doc["trend"]:
    if "| %s |" % p["key"] not in md:
        errors.append("md: no trend row for %s" % p["key"])

# HTML: well-formed XML and HTML; the tables hold the document's figures.
root = ET.fromstring(page)
X = "{http://www.w3.org/1999/xhtml}"
S = "{http://www.w3.org/2000/svg}"
class P(html.parser.HTMLParser):
    pass
P().feed(page)

def table(tid):
    for t in root.iter(X + "table"):
        if t.get("id") == tid:
            return [[("".join(td.itertext()), td.get("data-key")) for td in tr.iter(X + "td")]
                    for tr in t.iter(X + "tr") if list(tr.iter(X + "td"))]
    errors.append("html: no table %s" % tid)
    return []

for cells in table("summary"):
    text_, key = cells[1]
    if text_ != text(doc["summary"][key], key in pcts):
        errors.append("html summary %s: %r vs %r" % (key, text_, doc["summary"][key]))
for section, tid in (("breakdown", "breakdown"), ("departments", "departments"),
                     ("trend", "trend"), ("overdue", "overdue")):
    rows_json = doc[section][doc["meta"]["by"]] if section == "breakdown" else doc[section]
    rows_html = table(tid)
    if len(rows_html) != len(rows_json):
        errors.append("html %s: %d rows, json %d" % (tid, len(rows_html), len(rows_json)))
    for rj, rh in zip(rows_json, rows_html):
        for text_, key in rh:
            if key != "key" and text_ != text(rj[key], key in pcts):
                errors.append("html %s %s: %r vs %r" % (tid, key, text_, rj[key]))
for tid, obj in (("states", doc["states"]),):
    for cells in table(tid):
        if cells[1][0] != str(obj[cells[1][1]]):
            errors.append("html states %s" % cells[1][1])

charts = {s.get("id"): s for s in root.iter(S + "svg")}
for c in ("chart-region", "chart-department", "chart-colours", "chart-trend"):
    if c not in charts:
        errors.append("html: no chart %s" % c)
if len(list(charts["chart-region"].iter(S + "rect"))) != len(doc["breakdown"]["region"]):
    errors.append("html: chart-region has not one bar per region")
if len(list(charts["chart-department"].iter(S + "rect"))) != len(doc["breakdown"]["department"]):
    errors.append("html: chart-department has not one bar per department")
if len(list(charts["chart-trend"].iter(S + "polyline"))) != 2:
    errors.append("html: the trend chart has no lines")
if len(list(charts["chart-colours"].iter(S + "rect"))) != 3:
    errors.append("html: the colour chart has not three columns")
# Self-contained: no scripts, no links to anything, fonts and styles inline; prints.
low = page.lower()
for bad in ("<script", "src=", "href=", "@import", "url(", "<link"):
    if bad in low:
        errors.append("html is not self-contained: %s" % bad)
if "@media print" not in page:
    errors.append("html has no print style")

for e in errors:
    print("report formats:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

step "--by department and industry; the default database comes from PERMIT_DB"
PERMIT_DB=$DB ctl report --as-of 2026-03-20T12:00:00+08:00 --by department
[[ "$OUT" == *"| EEB 生态环境局 |"* ]] || fail "--by department: $OUT"
[[ "$OUT" == *"# 联审联批周调度"* ]] || fail "no weekly dispatch heading: $OUT"
ctl report --db "$DB" --as-of 2026-03-20T12:00:00+08:00 --by industry --format html
[[ "$OUT" == *'id="chart-industry"'* ]] || fail "--by industry html has no industry chart"

step "usage errors and a missing database"
run "$PERMITCTL" report --db "$DB" --format pdf
((RC == 64)) || fail "--format pdf exited $RC"
run "$PERMITCTL" report --db "$DB" --as-of yesterday
((RC == 64)) || fail "--as-of yesterday exited $RC"
run "$PERMITCTL" report --db "$T/none.db"
if ((RC != 1)) || [[ "$ERR" != *none.db* ]]; then
    fail "a missing database: exit $RC, $ERR"
fi
[[ ! -e "$T/none.db" ]] || fail "report created a database"

stop_broker
