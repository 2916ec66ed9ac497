#!/usr/bin/env bash
# What the clerk sees when something is wrong, and that the rest flows on: a malformed file and
# a file with one bad row go to failed/ with the file's line and the problem beside them and
# nothing of them is taken; events the broker refuses wait in the rejected list with the
# broker's code and reason while the events behind them are delivered; retry after fixing
# the cause, drop, retry --all; send --queue; names being written are ignored until renamed;
# config errors and a second daemon on one folder are refused.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

start_broker
import_samples
agent_conf nrb NRB
start_agent nrb
SPOOL=$T/nrb/spool

step "a malformed JSON file goes to failed/ with its line and problem"
printf '[\n  {"project": "TL-2026-001", "procedure": "LAND_PREREVIEW",\n   "event": accepted}\n]\n' \
    >"$T/bad.json"
drop_file nrb "$T/bad.json"
failed() { [[ -f "$SPOOL/failed/$1" && -f "$SPOOL/failed/$1.reason" ]]; }
wait_for 10 "bad.json in failed/" failed bad.json
grep -q "^bad.json:3: invalid token" "$SPOOL/failed/bad.json.reason" ||
    fail "bad.json.reason: $(cat "$SPOOL/failed/bad.json.reason")"
grep -q "refused bad.json: bad.json:3:" "$AGENT_LOG" || fail "the agent did not log the refusal"

step "a CSV file with one bad row: nothing of it is taken"
cat >"$T/rows.csv" <<'EOF'
project,procedure,event,note
TL-2026-001,LAND_PREREVIEW,accepted,好的一行
TL-2026-002,LAND_PREREVIEW,accepted,也是好的
TL-2026-003,LAND_PREREVIEW,approve,拼错了
EOF
drop_file nrb "$T/rows.csv"
wait_for 10 "rows.csv in failed/" failed rows.csv
grep -q "^rows.csv:4: unknown event kind 'approve'" "$SPOOL/failed/rows.csv.reason" ||
    fail "rows.csv.reason: $(cat "$SPOOL/failed/rows.csv.reason")"
agent_json nrb
[[ "$(jq '.queued + .sent' <<<"$OUT")" == 0 ]] || fail "events of failed files were taken: $OUT"

step "events the broker refuses wait in the rejected list; the ones behind them go on"
cat >"$T/mixed.csv" <<'EOF'
id,project,procedure,event,cert
r-1,TL-2026-003,LAND_PREREVIEW,approved,证-1
r-2,TL-2026-003,LAND_PREREVIEW,accepted,
r-3,TL-2026-003,LAND_PREREVIEW,approved,用字第3号
r-4,TL-2099-001,LAND_PREREVIEW,accepted,
r-5,TL-2026-004,EIA,accepted,
r-6,TL-2026-004,LAND_PREREVIEW,accepted,
EOF
drop_file nrb "$T/mixed.csv"
settled() {
    agent_json nrb
    [[ "$(jq -r '"\(.sent) \(.queued) \(.rejected | length)"' <<<"$OUT")" == "$1" ]]
}
wait_for 15 "3 acked and 3 refused" settled "3 0 3"
code_of() { jq -r --arg id "$1" '.rejected[] | select(.id == $id) | .code' <<<"$OUT"; }
[[ "$(code_of r-1)" == forbidden_transition ]] || fail "r-1: $OUT"
[[ "$(code_of r-4)" == unknown_project ]] || fail "r-4: $OUT"
[[ "$(code_of r-5)" == not_owner ]] || fail "r-5: $OUT"
jq -e '.rejected[] | select(.id == "r-4") | .source == "mixed.csv:5"
    and (.reason | contains("TL-2099-001"))' <<<"$OUT" >/dev/null || fail "r-4's source or reason: $OUT"
s2=$(dbq "SELECT seq FROM log WHERE event_id = 'r-2'")
s3=$(dbq "SELECT seq FROM log WHERE event_id = 'r-3'")
[[ -n "$s2" && -n "$s3" && "$s2" -lt "$s3" ]] || fail "r-2 ($s2) and r-3 ($s3) not logged in order"
[[ -z "$(dbq "SELECT seq FROM log WHERE event_id IN ('r-1', 'r-4', 'r-5')")" ]] ||
    fail "a refused event is in the log"
grep -q "refused r-4 (TL-2099-001 LAND_PREREVIEW accepted): unknown_project" "$AGENT_LOG" ||
    fail "the agent did not log r-4's refusal"
run "$PERMIT_AGENT" status --config "$T/nrb.conf"
[[ "$OUT" == *"rejected    3"* && "$OUT" == *"not_owner: "* && "$OUT" == *"permit-agent retry ID"* ]] ||
    fail "status does not show the refusals: $OUT"

step "the clerk fixes the cause and retries; drops what is wrong for good"
{
    head -n 1 "$PERMIT_SRC/deploy/projects.csv"
    echo "TL-2099-001,晚登记的项目,科尔沁区,物流,某公司,赵管家,钱领导,,"
} >"$T/late-project.csv"
ctl import projects "$T/late-project.csv"
run "$PERMIT_AGENT" retry --state "$T/nrb" r-4
((RC == 0)) || fail "retry r-4 exited $RC: $ERR"
wait_for 10 "r-4 to be acked" settled "4 0 2"
[[ -n "$(dbq "SELECT seq FROM log WHERE event_id = 'r-4'")" ]] || fail "r-4 is not logged"
run "$PERMIT_AGENT" drop --config "$T/nrb.conf" r-1
((RC == 0)) || fail "drop r-1 exited $RC: $ERR"
run "$PERMIT_AGENT" drop --config "$T/nrb.conf" r-1
((RC == 65)) || fail "dropping r-1 twice exited $RC (expected 65)"
run "$PERMIT_AGENT" retry --state "$T/nrb" no-such-id
((RC == 65)) || fail "retry of an unknown id exited $RC (expected 65)"
run "$PERMIT_AGENT" retry --state "$T/nrb" --all
[[ $RC == 0 && "$OUT" == *"1 rejected"* ]] || fail "retry --all: $RC $OUT $ERR"
refused_again() { grep -c "refused r-5" "$AGENT_LOG" | grep -q 2; }
wait_for 10 "r-5 to be refused again" refused_again
wait_for 10 "r-5 back in the rejected list" settled "4 0 1"
[[ "$(jq '.dropped' <<<"$OUT")" == 1 ]] || fail "status does not count the dropped event: $OUT"

step "send --queue hands an event to the daemon and returns"
run "$PERMIT_AGENT" send --queue --config "$T/nrb.conf" --project TL-2026-005 \
    --procedure LAND_PREREVIEW --event accepted --id q-1 --note 窗口受理
[[ $RC == 0 && "$OUT" == q-1 ]] || fail "send --queue: $RC '$OUT' $ERR"
run "$PERMIT_AGENT" send --queue --state "$T/nrb" --project TL-2026-005 \
    --procedure LAND_PREREVIEW --event approved
[[ $RC == 0 && "$OUT" =~ ^[0-9a-f-]{36}$ ]] || fail "send --queue without --id: $RC '$OUT' $ERR"
wait_for 10 "the queued events to be acked" settled "6 0 1"
run "$PERMIT_AGENT" send --queue --state "$T/nrb" --project TL-2026-005 \
    --procedure LAND_PREREVIEW --event accepted --id q-1
[[ $RC == 0 && "$ERR" == *"queued before"* ]] || fail "send --queue of a known id: $RC $ERR"
run "$PERMIT_AGENT" send --queue --state "$T/nrb" --dept EEB --project TL-2026-005 \
    --procedure EIA --event accepted
[[ $RC == 1 && "$ERR" == *"belongs to department NRB, not EEB"* ]] ||
    fail "send --queue for another department: $RC $ERR"
for bad in "--queue --project P --procedure X --event accepted" \
    "--queue --state $T/nrb --broker $INGEST --project P --procedure X --event accepted" \
    "--state $T/nrb --dept NRB --project P --procedure X --event accepted"; do
    # shellcheck disable=SC2086
    run "$PERMIT_AGENT" send $bad
    ((RC == 64)) || fail "send $bad exited $RC (expected 64): $ERR"
done

step "names being written are ignored until renamed"
printf 'project,procedure,event\nTL-2026-006,LAND_PREREVIEW,accepted\n' >"$SPOOL/.late.csv"
cp "$SPOOL/.late.csv" "$SPOOL/late.csv.tmp"
printf 'project,procedure,event\nTL-2026-007,LAND_PREREVIEW,accepted\n' >"$T/zz.csv"
drop_file nrb "$T/zz.csv"
wait_for 10 "zz.csv to be taken" test -f "$SPOOL/done/zz.csv"
[[ -f "$SPOOL/.late.csv" && -f "$SPOOL/late.csv.tmp" ]] || fail "a file being written was taken"
mv "$SPOOL/.late.csv" "$SPOOL/late.csv"
wait_for 10 "late.csv to be taken" test -f "$SPOOL/done/late.csv"
rm "$SPOOL/late.csv.tmp"
wait_for 10 "the last two events acked" settled "8 0 1"

step "bad configurations and a second daemon on one folder are refused"
printf '[agent]\ndept = NRB\nwindw = 8\n' >"$T/typo.conf"
run "$PERMIT_AGENT" run --config "$T/typo.conf" -n
[[ $RC == 78 && "$ERR" == *"typo.conf:3: unknown option 'windw'"* ]] ||
    fail "a typo in the config: exit $RC, $ERR"
printf '[agent]\nstate = %s/x\n' "$T" >"$T/nodept.conf"
run "$PERMIT_AGENT" run --config "$T/nodept.conf" -n
[[ $RC == 78 && "$ERR" == *"dept is required"* ]] || fail "no dept: exit $RC, $ERR"
run "$PERMIT_AGENT" run --config "$T/nrb.conf" -n --window 2000
[[ $RC == 78 && "$ERR" == *"window"* ]] || fail "--window 2000: exit $RC, $ERR"
run "$PERMIT_AGENT" run --config "$T/nrb.conf" -n
[[ $RC == 0 && "$OUT" == "configuration OK" ]] || fail "run -n: $RC $OUT $ERR"
for conf in "$PERMIT_SRC"/deploy/agents/*.conf; do
    run "$PERMIT_AGENT" run --config "$conf" -n
    ((RC == 0)) || fail "the shipped $(basename "$conf") is refused: $ERR"
done
(($(find "$PERMIT_SRC/deploy/agents" -name '*.conf' | wc -l) == 7)) ||
    fail "deploy/agents should hold a config for each of the 7 sample departments"
run "$PERMIT_AGENT" run --config "$T/nrb.conf"
[[ $RC == 1 && "$ERR" == *"another permit-agent is running"* ]] ||
    fail "a second daemon on the same folder: exit $RC, $ERR"
run "$PERMIT_AGENT" status
((RC == 64)) || fail "status without a folder exited $RC (expected 64)"
run "$PERMIT_AGENT" run --help
[[ $RC == 0 && "$OUT" == *"--backoff-max-ms"* ]] || fail "run --help: $OUT"

stop_agent nrb
run "$PERMIT_AGENT" status --state "$T/nrb"
[[ "$OUT" == *"daemon      not running"* ]] || fail "status after the stop: $OUT"
stop_broker
