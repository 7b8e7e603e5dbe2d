#!/usr/bin/env python3
"""Small measuring helpers for bench/compare, one subcommand each (Python 3 standard library only).

    tools.py port                      print a free TCP port on 127.0.0.1
    tools.py wait URL TIMEOUT_S SINCE  GET URL until it answers 200; print the seconds since SINCE
                                      (Unix time, taken just before the server was started)
    tools.py timed TIMEFILE -- CMD...  run CMD under /usr/bin/time -v; print "wall_s peak_mb
                                      cores" (cores = CPU time / wall); CMD's output is
                                      shown only if it fails
    tools.py cputime PID               CPU seconds used so far by PID and all its descendants
    tools.py rss PID                   resident memory of PID in MB (VmRSS)
    tools.py rebuilds feedd|hugo LOG   each incremental rebuild's duration in ms, one per line
    tools.py newest MANIFEST           path of the newest post (in every feed's first entries)
    tools.py wrk OUTPUT                "requests_per_s bad_responses errors" from wrk's output
    tools.py h2load OUTPUT             "requests_per_s failed_or_not_2xx" from h2load's output
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait(url, timeout_s, since=None):
    started = float(since) if since else time.time()
    deadline = time.perf_counter() + float(timeout_s)
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    response.read()
                    print(f"{time.time() - started:.3f}")
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.02)
    sys.exit(f"tools.py: {url} did not answer 200 within {timeout_s} s")


def timed(timefile, command):
    """Wall time measured here (time -v's is rounded to 10 ms); peak memory and CPU from time -v."""
    started = time.perf_counter()
    finished = subprocess.run(
        ["/usr/bin/time", "-v", "-o", timefile, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    status = finished.returncode
    wall = time.perf_counter() - started
    report = Path(timefile).read_text(encoding="utf-8")
    if status != 0:
        sys.stderr.buffer.write(finished.stderr)
        sys.exit(f"tools.py: {' '.join(command)} exited with {status}\n{report}")

    def field(name):
        match = re.search(rf"^\s*{re.escape(name)}: (.+)$", report, re.MULTILINE)
        if match is None:
            sys.exit(f"tools.py: no '{name}' in {timefile}")
        return match.group(1)

    peak_mb = int(field("Maximum resident set size (kbytes)")) / 1024
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    print(f"{wall:.4f} {peak_mb:.1f} {cpu / wall:.2f}")


def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [int(pid)]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cputime(pid):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
    print(f"{total / ticks:.2f}")


def rss(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))
    print(f"{kb / 1024:.1f}")


UNITS_MS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1000.0}


def rebuilds(kind, log):
    text = Path(log).read_text(encoding="utf-8", errors="replace")
    if kind == "feedd":
        # "rebuilt (CAUSE) in 12.3ms: ..." (a Rust Duration's {:.1?})
        for value, unit in re.findall(r"rebuilt \(.*\) in ([0-9.]+)(ns|µs|ms|s):", text):
            print(f"{float(value) * UNITS_MS[unit]:.2f}")
    else:
        # hugo server: "Total in 69 ms" after each "Change detected"
        for value in re.findall(r"^Total in (\d+) ms", text, re.MULTILINE):
            print(value)


def newest(manifest):
    posts = json.loads(Path(manifest).read_text(encoding="utf-8"))["posts"]
    print(max(posts, key=lambda p: (p["published"], p["id"]))["path"])


def wrk(output):
    text = Path(output).read_text(encoding="utf-8")
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.MULTILINE)
    if rate is None:
        sys.exit(f"tools.py: no Requests/sec in {output}:\n{text}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    print(rate.group(1), bad.group(1) if bad else 0, (errors.group(1) if errors else "none").replace(" ", ""))


def h2load(output):
    text = Path(output).read_text(encoding="utf-8")
    rate = re.search(r"^finished in [0-9.]+m?s, ([0-9.]+) req/s", text, re.MULTILINE)
    done = re.search(r"^requests: .* (\d+) succeeded, (\d+) failed, (\d+) errored", text, re.MULTILINE)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.MULTILINE)
    if rate is None or done is None or codes is None:
        sys.exit(f"tools.py: cannot read h2load's output {output}:\n{text}")
    bad = int(done.group(2)) + int(done.group(3)) + sum(int(codes.group(i)) for i in (2, 3, 4))
    print(rate.group(1), bad)


def main():
    commands = {"port": port, "wait": wait, "cputime": cputime, "rss": rss,
                "rebuilds": rebuilds, "newest": newest, "wrk": wrk,
                "h2load": h2load}
    if len(sys.argv) >= 4 and sys.argv[1] == "timed" and sys.argv[3] == "--":
        timed(sys.argv[2], sys.argv[4:])
    elif len(sys.argv) >= 2 and sys.argv[1] in commands:
        commands[sys.argv[1]](*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
