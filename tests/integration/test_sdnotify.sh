#!/usr/bin/env bash
# Under systemd (issue 22): permitd and permit-agent tell a Type=notify unit READY=1 once they
# serve, STATUS lines ("ready, head N"), WATCHDOG=1 while WatchdogSec= is set, and STOPPING=1 on
# a clean stop, over $NOTIFY_SOCKET (a recorder here, as systemd would listen). A config value
# naming ${CREDENTIALS_DIRECTORY}/NAME (LoadCredential=) reads the service's copy of a secret,
# and is refused with a clear line outside such a service.
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# One datagram a line, its newlines shown as '|'.
cat >"$T/recorder.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
spawn recorder python3 "$T/recorder.py" "$T/notify.sock" "$T/notify.log"
wait_for 10 "the notify recorder" test -S "$T/notify.sock"
said() { grep -q -- "$1" "$T/notify.log" 2>/dev/null; }

step "permitd: READY=1 with its head, WATCHDOG=1 at half the period, STOPPING=1"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 start_broker
wait_for 10 "READY=1 from permitd" said "^READY=1|STATUS=ready, head 0$"
wait_for 10 "WATCHDOG=1 from permitd" said "^WATCHDOG=1$"
import_samples
wait_for 10 "a STATUS with the new head" said "^STATUS=ready, head [1-9]"
stop_broker
said "^STOPPING=1" || fail "permitd sent no STOPPING=1: $(cat "$T/notify.log")"

step "STATUS in the daemon's language, as its log: Chinese under zh_CN, on one line"
: >"$T/notify.log"
LC_ALL=zh_CN.UTF-8 NOTIFY_SOCKET=$T/notify.sock start_broker
wait_for 10 "a Chinese READY=1 from permitd" said "^READY=1|STATUS=就绪，日志头 [0-9]*$"
stop_broker
said "^STOPPING=1|STATUS=正在停止$" || fail "no Chinese STOPPING=1: $(cat "$T/notify.log")"

step "a watchdog meant for another pid is not pinged"
: >"$T/notify.log"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=100000 WATCHDOG_PID=1 start_broker
wait_for 10 "READY=1 from permitd" said "^READY=1"
sleep 0.3
! said "^WATCHDOG=1" || fail "permitd pinged a watchdog for pid 1"
stop_broker

step "permit-agent: READY=1 and WATCHDOG=1 too"
: >"$T/notify.log"
start_broker
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 spawn agent "$PERMIT_AGENT" run \
    --dept NRB --state "$T/agent" --broker "$INGEST"
wait_for 10 "READY=1 from permit-agent" said "^READY=1|STATUS=ready, department NRB$"
wait_for 10 "WATCHDOG=1 from permit-agent" said "^WATCHDOG=1$"
stop_child "$SPAWNED" agent
wait_for 10 "STOPPING=1 from permit-agent" said "^STOPPING=1"
stop_broker

step "secret_key_file = \${CREDENTIALS_DIRECTORY}/broker.secret reads the credential"
"$PERMITCTL" keygen broker --dir "$T/creds" >/dev/null
sed -e 's|^secret_key_file = .*|secret_key_file = ${CREDENTIALS_DIRECTORY}/broker.secret|' \
    -e "s|^keys_dir = .*|keys_dir = $T/keys|" "$PERMIT_SRC/deploy/permitd.conf" >"$T/permitd.conf"
mkdir -p "$T/keys"
CREDENTIALS_DIRECTORY=$T/creds run "$PERMITD" --config "$T/permitd.conf" -n
((RC == 0)) || fail "permitd -n with the credential exited $RC: $ERR"
run env -u CREDENTIALS_DIRECTORY "$PERMITD" --config "$T/permitd.conf" -n
((RC == 78)) || fail "permitd -n without CREDENTIALS_DIRECTORY exited $RC (expected 78): $ERR"
[[ "$ERR" == *"CREDENTIALS_DIRECTORY is not set"* ]] || fail "no clear line: $ERR"

step "permit-notify: smtp_password_file = \${CREDENTIALS_DIRECTORY}/smtp-password"
PERMIT_NOTIFY=$PERMIT_BIN/permit-notify
echo "s3cret" >"$T/creds/smtp-password"
nopts=(run -n --db "$T/notify.db" --routes "$PERMIT_SRC/deploy/routes.conf"
    --templates "$PERMIT_SRC/deploy/templates")
CREDENTIALS_DIRECTORY=$T/creds run "$PERMIT_NOTIFY" "${nopts[@]}" \
    --smtp-password-file '${CREDENTIALS_DIRECTORY}/smtp-password'
((RC == 0)) || fail "permit-notify -n with the credential exited $RC: $ERR"
CREDENTIALS_DIRECTORY=$T/creds run "$PERMIT_NOTIFY" "${nopts[@]}" \
    --smtp-password-file '${CREDENTIALS_DIRECTORY}/missing'
((RC == 78)) && [[ "$ERR" == *"smtp_password_file $T/creds/missing"* ]] ||
    fail "a missing credential: exit $RC (expected 78): $ERR"
run "$PERMIT_NOTIFY" "${nopts[@]}" --smtp-password x --smtp-password-file "$T/creds/smtp-password"
((RC == 78)) || fail "both smtp_password and smtp_password_file: exit $RC (expected 78)"
