#!/usr/bin/env bash
# Files at rest: a config file that holds a password (permit-notify's SMTP password, permitd's
# PostgreSQL conninfo) and a client's CURVE secret key are private to their owner, or the
# program warns at start and -n refuses with the chmod to run; the agent's own log file is
# made 0640 whatever the umask; permit-notify silence list escapes people's text.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"
umask 022

step "permitd.conf with a password in its PostgreSQL conninfo: -n wants it chmod 600"
printf '[permitd]\ncurve = no\ndb = postgresql://permit@127.0.0.1/permit?password=s3cret\n' >"$T/pg.conf"
chmod 644 "$T/pg.conf"
run "$PERMITD" --config "$T/pg.conf" -n
((RC == 78)) || fail "permitd -n accepted a 0644 config with a password (exit $RC): $OUT $ERR"
[[ "$ERR" == *"$T/pg.conf is readable by group or others and holds a password: chmod 600 $T/pg.conf"* ]] ||
    fail "permitd -n does not say chmod 600: $ERR"
printf '[permitd]\ncurve = no\ndb = postgresql://permit:s3cret@127.0.0.1/permit\n' >"$T/pg.conf"
run "$PERMITD" --config "$T/pg.conf" -n
((RC == 78)) || fail "permitd -n accepted a 0644 config with a password in the URI (exit $RC)"
chmod 600 "$T/pg.conf"
run "$PERMITD" --config "$T/pg.conf" -n
((RC == 0)) || fail "permitd -n refused a 0600 config with a password (exit $RC): $ERR"
printf '[permitd]\ncurve = no\ndb = postgresql://permit@127.0.0.1/permit\n' >"$T/nopw.conf"
chmod 644 "$T/nopw.conf"
run "$PERMITD" --config "$T/nopw.conf" -n
((RC == 0)) || fail "permitd -n refused a 0644 config without a password (exit $RC): $ERR"

start_broker
import_samples

step "permit-notify's config with an SMTP password: a warning at start, an error with -n"
routes_unblocked_webhook
notify_conf smtp_url=smtp://127.0.0.1:9 smtp_user=permit smtp_password=s3cret
chmod 644 "$T/notify.conf"
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
((RC == 78)) || fail "permit-notify run -n accepted a 0644 config with a password (exit $RC)"
[[ "$ERR" == *"$T/notify.conf is readable by group or others and holds a password: chmod 600 $T/notify.conf"* ]] ||
    fail "permit-notify run -n does not say chmod 600: $ERR"
start_notify
grep -q "warn: $T/notify.conf is readable by group or others and holds a password" \
    "$NOTIFY_LOG" || fail "no warning about the 0644 config in the notifier's log"
stop_notify
chmod 600 "$T/notify.conf"
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
((RC == 0)) || fail "permit-notify run -n refused a 0600 config (exit $RC): $ERR"

step "the agent's -n refuses a 0644 secret key, like permitd's"
agent_conf nrb NRB
ctl keygen NRB --dir "$T/keys" --role department
ctl keygen broker --dir "$T/keys"
chmod 644 "$T/keys/NRB.secret"
run "$PERMIT_AGENT" run --config "$T/nrb.conf" --curve-secret "$T/keys/NRB.secret" \
    --broker-key "$T/keys/broker.key" -n
((RC == 78)) || fail "permit-agent run -n accepted a 0644 secret key (exit $RC): $OUT"
[[ "$ERR" == *"$T/keys/NRB.secret is readable by group or others: chmod 600 $T/keys/NRB.secret"* ]] ||
    fail "permit-agent run -n does not say chmod 600: $ERR"
chmod 600 "$T/keys/NRB.secret"
run "$PERMIT_AGENT" run --config "$T/nrb.conf" --curve-secret "$T/keys/NRB.secret" \
    --broker-key "$T/keys/broker.key" -n
((RC == 0)) || fail "permit-agent run -n refused a 0600 secret key (exit $RC): $ERR"

step "the agent's log file is created 0640 under umask 022"
agent_conf nrb NRB "log_file=$T/nrb.log"
start_agent nrb "$T/nrb.log"
mode=$(stat -c %a "$T/nrb.log")
[[ "$mode" == 640 ]] || fail "the agent's log file was created with mode $mode (expected 640)"
stop_agent nrb

step "a silence's reason with ESC and a tab is shown escaped by silence list"
nctl silence add --project TL-2026-001 --author ops --for 2h --reason $'red\e[31m\there'
nctl silence list
[[ "$OUT" != *$'\e'* ]] || fail "silence list printed a raw ESC: $(printf '%q' "$OUT")"
[[ "$OUT" == *$'\tauthor=ops\treason=red\\x1b[31m\\there' ]] ||
    fail "silence list did not escape the reason: $(printf '%q' "$OUT")"
