#!/usr/bin/env bash
# Who may acknowledge an alert on a CURVE broker: the notifier's key (permit-notify ack) and an
# operator's may, and the entry records the key that brought it (relay), whatever the client
# wrote; a department's key is refused "forbidden" and nothing is logged. A second ack of the
# same alert is a duplicate of the first, whoever sends it.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K=$T/keys S=$T/secrets
mkdir -p "$K" "$S"
ctl keygen broker --dir "$S"
ctl keygen admin --dir "$K" --role admin
ctl keygen notify --dir "$K" --role notifier
ctl keygen EEB --dir "$K" --role department
mv "$K"/*.secret "$S/"
export PERMIT_BROKER_KEY=$S/broker.key
start_broker --curve yes --secret-key-file "$S/broker.secret" --keys-dir "$K"
export PERMIT_CURVE_SECRET=$S/admin.secret
import_samples
alert=$(log_json --kind unblocked | jq -s -r '.[0].seq')
[[ "$alert" =~ ^[0-9]+$ ]] || fail "no unblocked entry to acknowledge"
head0=$(log_json | jq -s 'length')

ack_as() {
    PERMIT_CURVE_SECRET=$S/$1.secret run "$PERMIT_BIN/permit-notify" ack --db "$T/unused.db" \
        "$2" --by "$3"
}

step "a department's key may not acknowledge"
ack_as EEB "$alert" 张伟
((RC == 65)) && [[ "$ERR" == *forbidden* ]] || fail "department ack: exit $RC: $ERR"
(($(log_json | jq -s 'length') == head0)) || fail "the refused ack was logged"

step "the notifier's key may; the entry names the key"
ack_as notify "$alert" 张伟
((RC == 0)) || fail "notifier ack: exit $RC: $ERR"
log_json --kind alert_ack >"$T/ack.json"
jq -e --argjson a "$alert" '.cause == $a and .recipient == "张伟" and .via == "cli"
    and .relay == "notifier:notify" and .actor == "ack"' "$T/ack.json" >/dev/null ||
    fail "alert_ack: $(cat "$T/ack.json")"

step "a second ack by an operator is a duplicate: nothing more is logged"
ack_as admin "$alert" 李建国
((RC == 65)) && [[ "$ERR" == *"acknowledged already"* ]] || fail "second ack: exit $RC: $ERR"
(($(log_json --kind alert_ack | jq -s 'length') == 1)) || fail "two acks logged"

step "an operator acknowledges another alert; an ack of nothing is refused"
other=$(log_json --kind unblocked | jq -s -r '.[1].seq')
ack_as admin "$other" 李建国
((RC == 0)) || fail "operator ack: exit $RC: $ERR"
[[ $(log_json --kind alert_ack | jq -s -r '.[1].relay') == admin:admin ]] || fail "relay"
ack_as admin 999999 李建国
((RC == 65)) && [[ "$ERR" == *invalid* ]] || fail "ack of nothing: exit $RC: $ERR"
step "ok"
