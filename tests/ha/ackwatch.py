#!/usr/bin/env python3
"""Timestamps for fault-load's acks, and the failover times measured from them.

fault-load writes "ID SEQ" to its --acked file for every ack but no time. The failover test
needs the time of the last ack before a node was killed and of the first ack after, so this
watches the files:

  ackwatch.py watch --out TIMELINE FILE...
      polls every FILE's size every 20 ms; whenever the total number of acked lines grew it
      appends "MS TOTAL" (wall clock, milliseconds) to TIMELINE. Runs until SIGTERM.

  ackwatch.py report --timeline TIMELINE --kills KILLS [--target-ms 10000] [--window-ms 1000]
      KILLS has one "MS NODE" line per kill (the moment the last process of the node was
      killed) or per switchover (the moment it was asked for). For each the failover time is
      the longest gap between two consecutive acks that starts between 2 s before it and
      --window-ms after it (an ack written just before a kill may be seen just after it; a
      switchover takes a moment to stop the old primary) and ends after it: the last ack
      before the outage to the first ack after. Under load an ack arrives every few
      milliseconds, so that gap is the outage. Prints one line per kill, then
      "failover: N kills, p50 X ms, max Y ms (target Z ms): ok|MISSED"; exit 1 when the
      maximum misses the target or a kill saw no ack after it.
"""
import argparse
import os
import signal
import sys
import time


def count_lines(path, state):
    """Lines in path, read incrementally: state[path] = (offset, lines)."""
    off, n = state.get(path, (0, 0))
    try:
        with open(path, "rb") as f:
            f.seek(off)
            data = f.read()
    except FileNotFoundError:
        return n
    n += data.count(b"\n")
    off += data.rfind(b"\n") + 1 if b"\n" in data else 0
    state[path] = (off, n)
    return n


def watch(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    state, last = {}, -1
    with open(args.out, "a", encoding="utf-8") as out:
        while not stop:
            total = sum(count_lines(p, state) for p in args.files)
            if total != last:
                out.write(f"{int(time.time() * 1000)} {total}\n")
                out.flush()
                last = total
            time.sleep(0.02)
    return 0


def percentile(sorted_vals, p):
    return sorted_vals[(len(sorted_vals) - 1) * p // 100]


def report(args):
    times = []
    with open(args.timeline, encoding="utf-8") as f:
        prev = None
        for line in f:
            ms, total = map(int, line.split())
            if prev is not None and total > prev:
                times.append(ms)
            prev = total
    kills = []
    if os.path.exists(args.kills):
        with open(args.kills, encoding="utf-8") as f:
            kills = [(int(p[0]), p[1]) for p in (line.split() for line in f) if len(p) >= 2]
    gaps, bad = [], 0
    for i, (kill_ms, node) in enumerate(kills):
        end = kills[i + 1][0] if i + 1 < len(kills) else float("inf")
        best = None
        for a, b in zip(times, times[1:]):
            if a > kill_ms + args.window_ms:
                break
            if a >= kill_ms - 2000 and b > kill_ms and b < end:
                best = max(best or 0, b - a)
        after = [t for t in times if t > kill_ms]
        if best is None and after and after[0] < end:
            best = after[0] - max([t for t in times if t <= kill_ms] or [kill_ms])
        if best is None:
            print(f"{args.what} {i + 1} ({node}): no ack after it")
            bad += 1
            continue
        gaps.append(best)
        print(f"{args.what} {i + 1} ({node}): failover {best} ms")
    if not gaps:
        print(f"failover: no {args.what} measured")
        return 1
    s = sorted(gaps)
    verdict = "ok" if s[-1] < args.target_ms and not bad else "MISSED"
    print(f"failover: {len(gaps)} {args.what}s, p50 {percentile(s, 50)} ms, max {s[-1]} ms "
          f"(target {args.target_ms} ms): {verdict}")
    return 0 if verdict == "ok" else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("watch")
    w.add_argument("--out", required=True)
    w.add_argument("files", nargs="+")
    r = sub.add_parser("report")
    r.add_argument("--timeline", required=True)
    r.add_argument("--kills", required=True)
    r.add_argument("--target-ms", type=int, default=10000)
    r.add_argument("--window-ms", type=int, default=1000)
    r.add_argument("--what", default="kill", help="what KILLS lists, for the report's lines")
    args = ap.parse_args()
    return watch(args) if args.cmd == "watch" else report(args)


if __name__ == "__main__":
    sys.exit(main())
