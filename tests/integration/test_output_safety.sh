#!/usr/bin/env bash
# Text from departments reaches people safely: a spreadsheet opening `permitctl report
# --format csv` shows a name such as "=HYPERLINK(...)" as text, not as a formula (OWASP CSV
# injection), while figures, negative ones too, stay numbers; a terminal showing `permitctl
# status`, `permitctl tail` or the broker's log obeys nothing in a department's text (an ANSI
# escape, the C1 control U+0085, the bidi override U+202E): each shows escaped.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
umask 022

start_broker --test-clock 2026-03-02T09:00:00+08:00
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
{
    echo "id,name,region,industry,company,steward,leader,template,not_required"
    echo "FX-1,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"点我\"\")\",=1+2,-工业,@公司,+张伟,李建国,,"
    echo "FX-2,正常项目,科尔沁区,物流,通辽冷链有限公司,张伟,李建国,,"
} >"$T/projects.csv"
ctl import projects "$T/projects.csv"
send --dept NRB --project FX-1 --procedure LAND_PREREVIEW --event accepted
ctl clock set 2026-03-20T18:00:00+08:00

step "csv: text cells that look like formulas are quoted text; figures stay figures"
for by in region industry department; do
    ctl report --db "$DB" --by "$by" --weeks 2 --format csv --out "$T/report-$by.csv"
    python3 - "$T/report-$by.csv" <<'PY' || fail "report --by $by: $(cat "$T/report-$by.csv")"
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
number = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
bad = [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not number.match(c)]
if bad:
    sys.exit("cells a spreadsheet runs as formulas: %r" % bad)
cells = [c for r in rows for c in r]
for want in ("'=1+2", "'-工业"):
    if want in cells:
        break
else:
    sys.exit("no region or industry cell kept as text")
PY
done
grep -q "'=1+2" "$T/report-region.csv" || fail "region =1+2 is not in the csv as '=1+2"
grep -q "'-工业" "$T/report-industry.csv" || fail "industry -工业 is not in the csv as '-工业"

# No raw ESC, U+0085 or U+202E in FILE, and each shown as its escape.
escaped_in() { # FILE WHAT
    python3 - "$1" <<'PY' || fail "$2: $(cat -v "$1")"
import sys
b = open(sys.argv[1], "rb").read()
for raw in (b"\x1b", b"\xc2\x85", b"\xe2\x80\xae"):
    if raw in b:
        sys.exit("raw %r in the output" % raw)
for esc in (rb"\x1b[31m", rb"\u0085", rb"\u202e"):
    if esc not in b:
        sys.exit("no %r in the output" % esc)
PY
}

EVIL=$(printf 'paid\033[31m RED\302\205next\342\200\256txt.exe')
step "status, tail and the broker log show a department's escape sequences escaped"
send --dept NRB --project FX-2 --procedure LAND_PREREVIEW --event accepted_deficient \
    --missing "$EVIL" --due 2026-03-27 --note "$EVIL"
"$PERMITCTL" status FX-2 --wide >"$T/status.out" || fail "permitctl status FX-2 failed"
escaped_in "$T/status.out" "permitctl status"
"$PERMITCTL" tail --from 0 --project FX-2 >"$T/tail.out" || fail "permitctl tail failed"
escaped_in "$T/tail.out" "permitctl tail"
refused unknown_project --dept NRB --project NO-SUCH --procedure LAND_PREREVIEW \
    --event accepted --id "$EVIL"
wait_for 10 "the refusal in the broker log" grep -q "NO-SUCH\|unknown" "$BROKER_LOG"
grep "txt.exe" "$BROKER_LOG" >"$T/log.lines" || fail "the refused id is not in the log"
escaped_in "$T/log.lines" "the broker log"

step "databases at rest are the owner's alone, whatever the umask"
if on_sqlite; then
    for f in "$DB" "$DB-wal" "$DB-shm"; do
        [[ "$(stat -c %a "$f")" == 600 ]] || fail "$f has mode $(stat -c %a "$f") (expected 600)"
    done
fi
(umask 022 && "$PERMIT_AGENT" send --queue --state "$T/agent" --dept NRB --project FX-2 \
    --procedure EIA --event accepted >/dev/null) || fail "permit-agent send --queue failed"
[[ "$(stat -c %a "$T/agent/outbox.db")" == 600 ]] ||
    fail "the outbox has mode $(stat -c %a "$T/agent/outbox.db") (expected 600)"

stop_broker
