#!/usr/bin/env bash
# permit-web in a real browser (headless chromium through selenium): the wall board on the
# sample data changes within a second of an event sent through permit-agent; a project link
# shows the chain that blocks it; permit-web killed and restarted under an open page resumes
# with no entry missed and none twice; the broker's clock moved on turns the board's counts red
# and lists the longest overdue; hostile names render as text in the pages, the graph's
# SVG, the JSON and the stream; unknown paths are 404. Screenshots of the board and a project at
# 1920x1080 and at phone width go to build-test/screenshots/.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

for need in chromium chromedriver; do
    command -v "$need" >/dev/null || fail "$need is not installed (run scripts/deps.sh)"
done
"$PY" -c 'import selenium' 2>/dev/null || fail "python3-selenium is not installed (run scripts/deps.sh)"

# A test clock from now, so the test can move it on and turn procedures red.
start_broker --test-clock "$(date +%Y-%m-%dT%H:%M:%S%:z)"
import_samples
# Hostile names (imported by browser.py once the board's screenshot is taken): markup, quotes
# and a right-to-left override in a project, a region, a steward and a department.
printf 'code,name,contact\nEVL,"<script>alert(3)</script>部门 ""q"" \xe2\x80\xaeevil",x\n' >"$T/evil_depts.csv"
printf 'id,name,region,industry,company,steward,leader,template,not_required\nEVIL-1,"<script>alert(1)</script> ""q"" \xe2\x80\xaeevil",<img src=x onerror=alert(2)>,x,x,"<b>st</b>",lead,standard,\n' >"$T/evil.csv"
web_conf
run "$PERMIT_WEB" --config "$T/web.conf" -n
((RC == 0)) && [[ "$OUT" == "configuration OK" ]] || fail "permit-web -n: $RC $OUT $ERR"
start_web

step "unknown paths are 404, with the security headers"
for path in /nope /p/NO-SUCH /d/NOSUCH /api/project/NO-SUCH /static/nope.js /api/nope; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$WEB_URL$path")
    [[ "$code" == 404 ]] || fail "GET $path answered $code (expected 404)"
done
headers=$(curl -sS -D - -o /dev/null "$WEB_URL/")
[[ "$headers" == *"Content-Security-Policy: default-src 'self'"*"frame-ancestors 'none'"* ]] ||
    fail "/ has no CSP: $headers"
[[ "$headers" == *"X-Content-Type-Options: nosniff"* && "$headers" == *"Referrer-Policy:"* ]] ||
    fail "/ lacks nosniff or Referrer-Policy: $headers"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$WEB_URL/api/board")
[[ "$code" == 405 ]] || fail "POST /api/board answered $code (expected 405)"

step "the browser: board, live ticker, project, restart, hostile names, screenshots"
mkdir -p "$PERMIT_BIN/screenshots"
export WEB_CMD="$PERMIT_WEB --config $T/web.conf --listen 127.0.0.1:$WEB_PORT" WEB_PID WEB_URL T \
    SHOTS=$PERMIT_BIN/screenshots PERMIT_AGENT PERMITCTL
timeout 120 "$PY" "$PERMIT_SRC/tests/web/browser.py" ||
    fail "the browser test failed (its output is above)"
rc=0
wait "$WEB_PID" || rc=$?
((rc == 0)) || fail "the first permit-web exited $rc after SIGTERM: $(tail -n 20 "$WEB_LOG")"
for f in board-1920x1080 board-390x844 project-1920x1080 project-390x844; do
    [[ -s "$PERMIT_BIN/screenshots/$f.png" ]] || fail "no screenshot $f.png"
done
