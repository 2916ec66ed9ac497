#!/usr/bin/env bash
# Contacts are admin data but still input: a routing file whose e-mail address carries a CR and
# an SMTP command is refused, at `run -n` and at start, with its file and line number — nothing
# reaches the SMTP server.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker
start_smtp
printf '[route]\nunblocked = 张伟\n[contact 张伟]\nemail = zw@tongliao.example.gov.cn\rRCPT TO:<all@tongliao.example.gov.cn>\n' \
    >"$T/routes.conf"
notify_conf "smtp_url=smtp://127.0.0.1:$SMTP_PORT" "smtp_from=notify@test.example"
step "run -n refuses the file at the line"
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
((RC != 0)) || fail "run -n accepted a contact with CR: $OUT"
[[ "$ERR" == *"$T/routes.conf:4: [contact 张伟]: email: not an e-mail address"* ]] ||
    fail "run -n: $ERR"
step "and so does run"
run "$PERMIT_NOTIFY" run --config "$T/notify.conf"
((RC != 0)) && [[ "$ERR" == *"routes.conf:4:"* ]] || fail "run: $RC $ERR"
[[ ! -s "$T/smtp.jsonl" ]] || fail "mail sent: $(cat "$T/smtp.jsonl")"
