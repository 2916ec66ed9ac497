#!/usr/bin/env bash
# With ack_url_base and ack_key_file, every red notice ends with a link BASE/ack/TOKEN for its
# recipient: a Markdown link in the webhook's text (and the link in its vars), the plain link
# in an e-mail's text and an <a href> in its HTML part; other notices have none. Each token is
# base64url of (version, seq, expiry, recipient) with an HMAC-SHA256 under the shared key, which
# is checked here independently of our C code. The config check refuses an ack key readable by
# others, a base that is no plain http(s) address, and a base without a key.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
start_http web
start_smtp
KEY=$T/ack.key
(umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$KEY")
cat >"$T/routes.conf" <<CONF
[route]
colour.red = steward, leader
unblocked = steward
[contact 张伟]
webhook = http://127.0.0.1:$PORT/zhangwei
[contact 李建国]
email = lijianguo@tongliao.example.gov.cn
CONF
BASE=https://permit.example.gov.cn/console
notify_conf "ack_url_base=$BASE/" "ack_key_file=$KEY" ack_expiry_ms=3600000 \
    "smtp_url=smtp://127.0.0.1:$SMTP_PORT" "smtp_from=notify@test.example"

step "the config check refuses a readable key, a strange base, a base without a key"
check_refused() {
    run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n "$@"
    ((RC == 78)) || fail "permit-notify run -n $* exited $RC: $OUT $ERR"
}
chmod 644 "$KEY"
check_refused
[[ "$ERR" == *"chmod 600 $KEY"* ]] || fail "readable key: $ERR"
chmod 600 "$KEY"
check_refused --ack-url-base 'javascript:alert(1)//'
check_refused --ack-url-base 'https://x.example/a(b)'
check_refused --ack-url-base 'https://x.example/"><script>'
check_refused --ack-key-file ''
run "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n
((RC == 0)) || fail "run -n exited $RC: $ERR"

start_notify
W=$T/web.jsonl M=$T/smtp.jsonl
step "EIA of TL-2026-001 accepted on 2 March, red on 17 March"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
ctl clock set 2026-03-17T09:00:00+08:00
red=$(log_json --kind colour --project TL-2026-001 | jq -r 'select(.colour == "red" and .procedure == "EIA") | .seq')
[[ -n "$red" ]] || fail "no red entry"
wait_count 10 1 "$W" '.path == "/zhangwei" and .body.route == "colour.red"'
wait_count 20 1 "$M" '.subject | contains("超期")'

step "the links: Markdown in the webhook's text, plain in the mail's text, <a href> in its HTML"
"$PY" - "$W" "$M" "$KEY" "$red" "$BASE" <<'PY' || fail "links: $(cat "$W" "$M")"
import base64, hashlib, hmac, json, re, struct, sys, time
web, mail, keyfile, red, base = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
key = open(keyfile, "rb").read().rstrip(b"\r\n")

def check(token, who):
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    ver, seq, expiry, n = struct.unpack(">BQqB", raw[:18])
    assert ver == 1 and seq == red, (ver, seq)
    assert raw[18:18 + n].decode() == who, raw
    assert len(raw) == 18 + n + 32, len(raw)
    want = hmac.new(key, raw[:18 + n], hashlib.sha256).digest()
    assert hmac.compare_digest(want, raw[18 + n:]), "HMAC"
    left = expiry / 1000 - time.time()
    assert 3000 < left <= 3600, left

tok = r"([A-Za-z0-9_-]+)"
reds = [json.loads(l) for l in open(web) if json.loads(l)["body"]["route"] == "colour.red"]
assert len(reds) == 1, reds
b = reds[0]["body"]
m = re.search(r"\n\n\[确认收到（点此）\]\(" + re.escape(base) + "/ack/" + tok + r"\)$", b["text"])
assert m, b["text"]
check(m.group(1), "张伟")
assert b["vars"]["ack_url"] == base + "/ack/" + m.group(1), b["vars"]
assert "permit-notify ack %d" % red in b["text"], b["text"]  # the operator's way stays
others = [json.loads(l)["body"] for l in open(web) if json.loads(l)["body"]["route"] != "colour.red"]
assert others and all("/ack/" not in o["text"] and "ack_url" not in o.get("vars", {}) for o in others), others

mails = [json.loads(l) for l in open(mail) if "超期" in json.loads(l)["subject"]]
assert len(mails) == 1, mails
text, html = mails[0]["body"], mails[0]["html"]
m = re.search("确认收到（点此链接）：" + re.escape(base) + "/ack/" + tok + r"\s*$", text)
assert m, text
check(m.group(1), "李建国")
assert '<a href="%s/ack/%s">确认收到（点此）</a>' % (base, m.group(1)) in html, html
PY
(($(count "$W" '.dup') == 0)) || fail "repeats: $(cat "$W")"
stop_notify
