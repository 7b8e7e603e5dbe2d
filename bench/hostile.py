#!/usr/bin/env python3
"""Hostile clients for bench/hostile, and its report (Python 3 standard library only).

    hostile.py run --kind KIND --port PORT --pid PID [--count 1000] [--hold-s 15] [--settle-s 5]
        Opens COUNT abusive connections of KIND to 127.0.0.1:PORT, each from its own loopback
        address (127.1.x.y), and keeps that many open for HOLD_S seconds (reopening those the
        server closes, except pipeliners), while a well-behaved client on 127.0.0.2 fetches
        /atom.xml on a new connection every 100 ms. Then closes them all and waits SETTLE_S.
        PID (and its child processes) is sampled every 100 ms for VmRSS and open sockets.
        Prints one JSON object.
    hostile.py table RESULTS.jsonl
        The markdown table of the JSON objects `run` printed, one per line.

KIND is one of:
    pipeline   sends 200 pipelined GET /atom.xml with a 4 KiB receive buffer, never reads
    slow       sends a request line and then one header byte every 2 s, never finishing
    keepalive  sends one GET, reads the answer, then sits idle on the connection
    headers    sends a header line that never ends (380 KiB, as fast as the server takes it)

Every loop is bounded in time (HOLD_S, SETTLE_S, 10 s per probe) and in count (COUNT sockets,
at most 20 reopenings per socket); only loopback addresses are used.
"""

import json
import os
import selectors
import socket
import statistics
import sys
import threading
import time

KINDS = ("pipeline", "slow", "keepalive", "headers")
PROBE_FROM = "127.0.0.2"
PROBE_EVERY_S = 0.1
PROBE_TIMEOUT_S = 10.0
SAMPLE_EVERY_S = 0.1
REOPEN_DELAY_S = 0.5
MAX_REOPEN = 20
ENDLESS = b"GET /atom.xml HTTP/1.1\r\nHost: bench\r\nX-Endless: " + b"a" * (380 * 1024)
SLOW_HEAD = b"GET /atom.xml HTTP/1.1\r\nHost: bench\r\n"
SLOW_DRIP = b"X-Slow: 1\r\n"
GET = b"GET /atom.xml HTTP/1.1\r\nHost: bench\r\n\r\n"


def source_address(i):
    """Loopback address number i: 127.1.0.1, 127.1.0.2, ... (200 per /24)."""
    return f"127.1.{i // 200}.{i % 200 + 1}"


class Abuser:
    """One abusive connection slot: a socket, what it still has to send, and when it acts next."""

    def __init__(self, kind, index, port, selector):
        self.kind, self.index, self.port, self.selector = kind, index, port, selector
        self.sock = None
        self.pending = b""
        self.opened_at = None
        self.next_at = 0.0
        self.reopened = 0
        self.drip = 0
        self.registered = False
        self.held = []  # seconds each closed connection was held open by the server

    def open(self, now):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.kind == "pipeline":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind((source_address(self.index), 0))
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        self.sock, self.opened_at = sock, now
        self.pending = {
            "pipeline": GET * 200,
            "slow": SLOW_HEAD,
            "keepalive": GET,
            "headers": ENDLESS,
        }[self.kind]
        self.next_at = now + 2.0
        events = selectors.EVENT_WRITE | (0 if self.kind == "pipeline" else selectors.EVENT_READ)
        self.selector.register(sock, events, self)
        self.registered = True

    def close(self, now, by_server):
        if self.sock is None:
            return
        if by_server:
            self.held.append(now - self.opened_at)
        if self.registered:
            self.selector.unregister(self.sock)
        self.sock.close()
        self.sock = None
        self.next_at = now + REOPEN_DELAY_S

    def on_event(self, mask, now):
        if mask & selectors.EVENT_READ:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data == b"":
                return self.close(now, by_server=True)
        if mask & selectors.EVENT_WRITE and self.pending:
            try:
                sent = self.sock.send(self.pending)
                self.pending = self.pending[sent:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                return self.close(now, by_server=True)
            if not self.pending:
                if self.kind == "pipeline":
                    # It never reads: nothing more to watch, the socket just stays open.
                    self.selector.unregister(self.sock)
                    self.registered = False
                else:
                    self.selector.modify(self.sock, selectors.EVENT_READ, self)

    def tick(self, now, attacking):
        if self.sock is None:
            if attacking and now >= self.next_at and self.reopened < MAX_REOPEN:
                self.reopened += 1
                self.open(now)
            return
        if self.kind == "slow" and now >= self.next_at and not self.pending:
            self.next_at = now + 2.0
            byte = SLOW_DRIP[self.drip % len(SLOW_DRIP):][:1]
            self.drip += 1
            try:
                self.sock.send(byte)
            except OSError:
                self.close(now, by_server=True)


def pids_of(root):
    """root and its descendants, from /proc/PID/task/*/children."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def sockets(pids):
    count = 0
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                        count += 1
                except OSError:
                    pass
        except OSError:
            pass
    return count


class Sampler(threading.Thread):
    """RSS and open sockets of the server, every 100 ms, until stopped."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.pids = pids_of(root)
        self.samples = []  # (t, rss_mb, sockets)
        self.stopped = threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        while not self.stopped.is_set():
            now = time.monotonic() - self.started_at
            self.samples.append((now, rss_mb(self.pids), sockets(self.pids)))
            self.stopped.wait(SAMPLE_EVERY_S)


def probe_once(port):
    started = time.monotonic()
    try:
        with socket.create_connection(
            ("127.0.0.1", port), timeout=PROBE_TIMEOUT_S, source_address=(PROBE_FROM, 0)
        ) as sock:
            sock.settimeout(PROBE_TIMEOUT_S)
            sock.sendall(b"GET /atom.xml HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if time.monotonic() - started > PROBE_TIMEOUT_S:
                    return None
        ok = data.startswith(b"HTTP/1.1 200")
        return (time.monotonic() - started) * 1000 if ok else None
    except OSError:
        return None


def probe(port, until, results):
    while time.monotonic() < until:
        results.append(probe_once(port))
        time.sleep(PROBE_EVERY_S)


def attack(kind, count, port, hold_s):
    selector = selectors.DefaultSelector()
    abusers = [Abuser(kind, i, port, selector) for i in range(count)]
    started = time.monotonic()
    for abuser in abusers:
        abuser.open(started)
    while time.monotonic() - started < hold_s:
        for key, mask in selector.select(timeout=0.05):
            key.data.on_event(mask, time.monotonic())
        now = time.monotonic()
        for abuser in abusers:
            abuser.tick(now, attacking=True)
    open_at_end = sum(1 for a in abusers if a.sock is not None)
    for abuser in abusers:
        if abuser.sock is not None:
            abuser.sock.close()
    selector.close()
    held = [h for a in abusers for h in a.held]
    return open_at_end, held, sum(a.reopened for a in abusers)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(kind, port, pid, count, hold_s, settle_s):
    sampler = Sampler(pid)
    idle_rss = rss_mb(sampler.pids)
    sampler.start()
    latencies = []
    prober = threading.Thread(
        target=probe, args=(port, time.monotonic() + hold_s, latencies), daemon=True
    )
    time.sleep(0.2)
    attack_started = time.monotonic() - sampler.started_at
    prober.start()
    open_at_end, held, reopened = attack(kind, count, port, hold_s)
    attack_ended = time.monotonic() - sampler.started_at
    prober.join(PROBE_TIMEOUT_S + 1)
    time.sleep(settle_s)
    sampler.stopped.set()
    sampler.join()
    during = [s for s in sampler.samples if attack_started <= s[0] <= attack_ended]
    ok = [l for l in latencies if l is not None]
    peak_sockets = max((s[2] for s in during), default=0)
    # When the server had let go of nine in ten of the abusive connections, if it did.
    dropped = next(
        (t - attack_started for t, _, n in during
         if peak_sockets and t - attack_started > 1 and n <= peak_sockets / 10),
        None,
    )
    return {
        "kind": kind,
        "count": count,
        "probes": len(latencies),
        "failed": len(latencies) - len(ok),
        "p50_ms": percentile(ok, 50),
        "p99_ms": percentile(ok, 99),
        "idle_rss_mb": idle_rss,
        "peak_rss_mb": max((s[1] for s in sampler.samples), default=idle_rss),
        "settled_rss_mb": sampler.samples[-1][1] if sampler.samples else None,
        "server_sockets_peak": peak_sockets,
        "server_sockets_end": during[-1][2] if during else None,
        "dropped_s": dropped,
        "held_median_s": statistics.median(held) if held else None,
        "client_open_at_end": open_at_end,
        "reopened": reopened,
        "hold_s": hold_s,
    }


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    print("| abuse (1,000 conns) | server | well-behaved p50 / p99 ms | failed probes "
          "| RSS idle / peak / settled MB | server sockets peak / at end | 90% dropped after "
          "| held (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        dropped = f"{r['dropped_s']:.1f} s" if r["dropped_s"] is not None else f"> {r['hold_s']} s"
        held = f"{r['held_median_s']:.1f} s" if r["held_median_s"] is not None else "–"
        print(f"| {r['kind']} | {r['server']} | {fmt(r['p50_ms'])} / {fmt(r['p99_ms'])} "
              f"| {r['failed']} of {r['probes']} "
              f"| {fmt(r['idle_rss_mb'])} / {fmt(r['peak_rss_mb'])} / {fmt(r['settled_rss_mb'])} "
              f"| {r['server_sockets_peak']} / {fmt(r['server_sockets_end'])} | {dropped} | {held} |")


def main(argv):
    if len(argv) >= 2 and argv[0] == "table":
        return table(argv[1])
    if not argv or argv[0] != "run":
        sys.exit(__doc__)
    args = dict(zip(argv[1::2], argv[2::2]))
    kind = args.get("--kind")
    if kind not in KINDS:
        sys.exit(f"hostile.py: --kind must be one of {', '.join(KINDS)}")
    result = run(
        kind,
        int(args["--port"]),
        int(args["--pid"]),
        int(args.get("--count", 1000)),
        float(args.get("--hold-s", 15)),
        float(args.get("--settle-s", 5)),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
