#!/usr/bin/env python3
"""Hostile clients for test/suites/26-proxy-limits.sh, loopback only, bounded
in count and time.  Each mode prints one line of key=value figures.

  attack.py frag PORT N SIZE HOLD   N WebSocket sessions, each sending a text
                                    frame of SIZE bytes with FIN=0 and a
                                    continuation, never the final fragment;
                                    a canary session and a /healthcheck every
                                    N/20 sessions and while holding HOLD s
  attack.py tcp PORT N HOLD         N plain TCP connects that send nothing
  attack.py slowloris PORT N HOLD   N HTTP requests whose headers trickle, one
                                    header line per second, never finished
  attack.py canary PORT             one canary session and one /healthcheck

Figures: canary_ms / health_ms as median and max; server_closed = held
connections the server closed; codes = close codes seen on them.
"""
import os
import select
import socket
import statistics
import struct
import sys
import time

HOST = "127.0.0.1"
HANDSHAKE = ("GET /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: rtcstats#5.0\r\n\r\n")


def frame(opcode, payload, fin=True):
    """A client frame, masked with a zero key (the payload as is)."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return hdr + b"\0\0\0\0" + payload


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_headers(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def ws_open(port, path):
    s = connect(port)
    s.sendall(HANDSHAKE.format(path=path).encode())
    if not read_headers(s).startswith(b"HTTP/1.1 101"):
        s.close()
        return None
    return s


def canary(port):
    """Milliseconds for a whole session: handshake, one message, close, the server's close."""
    t = time.monotonic()
    try:
        s = ws_open(port, "canary")
        if s is None:
            return None
        s.sendall(frame(1, b'["canary",null,1,0]'))
        s.sendall(frame(8, struct.pack("!H", 1000)))
        got = b""
        while len(got) < 2:
            d = s.recv(64)
            if not d:
                break
            got += d
        s.close()
        if len(got) < 2 or got[0] != 0x88:
            return None
    except OSError:
        return None
    return (time.monotonic() - t) * 1000


def health(port):
    t = time.monotonic()
    try:
        s = connect(port)
        s.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = read_headers(s)
        s.close()
        if not head.startswith(b"HTTP/1.1 "):
            return None
    except OSError:
        return None
    return (time.monotonic() - t) * 1000


class Probes:
    def __init__(self, port):
        self.port = port
        self.canary = []
        self.health = []
        self.failed = 0

    def run(self):
        c = canary(self.port)
        h = health(self.port)
        for v, lst in ((c, self.canary), (h, self.health)):
            if v is None:
                self.failed += 1
            else:
                lst.append(v)

    def figures(self):
        def fig(name, v):
            if not v:
                return "%s_median=none %s_max=none" % (name, name)
            return "%s_median=%.1f %s_max=%.1f" % (name, statistics.median(v), name, max(v))
        return "%s %s probes=%d probes_failed=%d" % (
            fig("canary_ms", self.canary), fig("health_ms", self.health),
            len(self.canary) + len(self.health) + self.failed, self.failed)


def hold(conns, seconds, probes, tick=None):
    """Keeps conns open for seconds, probing every second; returns (closed, codes)."""
    closed = 0
    codes = {}
    end = time.monotonic() + seconds
    next_probe = time.monotonic()
    live = {s.fileno(): s for s in conns}
    poller = select.poll()      # select(2) stops at descriptor 1024
    for fd in live:
        poller.register(fd, select.POLLIN)
    while time.monotonic() < end:
        if probes and time.monotonic() >= next_probe:
            probes.run()
            next_probe = time.monotonic() + 1
        if tick:
            tick(list(live.values()))
        for fd, _ in poller.poll(200):
            s = live[fd]
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if d[:1] == b"\x88" and len(d) >= 4:
                code = struct.unpack("!H", d[2:4])[0]
                codes[code] = codes.get(code, 0) + 1
            if not d or d[:1] == b"\x88":
                closed += 1
                poller.unregister(fd)
                del live[fd]
                s.close()
    for s in live.values():
        s.close()
    return closed, codes


def mode_frag(port, n, size, secs):
    probes = Probes(port)
    conns = []
    opened = 0
    first = frame(1, b'["x",null,"' + b"y" * size, fin=False)
    cont = frame(0, b"z" * 1000, fin=False)
    every = max(1, n // 20)
    t0 = time.monotonic()
    for i in range(n):
        try:
            s = ws_open(port, "frag")
        except OSError:
            s = None
        if s is None:
            continue
        opened += 1
        try:
            s.sendall(first)
            s.sendall(cont)
        except OSError:
            pass
        conns.append(s)
        if i % every == 0:
            probes.run()
    sent_s = time.monotonic() - t0
    # The proxy's RSS is read by the suite while we hold: say so.
    print("holding", flush=True)
    closed, codes = hold(conns, secs, probes)
    print("opened=%d sent_s=%.1f server_closed=%d codes=%s %s" % (
        opened, sent_s, closed, ",".join("%d:%d" % kv for kv in sorted(codes.items())) or "none",
        probes.figures()), flush=True)


def mode_tcp(port, n, secs):
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(port, timeout=2))
        except OSError:
            break
    print("holding", flush=True)
    closed, _ = hold(conns, secs, None)
    print("opened=%d server_closed=%d" % (len(conns), closed), flush=True)


def mode_slowloris(port, n, secs):
    probes = Probes(port)
    conns = []
    for i in range(n):
        try:
            s = connect(port, timeout=2)
            s.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            conns.append(s)
        except OSError:
            break
    print("holding", flush=True)
    state = {"next": time.monotonic() + 1, "k": 0}

    def trickle(live):
        if time.monotonic() < state["next"]:
            return
        state["next"] = time.monotonic() + 1
        state["k"] += 1
        for s in live:
            try:
                s.send(b"X-Slow-%d: 1\r\n" % state["k"])
            except OSError:
                pass
    t0 = time.monotonic()
    closed, _ = hold(conns, secs, probes, trickle)
    print("opened=%d server_closed=%d held_s=%.1f %s" % (
        len(conns), closed, time.monotonic() - t0, probes.figures()), flush=True)


def main():
    mode = sys.argv[1]
    port = int(sys.argv[2])
    if mode == "frag":
        mode_frag(port, int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "tcp":
        mode_tcp(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "slowloris":
        mode_slowloris(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "canary":
        p = Probes(port)
        p.run()
        print(p.figures())
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
