# Helpers of permit-web's integration tests; source lib.sh first.
#
#   web_conf [KEY=VALUE ...]  write $T/web.conf ([web] with the test's endpoints, a free port
#                             chosen by the kernel unless listen= is given) plus the given keys
#   start_web [ARGS]          permit-web --config $T/web.conf; waits for "ready:"; its PID in
#                             WEB_PID, its log in $T/web.N.err, its address in WEB_URL
#                             (http://127.0.0.1:PORT) and port in WEB_PORT
#   stop_web                  SIGTERM; fails unless it exits 0 (the sanitizers' verdict)
#   web_head                  the log head permit-web has folded (from /metrics)
#   PY                        Debian's python3 (selenium, the raw-socket clients)
# shellcheck shell=bash disable=SC2034

PERMIT_WEB=$PERMIT_BIN/permit-web
[[ -x "$PERMIT_WEB" ]] || fail "$PERMIT_WEB is missing (build first)"
command -v curl >/dev/null || fail "curl is not installed (run scripts/deps.sh)"
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
WEB_PID=
WEB_STARTS=0
WEB_URL=
WEB_PORT=

web_conf() {
    {
        echo "[web]"
        echo "query = $QUERY"
        echo "publish = $PUBLISH"
        echo "listen = 127.0.0.1:0"
        echo "log_level = info"
        local kv
        for kv in "$@"; do
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$T/web.conf"
}

web_is_ready() {
    pid_alive "$WEB_PID" || fail "permit-web died while starting: $(tail -n 5 "$WEB_LOG")"
    grep -qs "ready:" "$WEB_LOG"
}

start_web() {
    WEB_STARTS=$((WEB_STARTS + 1))
    WEB_LOG=$T/web.$WEB_STARTS.err
    "$PERMIT_WEB" --config "$T/web.conf" "$@" >"$T/web.$WEB_STARTS.out" 2>"$WEB_LOG" &
    WEB_PID=$!
    CHILDREN+=("$WEB_PID")
    wait_for 20 "permit-web to log ready:" web_is_ready
    WEB_URL=$(sed -n 's|.* ready: \(http://[^/ ]*\)/ .*|\1|p' "$WEB_LOG" | head -n 1)
    WEB_PORT=${WEB_URL##*:}
    [[ -n "$WEB_URL" && "$WEB_PORT" != 0 ]] || fail "permit-web's ready line names no address"
}

stop_web() {
    local rc=0 i
    kill -s TERM "$WEB_PID" 2>/dev/null || fail "permit-web was already gone"
    for ((i = 0; i < 200; i++)); do
        pid_alive "$WEB_PID" || break
        sleep 0.05
    done
    pid_alive "$WEB_PID" && fail "permit-web did not stop within 10s of SIGTERM"
    wait "$WEB_PID" || rc=$?
    ((rc == 0)) || fail "permit-web exited $rc after SIGTERM: $(tail -n 20 "$WEB_LOG")"
}

web_head() {
    curl -fsS "$WEB_URL/metrics" | sed -n 's/^permit_log_head \([0-9]*\)$/\1/p'
}
