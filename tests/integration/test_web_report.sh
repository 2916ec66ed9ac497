#!/usr/bin/env bash
# The weekly bulletin in permit-web (/report): one code path with permitctl report. On the
# sample data with a test clock that makes red items, /report.html and /report.csv are byte for
# byte `permitctl report --format html` and `--format csv --bom` with the same as-of day,
# period, language and bulletin file; /report.xlsx is a workbook with the same summary; the
# headers (type, RFC 5987 file name, the CSP allowing the bulletin's one style by its hash);
# bad as_of, period and lang are 400; without db the page explains how to enable it; /report
# renders in headless chromium with no CSP violation, and its screenshot goes to
# build-test/screenshots/.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

for need in chromium chromedriver jq; do
    command -v "$need" >/dev/null || fail "$need is not installed (run scripts/deps.sh)"
done
"$PY" -c 'import selenium, openpyxl' 2>/dev/null ||
    fail "python3-selenium or python3-openpyxl is not installed (run scripts/deps.sh)"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
for n in 001 002 003 004 005 006; do
    send --dept EEB --project "TL-2026-$n" --procedure EIA --event accepted
done
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event approved --cert 证-001
# Three weeks on: the accepted procedures are past their limits.
ctl clock set 2026-03-20T10:00:00+08:00
printf '[bulletin]\nissuer = 某市重大项目联审联批工作专班\ncity = 通辽市\nfirst_issue = 2026-01-05\n' \
    >"$T/bulletin.conf"

step "without db: the report pages say how to enable it"
web_conf
start_web
code=$(curl -s -o "$T/off.txt" -w '%{http_code}' "$WEB_URL/report.html")
[[ "$code" == 503 ]] && grep -q "set db = " "$T/off.txt" ||
    fail "/report.html without db: $code $(cat "$T/off.txt")"
[[ "$(curl -fsS "$WEB_URL/api/report" | jq .enabled)" == false ]] || fail "/api/report says enabled without db"
OFF_URL=$WEB_URL

web_conf "db=$DB" "bulletin=$T/bulletin.conf"
run "$PERMIT_WEB" --config "$T/web.conf" -n
((RC == 0)) || fail "permit-web -n with db and bulletin: $RC $ERR"
printf '[bulletin]\nfirst_issue = 2026-13-01\n' >"$T/bad.conf"
run "$PERMIT_WEB" --config "$T/web.conf" --bulletin "$T/bad.conf" -n
((RC == 78)) && [[ "$ERR" == *"first_issue wants a date"* ]] || fail "a bad bulletin file: $RC $ERR"
FIRST_PID=$WEB_PID
start_web

# get NAME PATH: the body into $T/NAME, the headers into $T/NAME.hdr; the status in CODE.
get() {
    CODE=$(curl -sS -D "$T/$1.hdr" -o "$T/$1" -w '%{http_code}' "$WEB_URL$2")
}
header() {
    sed -n "s/^$2: \(.*\)\r$/\1/Ip" "$T/$1.hdr"
}

step "/report.html is permitctl report --format html, byte for byte"
for args in "as_of=2026-03-20&period=week&lang=zh|--as-of 2026-03-20 --period week --lang zh" \
    "as_of=2026-03-20&period=month&lang=en|--as-of 2026-03-20 --period month --lang en" \
    "as_of=2026-03-06&period=week&lang=zh|--as-of 2026-03-06"; do
    q=${args%%|*}
    # shellcheck disable=SC2086 # the options are words
    ctl report --db "$DB" --bulletin "$T/bulletin.conf" ${args#*|} --format html --out "$T/ctl.html"
    get web.html "/report.html?$q"
    [[ "$CODE" == 200 ]] || fail "/report.html?$q answered $CODE: $(cat "$T/web.html")"
    cmp "$T/web.html" "$T/ctl.html" || fail "/report.html?$q differs from permitctl report"
done
get web.html "/report.html?as_of=2026-03-20"
cmp -s "$T/web.html" "$T/ctl.html" && fail "the as-of day changes nothing"
[[ "$(header web.html Content-Type)" == "text/html; charset=utf-8" ]] ||
    fail "Content-Type: $(header web.html Content-Type)"
want="inline; filename=\"weekly-bulletin-2026-03-20.html\"; filename*=UTF-8''%E5%91%A8%E8%B0%83%E5%BA%A6%E9%80%9A%E6%8A%A5-2026-03-20.html"
[[ "$(header web.html Content-Disposition)" == "$want" ]] ||
    fail "Content-Disposition: $(header web.html Content-Disposition)"
grep -q '<div class="card red" data-key="overdue_total"><div class="big">[1-9]' "$T/web.html" ||
    fail "the bulletin of 20 March shows no red overdue count"

step "the bulletin has no script, and its CSP allows exactly its one style"
"$PY" - "$T/web.html" "$(header web.html Content-Security-Policy)" \
    "$(header web.html X-Frame-Options)" <<'PY' || fail "the bulletin's CSP (see above)"
import base64, hashlib, re, sys
page, csp, xfo = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
errors = []
if re.search(r"<script|\son[a-z]+\s*=|\sstyle\s*=|javascript:", page, re.I):
    errors.append("script, an event handler or a style attribute in the bulletin")
styles = re.findall(r"<style>(.*?)</style>", page, re.S)
if len(styles) != 1:
    errors.append("%d style elements" % len(styles))
digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
if "style-src 'sha256-%s'" % digest not in csp:
    errors.append("the CSP does not allow the style by its hash: %s" % csp)
for want in ("default-src 'self'", "frame-ancestors 'self'", "base-uri 'none'"):
    if want not in csp:
        errors.append("the CSP lacks %s: %s" % (want, csp))
if "unsafe-inline" in csp or xfo != "SAMEORIGIN":
    errors.append("unsafe-inline or X-Frame-Options %s" % xfo)
for e in errors:
    print("csp:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

step "/report.csv is permitctl report --format csv --bom, byte for byte"
ctl report --db "$DB" --bulletin "$T/bulletin.conf" --as-of 2026-03-20 --period month --format csv \
    --bom --out "$T/ctl.csv"
get web.csv "/report.csv?as_of=2026-03-20&period=month"
[[ "$CODE" == 200 ]] && cmp "$T/web.csv" "$T/ctl.csv" || fail "/report.csv differs ($CODE)"
[[ "$(header web.csv Content-Type)" == "text/csv; charset=utf-8" ]] || fail "CSV type: $(header web.csv Content-Type)"
[[ "$(header web.csv Content-Disposition)" == "attachment; filename=\"monthly-bulletin-2026-03-20.csv\"; filename*=UTF-8''%E6%9C%88%E9%80%9A%E6%8A%A5-2026-03-20.csv" ]] ||
    fail "CSV disposition: $(header web.csv Content-Disposition)"

step "/report.xlsx is a workbook with the report's summary"
ctl report --db "$DB" --bulletin "$T/bulletin.conf" --as-of 2026-03-20 --format json --out "$T/ctl.json"
get web.xlsx "/report.xlsx?as_of=2026-03-20"
[[ "$CODE" == 200 ]] || fail "/report.xlsx answered $CODE"
[[ "$(header web.xlsx Content-Type)" == application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ]] ||
    fail "xlsx type: $(header web.xlsx Content-Type)"
"$PY" - "$T/web.xlsx" "$T/ctl.json" <<'PY' || fail "the workbook's summary (see above)"
import json, sys
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
doc = json.load(open(sys.argv[2], encoding="utf-8"))
ws = wb["汇总"]
cells = [[c.value for c in row] for row in ws.iter_rows()]
s = doc["summary"]
found = {}
for row in cells:
    for v in row[1:]:
        if isinstance(v, (int, float)):
            found.setdefault(row[0], v)
for key in ("projects", "procedures", "overdue_total", "red", "done"):
    want = s[key]
    if want not in [v for r in cells for v in r[1:] if isinstance(v, (int, float))]:
        print("xlsx: no cell with %s = %s: %s" % (key, want, cells[:20]), file=sys.stderr)
        sys.exit(1)
PY

step "bad as_of, period and lang are 400 with the reason"
for q in "as_of=2026-02-30" "as_of=20260320" "as_of=2026-3-20" "as_of=2099-01-01" "as_of=" \
    "period=year" "period=" "lang=fr" "lang=english"; do
    get bad.txt "/report.html?$q"
    [[ "$CODE" == 400 ]] && grep -Eq "as_of (wants|is after)|period wants|lang wants" "$T/bad.txt" ||
        fail "/report.html?$q answered $CODE: $(cat "$T/bad.txt")"
done

step "/report in chromium: the bulletin framed, no CSP violation; a screenshot"
mkdir -p "$PERMIT_BIN/screenshots"
WEB_URL=$WEB_URL OFF_URL=$OFF_URL SHOTS=$PERMIT_BIN/screenshots \
    timeout 90 "$PY" "$PERMIT_SRC/tests/web/report.py" || fail "the browser test failed (see above)"
[[ -s "$PERMIT_BIN/screenshots/report-1920x1080.png" ]] || fail "no screenshot report-1920x1080.png"
stop_web
WEB_PID=$FIRST_PID
stop_web
