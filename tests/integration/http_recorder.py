#!/usr/bin/env python3
"""A webhook receiver for the notifier's tests: records every POST as one JSON line.

Each line: {"path", "key" (the Idempotency-Key header), "content_type", "body" (parsed JSON, or
the text), "dup" (the key was seen before)}. A receiver that honours the idempotency key is
what the tests model: lines with "dup": false are the deliveries it acted on.

  --port N        listen on 127.0.0.1:N (0: any free port)
  --port-file F   write the port there once listening
  --out F         the JSON lines
  --fail-file F   while F exists, answer 500 (a receiver in trouble)
  --delay-ms N    take N ms over every request (a slow receiver: deliveries stay in flight)
  --robot-error F while F exists, answer 200 with {"errcode": 93000, "errmsg": "invalid key"}
  --hang          never answer (a receiver that accepted the connection and went silent)
  --rate N        a robot's rate limit: at most N messages per --window-ms (sliding); past it
                  answer 200 with the robot's errcode (--robot wecom: 45009; dingtalk: 130101,
                  and refuse everything for 10 windows), counted in F.throttled
  --window-ms N   the rate window (default 60000; tests make time fast)
  --robot KIND    wecom or dingtalk (for --rate)
  --ack PATH=NAME a POST to PATH is acknowledged in the reply: {"ack": true, "by": NAME}
  --dingtalk-secret SECRET  act as a DingTalk robot set to 加签 for paths under /ding: check
                  the `timestamp` and `sign` query parameters with hmac (within an hour), else
                  answer DingTalk's {"errcode": 310000, "errmsg": "sign not match..."}
  --dingtalk-keyword KW     a keyword-protected DingTalk robot (paths under /ding): the
                  markdown text must contain KW, else errcode 310000 "keywords not in content"

  --webhook-secret whsec_...  a Standard Webhooks receiver for paths under /hook: verify
                  webhook-id, webhook-timestamp (within 5 minutes) and webhook-signature with
                  hmac, else answer 401

Every line also has "query" (the URL's query parameters), "headers" (all of them) and "t" (when
it was taken, seconds since the epoch).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

seen = set()


def dingtalk_sign_refusal(secret, query):
    """None when the query carries DingTalk's sign for secret, else DingTalk's errmsg."""
    ts = query.get("timestamp", "")
    if not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 3600 * 1000:
        return "invalid timestamp, more: [https://ngcf.dingtalk.com]"
    mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(mac).decode(), query.get("sign", "")):
        return "sign not match, more: [https://ngcf.dingtalk.com]"
    return None


def standard_webhook_ok(secret, headers, raw):
    """The Standard Webhooks verification: v1 HMAC-SHA256 of "id.timestamp.body"."""
    wid, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not wid or not ts.isdigit() or abs(time.time() - int(ts)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{wid}.{ts}.{raw}".encode(), hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(want, s) for s in headers.get("webhook-signature", "").split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail-file")
    ap.add_argument("--robot-error")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--window-ms", type=int, default=60000)
    ap.add_argument("--robot", default="wecom")
    ap.add_argument("--ack", action="append", default=[])
    ap.add_argument("--dingtalk-secret")
    ap.add_argument("--dingtalk-keyword")
    ap.add_argument("--webhook-secret")
    args = ap.parse_args()
    acks = dict(a.split("=", 1) for a in args.ack)

    # Keys recorded by an earlier run of this receiver count as seen (it "remembers").
    if os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            for line in f:
                seen.add(json.loads(line)["key"])

    times = []
    blocked = [0.0]
    throttled = [0]

    def over_rate():
        # A sliding window of the messages taken, as the robots count them.
        now = time.monotonic()
        win = args.window_ms / 1000
        while times and times[0] <= now - win:
            times.pop(0)
        if now < blocked[0] or len(times) >= args.rate:
            if args.robot == "dingtalk" and now >= blocked[0]:
                blocked[0] = now + 10 * win
            throttled[0] += 1
            with open(args.out + ".throttled", "w") as f:
                f.write(str(throttled[0]))
            return True
        times.append(now)
        return False

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            while args.hang:
                time.sleep(3600)
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000)
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode("utf-8")
            if args.fail_file and os.path.exists(args.fail_file):
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"receiver down for maintenance\n")
                return
            if args.robot_error and os.path.exists(args.robot_error):
                # A robot's refusal: 200 with an errcode, and nothing posted to the group.
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 93000, "errmsg": "invalid webhook url"}')
                return
            if args.rate and over_rate():
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if args.robot == "dingtalk":
                    self.wfile.write(b'{"errcode": 130101, "errmsg": "send too fast, exceed '
                                     b'20 times per minute"}')
                else:
                    self.wfile.write(b'{"errcode": 45009, "errmsg": "api freq out of limit"}')
                return
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = raw
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            refusal = None
            if url.path.startswith("/ding") and args.dingtalk_secret:
                refusal = dingtalk_sign_refusal(args.dingtalk_secret, query)
            if (refusal is None and url.path.startswith("/ding") and args.dingtalk_keyword
                    and args.dingtalk_keyword not in doc["markdown"]["text"]):
                refusal = "keywords not in content, more: [https://ding-doc.dingtalk.com]"
            if (url.path.startswith("/hook") and args.webhook_secret
                    and not standard_webhook_ok(args.webhook_secret, self.headers, raw)):
                self.send_response(401)
                self.end_headers()
                self.wfile.write(b"bad webhook signature\n")
                return
            if refusal is not None:
                # What DingTalk answers: 200, errcode 310000, and nothing posted to the group.
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"errcode": 310000, "errmsg": refusal}).encode())
                return
            body = b'{"errcode": 0, "errmsg": "ok"}'
            if self.path in acks:
                body = json.dumps({"ack": True, "by": acks[self.path]},
                                  ensure_ascii=False).encode("utf-8")
            key = self.headers.get("Idempotency-Key")
            rec = {"path": url.path, "key": key,
                   "query": query, "headers": dict(self.headers.items()),
                   "content_type": self.headers.get("Content-Type"),
                   "body": doc, "dup": key in seen, "t": time.time()}
            seen.add(key)
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = HTTPServer(("127.0.0.1", args.port), Handler)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
