#!/usr/bin/env python3
"""The `make run` demo's webhook receiver: what a work-chat bridge would get from permit-notify.

Listens on 127.0.0.1 (a free port, written to --port-file once listening), answers every POST
with 200 and appends its body, the notification document (docs/notify.md, "Channels"), as one
JSON line to --out, with "path" and the Idempotency-Key header added. The demo prints the
title and text of each line, as a work-chat robot would show them. Stops on SIGTERM.
"""
import argparse
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {"text": raw.decode("utf-8", "replace")}
            if not isinstance(doc, dict):
                doc = {"text": json.dumps(doc, ensure_ascii=False)}
            doc["path"] = self.path
            doc["idempotency_key"] = self.headers.get("Idempotency-Key", "")
            # One write per line, flushed before the answer: what was acknowledged is on disk.
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            pass  # the notifier logs its deliveries; the demo prints them

    server = HTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)  # the demo never reads half a port number
    server.serve_forever()


if __name__ == "__main__":
    main()
