# Helpers of the notifier's integration tests; source lib.sh first.
#
#   start_http NAME [ARGS]   the webhook recorder (http_recorder.py) on a free loopback port:
#                            requests as JSON lines in $T/NAME.jsonl; its port is left in PORT
#                            and its PID in SPAWNED
#   start_smtp               the SMTP recorder (aiosmtpd): $T/smtp.jsonl; port in SMTP_PORT
#   routes_unblocked_webhook  $T/routes.conf: every unblocked entry to one contact, taskforce,
#                            by webhook to the recorder started last ($PORT)
#   notify_conf [KEY=VALUE ...]   write $T/notify.conf ([notify] with the test's db, endpoints,
#                            routes $T/routes.conf, the shipped templates, fast backoff) plus
#                            the given keys
#   start_notify [ARGS]      permit-notify run --config $T/notify.conf; waits for "ready:";
#                            its PID in NOTIFY_PID, its log in $T/notify.N.err
#   kill9_notify, stop_notify
#   nctl ARGS...             permit-notify ARGS --config $T/notify.conf; must succeed; OUT
#   count FILE JQFILTER      how many JSON lines of FILE match (0 if there is no FILE)
#   wait_count SECS N FILE JQFILTER   wait until at least N lines of FILE match
# shellcheck shell=bash disable=SC2034

PERMIT_NOTIFY=$PERMIT_BIN/permit-notify
[[ -x "$PERMIT_NOTIFY" ]] || fail "$PERMIT_NOTIFY is missing (build first)"
# Debian's python3 (with python3-aiosmtpd), not whatever python3 comes first on PATH.
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
"$PY" -c 'import aiosmtpd' 2>/dev/null ||
    fail "python3-aiosmtpd is not installed (run scripts/deps.sh)"

NOTIFY_PID=
NOTIFY_STARTS=0
NOTIFY_DB=$T/notify.db
PORT=
SMTP_PORT=

start_http() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    spawn "http-$name" "$PY" "$PERMIT_SRC/tests/integration/http_recorder.py" \
        --port-file "$T/$name.port" --out "$T/$name.jsonl" "$@"
    wait_for 10 "the $name recorder to listen" test -s "$T/$name.port"
    PORT=$(<"$T/$name.port")
}

start_smtp() {
    spawn smtp "$PY" "$PERMIT_SRC/tests/integration/smtp_recorder.py" \
        --port-file "$T/smtp.port" --out "$T/smtp.jsonl"
    wait_for 10 "the SMTP recorder to listen" test -s "$T/smtp.port"
    SMTP_PORT=$(<"$T/smtp.port")
}

routes_unblocked_webhook() {
    cat >"$T/routes.conf" <<CONF
[route]
unblocked = taskforce
[contact taskforce]
webhook = http://127.0.0.1:$PORT/hook/taskforce
CONF
}

notify_conf() {
    {
        echo "[notify]"
        echo "db = $NOTIFY_DB"
        echo "query = $QUERY"
        echo "publish = $PUBLISH"
        echo "routes = $T/routes.conf"
        echo "templates = $PERMIT_SRC/deploy/templates"
        echo "backoff_min_ms = 100"
        echo "backoff_max_ms = 400"
        echo "send_timeout_ms = 2000"
        echo "quiet_days = 0"
        echo "log_level = info"
        local kv
        for kv in "$@"; do
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$T/notify.conf"
}

notify_is_ready() {
    pid_alive "$NOTIFY_PID" || fail "permit-notify died while starting: $(tail -n 5 "$NOTIFY_LOG")"
    grep -qs "ready:" "$NOTIFY_LOG"
}

start_notify() {
    NOTIFY_STARTS=$((NOTIFY_STARTS + 1))
    NOTIFY_LOG=$T/notify.$NOTIFY_STARTS.err
    "$PERMIT_NOTIFY" run --config "$T/notify.conf" "$@" >"$T/notify.$NOTIFY_STARTS.out" \
        2>"$NOTIFY_LOG" &
    NOTIFY_PID=$!
    CHILDREN+=("$NOTIFY_PID")
    wait_for 20 "permit-notify to log ready:" notify_is_ready
}

stop_notify() {
    local rc=0 i
    kill -s TERM "$NOTIFY_PID" 2>/dev/null || fail "permit-notify was already gone"
    for ((i = 0; i < 200; i++)); do
        pid_alive "$NOTIFY_PID" || break
        sleep 0.05
    done
    pid_alive "$NOTIFY_PID" && fail "permit-notify did not stop within 10s of SIGTERM"
    wait "$NOTIFY_PID" || rc=$?
    ((rc == 0)) || fail "permit-notify exited $rc after SIGTERM: $(tail -n 5 "$NOTIFY_LOG")"
    NOTIFY_PID=
}

kill9_notify() {
    kill -s KILL "$NOTIFY_PID"
    wait "$NOTIFY_PID" 2>/dev/null || true
    NOTIFY_PID=
}

nctl() {
    run "$PERMIT_NOTIFY" "$@" --config "$T/notify.conf"
    ((RC == 0)) || fail "permit-notify $* exited $RC: $ERR"
}

count() {
    if [[ -s "$1" ]]; then
        jq -s "map(select($2)) | length" "$1"
    else
        echo 0
    fi
}

count_at_least() {
    (($(count "$2" "$3") >= $1))
}

# wait_count SECS N FILE JQFILTER: at least N lines of FILE match.
wait_count() {
    wait_for "$1" "$2 lines matching $4 in $(basename "$3")" count_at_least "$2" "$3" "$4"
}

# two_reds FILE: EIA of TL-2026-001 (steward 张伟) and of TL-2026-002 (steward 王丽娜) go red
# on the sample data, and FILE (the webhook sink) holds each steward's red alert.
two_reds() {
    step "EIA of TL-2026-001 (steward 张伟) and of TL-2026-002 (steward 王丽娜) go red"
    send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
    send --dept EEB --project TL-2026-002 --procedure EIA --event accepted
    ctl clock set 2026-03-17T09:00:00+08:00
    wait_count 10 1 "$1" '.path == "/zhangwei" and .body.route == "colour.red"'
    wait_count 10 1 "$1" '.path == "/wanglina" and .body.route == "colour.red"'
}
