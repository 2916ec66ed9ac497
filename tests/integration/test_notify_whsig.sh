#!/usr/bin/env bash
# Generic webhooks signed the Standard Webhooks way when the contact has a webhook_secret: the
# recorder verifies webhook-id, webhook-timestamp and webhook-signature with Python's hmac and
# answers 401 to anything else; a contact with another secret fails and is retried.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_broker
import_samples
start_http web --webhook-secret "$SECRET"
H=http://127.0.0.1:$PORT
# DRC's unblocked entries only (the one this test causes): registration also announces the
# procedures ready from the start, which would queue ~100 deliveries to the wrong receiver first.
cat >"$T/routes.conf" <<CONF
[route dept=DRC]
unblocked = good, wrong
[contact good]
webhook = $H/hook/good
webhook_secret = $SECRET
[contact wrong]
webhook = $H/hook/wrong
webhook_secret = whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==
CONF
notify_conf max_attempts=2
start_notify
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
W=$T/web.jsonl
step "the signed webhook is accepted, its id the idempotency key"
wait_count 20 1 "$W" '.path == "/hook/good"'
(($(count "$W" '.path == "/hook/good" and .headers["webhook-id"] == .key
    and (.headers["webhook-signature"] | startswith("v1,"))') >= 1)) || fail "$(cat "$W")"
step "a signature with another secret is refused"
wait_for 20 "the wrong signature to be a dead letter" \
    bash -c "'$PERMIT_NOTIFY' history --config '$T/notify.conf' --json |
        jq -e -s 'any(.[]; .recipient == \"wrong\" and .state == \"dead\"
            and (.last_error | contains(\"HTTP 401\")))' >/dev/null"
stop_notify
