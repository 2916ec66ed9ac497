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
"""
import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

seen = set()


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
            body = b'{"errcode": 0, "errmsg": "ok"}'
            if self.path in acks:
                body = json.dumps({"ack": True, "by": acks[self.path]},
                                  ensure_ascii=False).encode("utf-8")
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = raw
            key = self.headers.get("Idempotency-Key")
            rec = {"path": self.path, "key": key,
                   "content_type": self.headers.get("Content-Type"),
                   "body": doc, "dup": key in seen}
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
