#!/usr/bin/env python3
"""A TCP fault proxy on loopback: a bad link between an agent and the broker's tcp ingest.

It listens on 127.0.0.1:PORT and forwards every connection to --target HOST:PORT, byte for
byte, in both directions. What the link does is its mode, switched at run time:

  pass            forward at once (the default)
  delay MS        every chunk read is forwarded MS milliseconds later (latency, not a rate cap:
                  chunks keep their order and several can be on the way)
  slow BPS        each direction of each connection forwards at most BPS bytes a second
  stall           nothing flows in either direction and nothing is closed: no FIN, no RST.
                  The proxy stops reading (so the sender's buffers fill as on a dead link) and
                  holds what it had read. New connections are accepted and held the same way,
                  without an upstream connection yet (a blackhole after the handshake). When
                  the mode changes, held data goes on as if the link had come back.
  reset           every open connection is closed with RST on both sides (SO_LINGER 0), and
                  so is every connection accepted while the mode lasts (not a dead one: see
                  hang)
  hang            every open connection goes dead for good without a word (a NAT or a firewall
                  that forgot it): nothing flows in either direction, ever, and nothing is
                  closed until an end closes it (what it sends is read and dropped, so the
                  proxy notices); new connections pass as in pass mode
  refuse          the listening socket is closed, so a new connection is refused (RST to the
                  SYN); open connections are stalled as above. Leaving the mode listens again
                  on the same port.

Control channel: a line protocol on a second loopback port (its number in --control-file).
One command a line, one answer a line:

  pass | delay MS | slow BPS | stall | reset | hang | refuse  ->  "ok MODE" (applied when
                                                                   answered)
  status   ->  "ok MODE conns=N accepted=N resets=N hung=N up=BYTES down=BYTES changes=N"
  anything else  ->  "err REASON"

From bash:  exec 9<>/dev/tcp/127.0.0.1/$(cat ctl.port); echo stall >&9; read -r ans <&9

  --target HOST:PORT   where to forward (the broker's ingest endpoint)
  --port N             listen on 127.0.0.1:N (0, the default: a free port)
  --port-file F        write the listening port there once listening (written, then renamed)
  --control-file F     the same for the control port
  --name NAME          a label for the log lines
Each mode change is logged on stderr with the wall-clock time: "HH:MM:SS.mmm NAME: mode X
(was Y)". Python 3 standard library only.
"""
import argparse
import asyncio
import os
import socket
import struct
import sys
import time

MODES = ("pass", "delay", "slow", "stall", "reset", "hang", "refuse")
CHUNK = 65536


def log(msg):
    t = time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int(t * 1000 % 1000)
    print(f"{stamp} {msg}", file=sys.stderr, flush=True)


def write_atomic(path, text):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def rst_close(writer):
    """Close with RST rather than FIN: SO_LINGER on, 0 seconds."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


class Proxy:
    def __init__(self, args):
        self.args = args
        self.name = args.name
        self.host, port = args.target.rsplit(":", 1)
        self.tport = int(port)
        self.mode = "pass"
        self.arg = 0
        self.changed = asyncio.Event()  # set and replaced at every change
        self.conns = set()
        self.server = None
        self.port = args.port
        self.stats = dict(accepted=0, resets=0, hung=0, up=0, down=0, changes=0)

    # --- modes ---------------------------------------------------------------------------

    def flows(self):
        return self.mode not in ("stall", "refuse")

    async def gate(self):
        """Wait while nothing may flow."""
        while not self.flows():
            await self.changed.wait()

    async def set_mode(self, mode, arg):
        old = self.describe()
        self.mode, self.arg = mode, arg
        self.stats["changes"] += 1
        ev, self.changed = self.changed, asyncio.Event()
        ev.set()
        if mode == "reset":
            for c in list(self.conns):
                if not c.hung:
                    c.reset()
        if mode == "hang":
            for c in list(self.conns):
                c.hang()
        if mode == "refuse" and self.server is not None:
            self.server.close()
            self.server = None
        elif mode != "refuse" and self.server is None:
            await self.listen()
        log(f"{self.name}: mode {self.describe()} (was {old}); {len(self.conns)} open")

    def describe(self):
        return self.mode if self.mode not in ("delay", "slow") else (
            f"{self.mode} {self.arg}")

    # --- the data path -------------------------------------------------------------------

    async def listen(self):
        self.server = await asyncio.start_server(
            self.accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def accept(self, reader, writer):
        self.stats["accepted"] += 1
        conn = Conn(self, reader, writer)
        self.conns.add(conn)
        try:
            await conn.run()
        finally:
            self.conns.discard(conn)


class Conn:
    def __init__(self, proxy, reader, writer):
        self.p = proxy
        self.cr, self.cw = reader, writer
        self.ur = self.uw = None
        self.tasks = []
        self.dead = False
        self.hung = False

    def reset(self):
        if self.dead:
            return
        self.dead = True
        self.p.stats["resets"] += not self.hung
        rst_close(self.cw)
        rst_close(self.uw)
        for t in self.tasks:
            t.cancel()

    def hang(self):
        if self.dead or self.hung:
            return
        self.hung = True
        self.p.stats["hung"] += 1

    async def run(self):
        p = self.p
        if p.mode == "reset":
            self.reset()
            return
        await p.gate()
        if p.mode == "reset" or self.dead:
            self.reset()
            return
        try:
            self.ur, self.uw = await asyncio.open_connection(p.host, p.tport)
        except OSError:
            # The broker is down: the client sees its connection reset, as a direct
            # connection to a closed port would be refused.
            self.reset()
            return
        if self.dead:
            rst_close(self.uw)
            return
        self.tasks = [asyncio.ensure_future(self.pipe(self.cr, self.uw, "up")),
                      asyncio.ensure_future(self.pipe(self.ur, self.cw, "down"))]
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if not self.dead:
            self.dead = True
            for w in (self.cw, self.uw):
                w.transport.abort()

    async def pipe(self, reader, writer, direction):
        """One direction: a reader that stamps chunks, a writer that forwards them."""
        q = asyncio.Queue()
        fwd = asyncio.ensure_future(self.forward(q, writer, direction))
        try:
            while True:
                await self.p.gate()
                data = await reader.read(CHUNK)
                if self.hung:
                    # Dead: what comes is dropped; an end that gives up closes both.
                    if not data:
                        self.reset()
                        return
                    continue
                await q.put((time.monotonic(), data))
                if not data:
                    await fwd
                    return
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            fwd.cancel()

    async def forward(self, q, writer, direction):
        p = self.p
        while True:
            t, data = await q.get()
            if not data:
                # The sender closed its side: pass the FIN on, once the link lets it through.
                await p.gate()
                if writer.can_write_eof():
                    writer.write_eof()
                return
            while data:
                await p.gate()
                if self.hung:
                    return
                if p.mode == "delay":
                    wait = t + p.arg / 1000 - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                        continue  # the mode may have changed meanwhile
                if p.mode == "slow":
                    piece = data[:max(1, p.arg // 20)]
                    await asyncio.sleep(len(piece) / max(1, p.arg))
                    if not p.flows():
                        continue
                else:
                    piece = data
                if self.hung:
                    return
                writer.write(piece)
                await writer.drain()
                p.stats[direction] += len(piece)
                data = data[len(piece):]


async def control(proxy, reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        words = line.decode("ascii", "replace").split()
        try:
            answer = await command(proxy, words)
        except (ValueError, IndexError) as e:
            answer = f"err {e}"
        writer.write((answer + "\n").encode())
        await writer.drain()
    writer.close()


async def command(proxy, words):
    if not words:
        raise ValueError("empty command")
    cmd = words[0]
    if cmd == "status":
        s = proxy.stats
        return (f"ok {proxy.describe()} conns={len(proxy.conns)} accepted={s['accepted']} "
                f"resets={s['resets']} hung={s['hung']} up={s['up']} down={s['down']} "
                f"changes={s['changes']}")
    if cmd not in MODES:
        raise ValueError(f"unknown command '{cmd}' (one of: {' '.join(MODES)}, status)")
    arg = 0
    if cmd in ("delay", "slow"):
        if len(words) != 2 or not words[1].isdigit() or (cmd == "slow" and words[1] == "0"):
            raise ValueError(f"{cmd} takes one number")
        arg = int(words[1])
    elif len(words) != 1:
        raise ValueError(f"{cmd} takes no argument")
    await proxy.set_mode(cmd, arg)
    return f"ok {proxy.describe()}"


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--control-file")
    ap.add_argument("--name", default="faultproxy")
    args = ap.parse_args()

    proxy = Proxy(args)
    await proxy.listen()
    ctl = await asyncio.start_server(lambda r, w: control(proxy, r, w), "127.0.0.1", 0)
    ctl_port = ctl.sockets[0].getsockname()[1]
    if args.control_file:
        write_atomic(args.control_file, f"{ctl_port}\n")
    if args.port_file:
        write_atomic(args.port_file, f"{proxy.port}\n")
    log(f"{proxy.name}: 127.0.0.1:{proxy.port} -> {args.target}, control on 127.0.0.1:{ctl_port}")
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
