#!/usr/bin/env bash
# Acknowledging a red alert through permit-web: the notifier's webhook carries the ack link
# (vars.ack_url) under a key shared with permit-web; headless chromium opens it (a GET shows the
# alert and logs nothing), presses confirm and sees 已确认; permitctl tail has one alert_ack via
# web by the link's recipient; the notifier does not escalate that item while the other red item
# is escalated; the link opened again says 已确认过 and nothing more is logged; a tampered token
# is 链接无效 (404) and changes nothing. Accounts: a department account is refused (403) the ack
# of another department's alert from the project page; 6 wrong passwords answer 429 with
# Retry-After; the cookies are HttpOnly and SameSite=Strict (Secure with cookie_secure = yes); a
# form without the session's CSRF token is refused 403; SIGHUP ends a removed account's sessions.
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

for need in chromium chromedriver; do
    command -v "$need" >/dev/null || fail "$need is not installed (run scripts/deps.sh)"
done
"$PY" -c 'import selenium' 2>/dev/null || fail "python3-selenium is not installed (run scripts/deps.sh)"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
KEY=$T/ack.key
(umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$KEY")
USERS=$T/web-users
for acc in nrb:department:NRB op:operator guessed:viewer; do
    echo "password-${acc%%:*}" | "$PERMITCTL" web-user --file "$USERS" add "${acc%%:*}" \
        --role "${acc#*:}" --password-stdin >/dev/null
done
web_conf "web_users=$USERS" "ack_key_file=$KEY" cookie_secure=no "broker=$INGEST"
run "$PERMIT_WEB" --config "$T/web.conf" -n
((RC == 0)) || fail "permit-web -n: $RC $OUT $ERR"
start_web

step "no ack key: /ack/ answers 404 not configured"
sed 's/^ack_key_file = .*/ack_key_file =/' "$T/web.conf" >"$T/web-nokey.conf"
"$PERMIT_WEB" --config "$T/web-nokey.conf" >/dev/null 2>"$T/web-nokey.err" &
NOKEY_PID=$!
CHILDREN+=("$NOKEY_PID")
wait_for 20 "the second permit-web to be ready" grep -qs "ready:" "$T/web-nokey.err"
NOKEY_URL=$(sed -n 's|.* ready: \(http://[^/ ]*\)/ .*|\1|p' "$T/web-nokey.err" | head -n 1)
code=$(curl -s -o "$T/nokey.html" -w '%{http_code}' "$NOKEY_URL/ack/AAAA")
[[ "$code" == 404 && $(<"$T/nokey.html") == *"未配置"* ]] || fail "no key: $code $(cat "$T/nokey.html")"
kill -s TERM "$NOKEY_PID"
wait "$NOKEY_PID" || fail "the second permit-web exited $? after SIGTERM"

start_http hook
cat >"$T/routes.conf" <<CONF
[route]
colour.red = steward
[escalation]
ladder = steward, leader
[contact 张伟]
webhook = http://127.0.0.1:$PORT/zhangwei
[contact 王丽娜]
webhook = http://127.0.0.1:$PORT/wanglina
[contact 李建国]
webhook = http://127.0.0.1:$PORT/lijianguo
[contact 赵志刚]
webhook = http://127.0.0.1:$PORT/zhaozhigang
CONF
notify_conf escalate_ms=12000 "ack_url_base=$WEB_URL" "ack_key_file=$KEY" "broker=$INGEST"
start_notify
W=$T/hook.jsonl

step "cookies: HttpOnly and SameSite=Strict, Secure only when cookie_secure = yes"
headers=$(curl -sS -D - -o /dev/null "$WEB_URL/login")
[[ "$headers" == *"Set-Cookie: permit_login="*"HttpOnly;"*"SameSite=Strict;"* ]] ||
    fail "the login cookie: $headers"
[[ "$headers" != *"Secure"* ]] || fail "cookie_secure = no still sends Secure: $headers"

# login_try FROM NAME PASSWORD: the status of POST /login with a fresh form token, the client
# at address FROM as the proxy names it (X-Real-IP, believed from loopback only); the cookies
# in $T/jar.FROM, the answer's head and body in $T/login.h and $T/login.html.
login_try() {
    local token jar=$T/jar.$1
    token=$(curl -sS -c "$jar" "$WEB_URL/login" | sed -n 's/.*name="login_csrf" value="\([0-9a-f]*\)".*/\1/p')
    [[ -n "$token" ]] || fail "the login page has no form token"
    curl -sS -b "$jar" -c "$jar" -H "X-Real-IP: $1" -D "$T/login.h" -o "$T/login.html" \
        -w '%{http_code}' --data-urlencode "login_csrf=$token" --data-urlencode "name=$2" \
        --data-urlencode "password=$3" "$WEB_URL/login"
}

step "one answer for an unknown name and a wrong password"
code=$(login_try 10.0.0.9 nobody-such wrong)
[[ "$code" == 401 && $(<"$T/login.html") == *"用户名或密码不对"* ]] || fail "unknown name: $code"
code=$(login_try 10.0.0.9 nrb wrong)
[[ "$code" == 401 && $(<"$T/login.html") == *"用户名或密码不对"* ]] || fail "wrong password: $code"

step "6 wrong passwords: the sixth is 429 with Retry-After, the right one waits too"
for i in 1 2 3 4 5; do
    code=$(login_try 10.0.0.1 guessed "wrong-$i")
    [[ "$code" == 401 ]] || fail "wrong password $i answered $code"
done
code=$(login_try 10.0.0.1 guessed wrong-6)
[[ "$code" == 429 ]] || fail "the sixth wrong password answered $code: $(cat "$T/login.html")"
grep -qi '^Retry-After: [1-9]' "$T/login.h" || fail "429 without Retry-After: $(cat "$T/login.h")"
code=$(login_try 10.0.0.2 guessed password-guessed)
[[ "$code" == 429 ]] || fail "the account's right password during its lock answered $code"
code=$(login_try 10.0.0.1 op password-op)
[[ "$code" == 429 ]] || fail "another account from the locked address answered $code"

step "operator login: session cookie, CSRF on every form"
code=$(login_try 10.0.0.2 op password-op)
[[ "$code" == 303 ]] || fail "operator login: $code $(cat "$T/login.html")"
grep -qi '^Set-Cookie: permit_session=[0-9a-f]\{64\}; HttpOnly; SameSite=Strict; Path=/' "$T/login.h" ||
    fail "the session cookie: $(cat "$T/login.h")"
grep -qi '^Location: /' "$T/login.h" || fail "no redirect: $(cat "$T/login.h")"
jar=$T/jar.10.0.0.2
me=$(curl -sS -b "$jar" "$WEB_URL/api/me")
[[ $(jq -r .user <<<"$me") == op && $(jq -r .role <<<"$me") == operator ]] || fail "/api/me: $me"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -X POST --data "csrf=$(printf '0%.0s' {1..64})" "$WEB_URL/logout")
[[ "$code" == 403 ]] || fail "a logout with a wrong CSRF token answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-urlencode "name=op" \
    --data-urlencode "password=password-op" "$WEB_URL/login")
[[ "$code" == 403 ]] || fail "a login without its form token answered $code"
[[ $(log_json --kind alert_ack | wc -l) == 0 ]] || fail "refused forms logged an ack"

# The items go red just before they are acknowledged: escalate_ms runs from the red alert,
# and what lies between it and the browser's confirm must fit in it on a loaded machine.
two_reds "$W"
ZW_URL=$(jq -r 'select(.path == "/zhangwei" and .body.route == "colour.red") | .body.vars.ack_url' "$W")
ZW_SEQ=$(jq -r 'select(.path == "/zhangwei" and .body.route == "colour.red") | .body.seq' "$W")
WL_SEQ=$(jq -r 'select(.path == "/wanglina" and .body.route == "colour.red") | .body.seq' "$W")
[[ "$ZW_URL" == "$WEB_URL/ack/"* ]] || fail "the webhook's ack_url: $ZW_URL"
wait_for 10 "permit-web to fold the red entries" test "$(web_head)" -ge "$WL_SEQ"

step "an ack without the CSRF token is refused"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -X POST --data "seq=$WL_SEQ" "$WEB_URL/alert-ack")
[[ "$code" == 403 ]] || fail "an ack without the CSRF token answered $code"
[[ $(log_json --kind alert_ack | wc -l) == 0 ]] || fail "a refused form logged an ack"

step "the browser: the ack link, confirm, again; a department refused another's alert"
export WEB_URL ZW_URL ZW_SEQ T PERMITCTL
timeout 90 "$PY" "$PERMIT_SRC/tests/web/ack.py" || fail "the browser test failed (its output is above)"

step "a department account may not ack another department's alert: 403"
code=$(login_try 10.0.0.3 nrb password-nrb)
[[ "$code" == 303 ]] || fail "nrb login: $code"
JAR=$T/jar.10.0.0.3
csrf=$(curl -sS -b "$JAR" "$WEB_URL/api/me" | jq -r .csrf)
code=$(curl -s -o "$T/refused.html" -w '%{http_code}' -b "$JAR" --data "csrf=$csrf&seq=$WL_SEQ" "$WEB_URL/alert-ack")
[[ "$code" == 403 && $(<"$T/refused.html") == *"本部门（NRB）"* ]] || fail "nrb acked EEB's alert: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" --data "csrf=$csrf" "$WEB_URL/logout")
[[ "$code" == 303 ]] || fail "logout with the CSRF token answered $code"
[[ $(curl -sS -b "$JAR" "$WEB_URL/api/me" | jq -r .user) == null ]] || fail "still signed in after logout"

step "the link posted again: 已确认过 with the first ack's log seq"
code=$(curl -s -o "$T/again.html" -w '%{http_code}' -X POST "$ZW_URL")
first=$(log_json --kind alert_ack | jq -r .seq)
[[ "$code" == 200 && $(<"$T/again.html") == *"此预警已确认（日志 seq $first）"* ]] ||
    fail "the second POST: $code $(cat "$T/again.html")"

step "one alert_ack, via web, by 张伟, for 张伟's alert"
acks=$(log_json --kind alert_ack | jq -s -c 'map([.cause, .recipient, .via])')
[[ "$acks" == "[[$ZW_SEQ,\"张伟\",\"web\"]]" ]] || fail "alert_ack entries: $acks"

step "a tampered token: 链接无效, nothing logged"
tok=${ZW_URL##*/}
last=${tok: -1}
[[ "$last" == A ]] && swap=B || swap=A
code=$(curl -s -o "$T/bad.html" -w '%{http_code}' -X POST "$WEB_URL/ack/${tok%?}$swap")
[[ "$code" == 404 && $(<"$T/bad.html") == *"链接无效"* ]] || fail "tampered token: $code $(cat "$T/bad.html")"
code=$(curl -s -o "$T/bad.html" -w '%{http_code}' -X POST "$WEB_URL/ack/x${tok}")
[[ "$code" == 404 ]] || fail "a longer token: $code"
[[ $(log_json --kind alert_ack | wc -l) == 1 ]] || fail "a bad token logged an ack"

step "the notifier escalates 王丽娜's item, never 张伟's acknowledged one"
wait_count 20 1 "$W" '.path == "/zhaozhigang" and .body.route == "escalation"'
(($(count "$W" '.path == "/lijianguo"') == 0)) || fail "the acknowledged item escalated: $(cat "$W")"
(($(count "$W" ".path == \"/zhaozhigang\" and .body.seq == $WL_SEQ") >= 1)) ||
    fail "the escalation is not 王丽娜's item: $(cat "$W")"

step "SIGHUP reads the accounts again: a removed account's session ends, the others stay"
code=$(login_try 10.0.0.4 nrb password-nrb)
[[ "$code" == 303 ]] || fail "nrb login again: $code"
[[ $(curl -sS -b "$T/jar.10.0.0.2" "$WEB_URL/api/me" | jq -r .user) == op ]] || fail "op's session is gone"
"$PERMITCTL" web-user --file "$USERS" del op >/dev/null
kill -s HUP "$WEB_PID"
gone() { [[ $(curl -sS -b "$T/jar.10.0.0.2" "$WEB_URL/api/me" | jq -r .user) == null ]]; }
wait_for 10 "op's session to end after SIGHUP" gone
[[ $(curl -sS -b "$T/jar.10.0.0.4" "$WEB_URL/api/me" | jq -r .user) == nrb ]] ||
    fail "nrb's session ended with op's"

step "cookie_secure = yes: the cookies are Secure"
sed 's/^cookie_secure = .*/cookie_secure = yes/' "$T/web.conf" >"$T/web-secure.conf"
"$PERMIT_WEB" --config "$T/web-secure.conf" >/dev/null 2>"$T/web-secure.err" &
SEC_PID=$!
CHILDREN+=("$SEC_PID")
wait_for 20 "the third permit-web to be ready" grep -qs "ready:" "$T/web-secure.err"
SEC_URL=$(sed -n 's|.* ready: \(http://[^/ ]*\)/ .*|\1|p' "$T/web-secure.err" | head -n 1)
headers=$(curl -sS -D - -o /dev/null "$SEC_URL/login")
[[ "$headers" == *"Set-Cookie: permit_login="*"HttpOnly; Secure; SameSite=Strict;"* ]] ||
    fail "cookie_secure = yes: $headers"
kill -s TERM "$SEC_PID"
wait "$SEC_PID" || fail "the third permit-web exited $? after SIGTERM"
run "$PERMIT_WEB" --config "$T/web.conf" --listen 0.0.0.0:0 -n
[[ $RC == 78 && "$ERR" == *"cookie_secure = no needs a loopback"* ]] ||
    fail "cookie_secure = no on a public address: $RC $ERR"

stop_notify
stop_web
