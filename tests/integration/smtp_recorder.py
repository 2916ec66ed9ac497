#!/usr/bin/env python3
"""An SMTP server for the notifier's tests (aiosmtpd): records every message as one JSON line
with the envelope and the decoded subject, body and headers: "body" is the text (the text/plain
part of a multipart/alternative message), "html" its HTML part (null when there is none),
"parts" the content types in order, "from_header" the decoded From, "raw_from" as sent,
"auto_submitted" the Auto-Submitted header.

  --port-file F   write the port there once listening
  --out F         the JSON lines
"""
import argparse
import email
import email.header
import email.policy
import json
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        # A multipart/alternative message: "body" is its text part, "html" its HTML part.
        text = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        html = msg.get_body(preferencelist=("html",)) if msg.is_multipart() else None
        rec = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["Subject"]),
            "raw_subject": str(email.message_from_bytes(
                envelope.original_content or envelope.content).get("Subject")),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "charset": text.get_content_charset(),
            "body": text.get_content(),
            "html": html.get_content() if html is not None else None,
            "html_charset": html.get_content_charset() if html is not None else None,
            "parts": [p.get_content_type() for p in msg.walk()],
            "from_header": str(msg["From"]),
            "raw_from": str(email.message_from_bytes(raw).get("From")),
            "auto_submitted": msg.get("Auto-Submitted"),
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(Recorder(args.out), hostname="127.0.0.1", port=port)
    ctl.start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    ctl.stop()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main())
