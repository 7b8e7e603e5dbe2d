#!/usr/bin/env python3
"""Edit-to-served latency: retitles one post again and again and times how long each new title
takes to appear in a served feed.

    edits.py --url URL --file POST --edits N [--settle-ms MS] [--timeout-s S] [--poll-ms MS]

For each edit: rewrite POST with a new, unique title (one write of the whole file, as an editor
saving in place does), start the clock, then GET URL over one keep-alive connection every
--poll-ms until the body holds the new title. The clock stops when that response has been read,
so the resolution is the poll interval plus one fetch. Between edits the server is left alone for
--settle-ms, so no two edits fall into one debounce window.

Prints one latency in milliseconds per line on stdout; progress and failures go to stderr.
Exits non-zero if an edit never shows up within --timeout-s.
"""

import argparse
import http.client
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

# Front matter title lines, as feedd-gen and hugo_site.py write them (always double-quoted).
TITLE_LINE = re.compile(r'^(title\s*[=:]\s*)"(.*)"$', re.MULTILINE)


def retitle(text, marker):
    """`text` with `marker` appended to its title: the front matter `title`, or for a plain-text
    post (no front matter) its first line."""
    if text.startswith(("+++", "---")):
        match = TITLE_LINE.search(text)
        if match is None:
            sys.exit("edits.py: no double-quoted `title` line in the front matter")
        line = f'{match.group(1)}"{match.group(2)} {marker}"'
        return text[: match.start()] + line + text[match.end():]
    first, _, rest = text.partition("\n")
    return f"{first} {marker}\n{rest}"


class Poller:
    """GETs one URL over a kept-alive connection, reconnecting when the server closes it."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path or "/"
        self.conn = None

    def get(self):
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request("GET", self.path)
                response = self.conn.getresponse()
                body = response.read()
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, body
            except (http.client.HTTPException, ConnectionError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
        raise ConnectionError(f"cannot GET {self.path} from {self.host}:{self.port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--file", required=True, type=Path)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--settle-ms", type=float, default=400)
    parser.add_argument("--timeout-s", type=float, default=120)
    parser.add_argument("--poll-ms", type=float, default=1)
    args = parser.parse_args()

    poller = Poller(args.url)
    original = args.file.read_text(encoding="utf-8")
    run = f"{time.time_ns() % 1_000_000_000:09d}"
    for n in range(args.edits):
        time.sleep(args.settle_ms / 1000)
        marker = f"edit{n}x{run}"
        text = retitle(original, marker).encode("utf-8")
        with open(args.file, "r+b") as file:
            started = time.perf_counter()
            file.write(text)
            file.truncate()
        deadline = started + args.timeout_s
        needle = marker.encode()
        while True:
            status, body = poller.get()
            now = time.perf_counter()
            if status == 200 and needle in body:
                break
            if now > deadline:
                sys.exit(f"edits.py: edit {n} not served after {args.timeout_s:.0f} s")
            time.sleep(args.poll_ms / 1000)
        latency = (now - started) * 1000
        print(f"{latency:.2f}", flush=True)
        print(f"edits.py: edit {n + 1}/{args.edits}: {latency:.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
