#!/usr/bin/env python3
"""Live streams under load (run by tests/integration/test_web_streams.sh).

usage: sse_load.py URL PID N
Slow clients that never read must not stall the others; N streams open at once all get the
next entry, and permit-web's memory stays bounded. Events are sent with $PERMIT_AGENT.
"""
import os
import resource
import selectors
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

URL, PID, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
HOST, PORT = urllib.parse.urlsplit(URL).hostname, urllib.parse.urlsplit(URL).port
EVENTS = [("TL-2026-001", "LAND_PREREVIEW", "NRB", "accepted"),
          ("TL-2026-002", "LAND_PREREVIEW", "NRB", "accepted"),
          ("TL-2026-003", "LAND_PREREVIEW", "NRB", "accepted")]


def fail(msg):
    print("sse_load.py: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def step(msg):
    print("sse_load.py: " + msg, flush=True)


def send(ev):
    project, procedure, dept, event = ev
    out = subprocess.run([os.environ["PERMIT_AGENT"], "send", "--dept", dept, "--project", project,
                          "--procedure", procedure, "--event", event],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail(f"permit-agent send: {out.stderr}")
    return int(out.stdout.strip())


def rss_kb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream(after=None, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((HOST, PORT))
    path = "/events" + (f"?after={after}" if after is not None else "")
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode())
    return s


def wait_all(socks, needle, secs):
    """Read every socket until each has shown needle; returns the seconds it took."""
    t0 = time.monotonic()
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    left = set(socks)
    while left:
        if time.monotonic() - t0 > secs:
            fail(f"{len(left)} of {len(socks)} streams did not get {needle!r} within {secs}s")
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            if not chunk:
                fail("a stream was closed by permit-web")
            bufs[s] = (bufs[s] + chunk)[-4096:]
            if needle in bufs[s]:
                sel.unregister(s)
                left.discard(s)
    sel.close()
    return time.monotonic() - t0


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = min(N, hard - 64)

    step("slow clients that never read do not hold the others up")
    slow = [stream(after=0, rcvbuf=1024) for _ in range(8)]
    time.sleep(0.5)
    live = stream()
    wait_all([live], b"retry:", 5)
    seq = send(EVENTS[0])
    took = wait_all([live], f"id: {seq}\n".encode(), 5)
    if took > 1.0:
        fail(f"a reading stream got seq {seq} after {took:.2f}s, behind the slow clients")
    t0 = time.monotonic()
    with urllib.request.urlopen(URL + "/api/board", timeout=5) as r:
        r.read()
    if time.monotonic() - t0 > 1.0:
        fail("/api/board took over a second beside the slow clients")
    step(f"seq {seq} reached a reader in {took * 1000:.0f} ms with 8 slow clients stuck")
    for s in slow + [live]:
        s.close()

    step(f"{n} streams at once, with bounded memory")
    before = rss_kb()
    socks = []
    for i in range(n):
        socks.append(stream())
        if i % 200 == 199:
            wait_all(socks[-200:], b"retry:", 20)
    wait_all(socks[len(socks) // 200 * 200:], b"retry:", 20)
    grown = rss_kb() - before
    seq = send(EVENTS[1])
    took = wait_all(socks, f"id: {seq}\n".encode(), 10)
    per = grown / n
    step(f"{n} streams: all got seq {seq} in {took * 1000:.0f} ms; RSS grew {grown} KiB "
         f"({per:.1f} KiB a stream)")
    if per > 128:
        fail(f"each stream costs {per:.0f} KiB of permit-web's memory (over 128)")
    for s in socks:
        s.close()
    step("PASS")


if __name__ == "__main__":
    main()
