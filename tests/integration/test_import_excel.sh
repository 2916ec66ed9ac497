#!/usr/bin/env bash
# Imports of CSV files as Excel saves them: a projects file in GB18030 (Excel on Chinese
# Windows), with CRLF line ends, no byte order mark and Chinese column headers imports the same
# projects as its UTF-8 twin (status compared field by field); a UTF-8 file with a byte order
# mark imports; an unknown column is refused with the list of valid columns and their Chinese
# names; a file that is neither UTF-8 nor GB18030 is refused with the line of the bad byte.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_broker
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl import template "$PERMIT_SRC/deploy/template.csv"

# The first six sample projects twice: ids U8-n in UTF-8 with English headers, GB-n in
# GB18030 with Chinese ones, CRLF and no byte order mark.
python3 - "$PERMIT_SRC/deploy/projects.csv" "$T" <<'PY'
import csv, sys
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(src, encoding="utf-8-sig")))
head, body = rows[0], rows[1:7]
zh = {"id": "项目编号", "name": "项目名称", "region": "旗县市区", "industry": "行业",
      "company": "建设单位", "steward": "项目管家", "leader": "包联领导", "template": "模板",
      "not_required": "无需办理"}
def write(path, header, prefix, encoding, newline):
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator=newline)
        w.writerow(header)
        for i, r in enumerate(body):
            w.writerow([prefix + str(i)] + r[1:])
write(out + "/u8.csv", head, "U8-", "utf-8", "\n")
write(out + "/gb.csv", [zh[h] for h in head], "GB-", "gb18030", "\r\n")
PY
if python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$T/gb.csv" 2>/dev/null; then
    fail "gb.csv is valid UTF-8: the test would not exercise GB18030"
fi
grep -q $'\r$' "$T/gb.csv" || fail "gb.csv has no CRLF line ends"

step "GB18030, CRLF, Chinese headers: the same projects as the UTF-8 file"
ctl import projects "$T/u8.csv"
ctl import projects "$T/gb.csv"
[[ "$OUT" == *"imported 6 projects"* ]] || fail "gb.csv: unexpected answer '$OUT'"
for i in 0 1 2 3 4 5; do
    strip='del(.project.id) | del(.procs[].updated_seq, .procs[].updated_time, .procs[].updated_ms)'
    ctl status "U8-$i" --json
    want=$(jq -S "$strip" <<<"$OUT")
    ctl status "GB-$i" --json
    got=$(jq -S "$strip" <<<"$OUT")
    [[ "$got" == "$want" ]] || fail "GB-$i differs from U8-$i: $(diff <(echo "$want") <(echo "$got"))"
done
jq -e '.project.name | test("[\\p{Han}]")' <<<"$OUT" >/dev/null ||
    fail "GB-5's name has no Chinese: $OUT"

step "a UTF-8 file with a byte order mark"
printf '\xef\xbb\xbf项目编号,项目名称\r\nBOM-1,带BOM的项目\r\n' >"$T/bom.csv"
ctl import projects "$T/bom.csv"
ctl status BOM-1 --json
[[ "$(jq -r .project.name <<<"$OUT")" == "带BOM的项目" ]] || fail "BOM-1's name: $OUT"

step "an unknown column lists the valid ones with their Chinese names"
printf 'id,name,颜色\nX-1,x,red\n' >"$T/unknown.csv"
run "$PERMITCTL" import projects "$T/unknown.csv"
((RC == 65)) || fail "unknown column: exit $RC (expected 65): $ERR"
[[ "$ERR" == *"unknown.csv:1: unknown column '颜色'; the columns are: id (项目编号, 编号), name (项目名称, 名称), region (旗县市区, 地区, 区域)"* &&
    "$ERR" == *"not_required (无需办理, 不涉及)"* ]] || fail "unknown column: '$ERR'"

step "neither UTF-8 nor GB18030: refused with the line"
printf 'id,name\r\nX-1,fine\r\nX-2,bad \xff byte\r\n' >"$T/neither.csv"
run "$PERMITCTL" import projects "$T/neither.csv"
((RC == 65)) || fail "neither: exit $RC (expected 65): $ERR"
[[ "$ERR" == *"neither.csv:3: not valid UTF-8, nor GB18030"* ]] || fail "neither: '$ERR'"

stop_broker
