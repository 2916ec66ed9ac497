#!/usr/bin/env bash
# The bulletin (周调度通报, 月通报): `permitctl report --format html` over the sample data of
# deploy/ on a test clock. Chinese only by default and English only with --lang en; department
# names, never codes; a hostile department name and configured title values escaped; red
# only on what is overdue and above 0 ("0 超期事项" is not red), the 80% target line on the
# rate bars; projects counted per colour; the title block from --bulletin FILE and options;
# printed to PDF with headless Chromium: at most two A4 pages, no date broken across lines.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
for tool in chromium pdfinfo pdftotext; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
printf 'code,name,contact\nXSS,<script>alert(1)</script>,x\n' >"$T/hostile.csv"
ctl import departments "$T/hostile.csv"

step "week of 2 March: acceptances by the sample departments"
for n in 001 002 003 004 005 006; do
    send --dept EEB --project "TL-2026-$n" --procedure EIA --event accepted
done
for n in 001 002; do
    send --dept NRB --project "TL-2026-$n" --procedure LAND_PREREVIEW --event accepted
    send --dept NRB --project "TL-2026-$n" --procedure LAND_PREREVIEW --event approved --cert "证-$n"
done
send --dept NRB --project TL-2026-007 --procedure LAND_PREREVIEW --event accepted

# bulletin NAME ARGS...: the report of the week of 16 March into $T/NAME.{html,json}.
bulletin() {
    local name=$1
    shift
    ctl report --db "$DB" --format html --out "$T/$name.html" "$@"
    ctl report --db "$DB" --format json --out "$T/$name.json" "$@"
}

step "3 March: nothing is overdue, and a 0 is not red"
bulletin quiet --as-of 2026-03-03
[[ "$(jq .summary.overdue_total "$T/quiet.json")" == 0 ]] ||
    fail "overdue on 3 March: $(jq -c .summary "$T/quiet.json")"
grep -q '<div class="card" data-key="overdue_total"><div class="big">0</div>' "$T/quiet.html" ||
    fail "0 overdue items is not shown plain: $(grep -o '<div class="card[^>]*overdue_total[^<]*<div[^<]*' "$T/quiet.html")"

ctl clock set 2026-03-20T10:00:00+08:00
printf '[bulletin]\nissuer = 某市重大项目联审联批工作专班 & <b>专班</b>\ncity = 通辽市\nfirst_issue = 2026-01-05\n' \
    >"$T/bulletin.conf"

step "20 March: the weekly bulletin, Chinese only, names not codes, escaped, meaningful colours"
bulletin week --as-of 2026-03-20 --bulletin "$T/bulletin.conf" --weeks 4
jq -e '.summary.overdue_total == 7 and .colours.red == 7 and .project_colours.red == 7
    and .project_colours.red + .project_colours.yellow + .project_colours.green == 24
    and .meta.issue == 11 and .meta.period_from == "2026-03-16" and .meta.period_to == "2026-03-22"
    and .meta.city == "通辽市"' "$T/week.json" >/dev/null ||
    fail "week figures: $(jq -c '[.summary, .colours, .project_colours, .meta]' "$T/week.json")"
"$PY" - "$T/week.html" "$T/week.json" <<'PY' || fail "the weekly bulletin (see above)"
import json, re, sys
import xml.etree.ElementTree as ET
page = open(sys.argv[1], encoding="utf-8").read()
doc = json.load(open(sys.argv[2], encoding="utf-8"))
errors = []
root = ET.fromstring(page)  # well-formed: every name escaped
X = "{http://www.w3.org/1999/xhtml}"
body = "".join(root.find(X + "body").itertext())
# Chinese only: no word of English outside the data (project numbers, the hostile name) and
# the zone's name.
data = body.replace(doc["meta"]["time_zone"], "").replace("<script>alert(1)</script>", "")
words = set(re.findall(r"[A-Za-z]{3,}", data))
if words:
    errors.append("English words in the Chinese bulletin: %s" % sorted(words))
for want in ("通辽市联审联批周调度通报", "第11期", "自然资源局", "生态环境局", "2026-03-16",
             "2026-03-22", "手续办结率", "已受理", "目标 80%"):
    if want not in body:
        errors.append("no %r" % want)
for code in ("NRB", "EEB"):
    if code in body:
        errors.append("department code %s shown" % code)
if "<script" in page or "&lt;script&gt;alert(1)&lt;/script&gt;" not in page:
    errors.append("the hostile department name is not escaped")
if "某市重大项目联审联批工作专班 &amp; &lt;b&gt;专班&lt;/b&gt;" not in page:
    errors.append("the issuer is not escaped")
# Red only on a count above 0 of something overdue; "yellow" only above 0.
for el in root.iter():
    cls = (el.get("class") or "").split()
    if "red" in cls or "yellow" in cls:
        text = "".join(el.itertext()).strip()
        num = re.match(r"^\d+", text)
        if not num or int(num.group()) == 0:
            errors.append("%s on %r (%s)" % (cls, text, el.get("data-key")))
card = [e for e in root.iter(X + "div") if e.get("data-key") == "overdue_total"]
if not card or "red" not in card[0].get("class").split():
    errors.append("7 overdue items are not red")
# Rates under the target are amber ("below"), and every rate chart has its target line.
for svg in root.iter("{http://www.w3.org/2000/svg}svg"):
    if svg.get("id") in ("chart-region", "chart-department", "chart-trend"):
        if not [l for l in svg.iter("{http://www.w3.org/2000/svg}line") if l.get("class") == "target"]:
            errors.append("%s has no target line" % svg.get("id"))
        for r in svg.iter("{http://www.w3.org/2000/svg}rect"):
            if "bar" in (r.get("class") or "") and r.get("fill") == "#d9342b":
                errors.append("a rate bar is red")
for e in errors:
    print("bulletin:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

step "printed on A4 by Chromium: at most two pages, no date broken across lines"
timeout 60 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --user-data-dir="$T/chromium" --print-to-pdf="$T/week.pdf" "file://$T/week.html" \
    >"$T/chromium.out" 2>&1 || fail "chromium: $(tail -5 "$T/chromium.out")"
pages=$(pdfinfo "$T/week.pdf" | awk '/^Pages:/ {print $2}')
size=$(pdfinfo "$T/week.pdf" | awk -F': *' '/^Page size:/ {print $2}')
[[ "$size" == "594.96 x 841.92 pts (A4)" ]] || fail "not A4 portrait: $size"
# Measured: the sample's 24 projects in 23 regions and 8 departments fill two pages.
((pages <= 2)) || fail "the bulletin prints on $pages pages (at most 2)"
pdftotext "$T/week.pdf" "$T/week.txt"
"$PY" - "$T/week.txt" <<'PY' || fail "pdftotext shows a date broken across lines (see above)"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
if "2026-03-16" not in text:
    sys.exit("no period in the PDF's text: %r" % text[:300])
broken = [l for l in text.splitlines() if re.search(r"(?<![\d-])\d{4}-(\d{2}-?)?$", l.rstrip())]
if broken:
    sys.exit("lines ending in half a date: %r" % broken)
PY

step "--lang en: English only"
bulletin en --as-of 2026-03-20 --bulletin "$T/bulletin.conf" --lang en --issue 3
"$PY" - "$T/en.html" <<'PY' || fail "the English bulletin (see above)"
import re, sys
import xml.etree.ElementTree as ET
X = "{http://www.w3.org/1999/xhtml}"
root = ET.fromstring(open(sys.argv[1], encoding="utf-8").read())
body = "".join(root.find(X + "body").itertext())
errors = [w for w in ("Joint review weekly bulletin, 通辽市", "No. 3", "Procedure completion rate",
                      "accepted", "target 80%") if w not in body]
errors += ["Chinese label %r" % w for w in ("手续办结率", "已受理", "红色", "第3期", "统计周期")
           if w in body]
for e in errors:
    print("bulletin en:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

step "--period month: the monthly bulletin over March, titled by deploy/bulletin.conf"
bulletin month --as-of 2026-03-20 --period month --weeks 3 --bulletin "$PERMIT_SRC/deploy/bulletin.conf"
jq -e '.meta.period_from == "2026-03-01" and .meta.period_to == "2026-03-31" and .meta.issue == 3
    and ([.trend[].key] == ["2026-01-31", "2026-02-28", "2026-03-20"])
    and .summary.approved_in_period == 2' "$T/month.json" >/dev/null ||
    fail "month: $(jq -c '[.meta, [.trend[].key], .summary]' "$T/month.json")"
grep -q '通辽市联审联批月通报' "$T/month.html" || fail "no monthly title"
grep -q '通辽市重大项目联审联批工作专班' "$T/month.html" || fail "deploy/bulletin.conf's issuer is not used"
grep -q '月末' "$T/month.html" || fail "the monthly trend is not by month end"

step "xlsx: the same Chinese labels and the projects per colour"
ctl report --db "$DB" --as-of 2026-03-20 --format xlsx --out "$T/week.xlsx"
"$PY" - "$T/week.xlsx" <<'PY' || fail "the workbook's project colours"
import sys
import openpyxl
s = openpyxl.load_workbook(sys.argv[1])["汇总"]
rows = {s.cell(r, 1).value: s.cell(r, 2).value for r in range(2, s.max_row + 1)}
want = {"红色预警项目": 7, "手续状态：已受理": 7, "手续状态：不涉及": 17}
bad = {k: rows.get(k) for k, v in want.items() if rows.get(k) != v}
if bad:
    sys.exit("xlsx summary: %r of %r" % (bad, sorted(k for k in rows if k)))
PY

step "usage errors"
run "$PERMITCTL" report --db "$DB" --format html --period year
((RC == 64)) || fail "--period year exited $RC"
run "$PERMITCTL" report --db "$DB" --format html --lang fr
((RC == 64)) || fail "--lang fr exited $RC"
run "$PERMITCTL" report --db "$DB" --format html --first-issue 2026-13-01
((RC == 64)) || fail "--first-issue 2026-13-01 exited $RC"
printf '[bulletin]\nsigner = x\n' >"$T/bad.conf"
run "$PERMITCTL" report --db "$DB" --format html --bulletin "$T/bad.conf"
((RC == 78)) || fail "an unknown key in --bulletin exited $RC: $ERR"

stop_broker
