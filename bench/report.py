#!/usr/bin/env python3
"""Turns bench/compare's raw samples into two markdown tables.

    report.py RESULTS.tsv --debounce-ms MS --serve-size N

RESULTS.tsv holds one sample a line: size, metric, side (feedd / hugo / nginx), value. Each row of
the table is a median over the samples (p50 and p99 for edit latencies), the ratio feedd/baseline,
the target, and whether feedd meets it. Targets stated for 10,000 posts are judged at that size
only; the rest of the rows at every size. The second table puts the flat-rebuild targets side by
side, one column per size, so that flatness (the largest size against the smallest) reads at a
glance.
"""

import argparse
import statistics
from collections import defaultdict


def load(path):
    samples = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        size, metric, side, value = line.rstrip("\n").split("\t")
        samples[(int(size), metric, side)].append(float(value))
    return samples


def p99(values):
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def fmt(value, unit):
    if value is None:
        return "–"
    if unit == "s":
        return f"{value:.3g} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:.3g}"


#: Daemon resident memory allowed at 10,000 posts.
RSS_BOUND_MB = 50


def verdict(ok):
    if ok is None:
        return "–"
    return "yes" if ok else "**no**"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--debounce-ms", type=float, required=True)
    parser.add_argument("--serve-size", type=int, required=True)
    args = parser.parse_args()
    samples = load(args.results)
    sizes = sorted({size for size, _, _ in samples})
    smallest = sizes[0]

    def get(size, metric, side, stat=statistics.median):
        values = samples.get((size, metric, side))
        return stat(values) if values else None

    rows = []

    def row(name, size, unit, feedd, base, target, ok, base_name):
        ratio = feedd / base if feedd is not None and base else None
        rows.append((name, f"{size:,}", fmt(feedd, unit), f"{fmt(base, unit)} ({base_name})",
                     fmt(ratio, "x"), target, verdict(ok)))

    debounce = args.debounce_ms
    for size in sizes:
        at_10k = size == 10000

        def ratio_target(metric, bound, only_10k, base_side):
            f, b = get(size, metric, "feedd"), get(size, metric, base_side)
            if f is None or b is None:
                return f, b, "–", None
            if only_10k and not at_10k:
                return f, b, f"(≤ {bound:.2f}× at 10,000)", None
            return f, b, f"≤ {bound:.2f}×", f / b <= bound

        f, b, t, ok = ratio_target("once_wall", 0.10, True, "hugo")
        row("`--once` wall time", size, "s", f, b, t, ok, "hugo")
        f, b, t, ok = ratio_target("once_peak", 0.20, True, "hugo")
        row("`--once` peak memory", size, "MB", f, b, t, ok, "hugo")
        if size != smallest:
            grow = {
                side: get(size, "once_wall", side) / get(smallest, "once_wall", side)
                for side in ("feedd", "hugo")
                if get(size, "once_wall", side) and get(smallest, "once_wall", side)
            }
            bound = size / smallest
            f, b = grow.get("feedd"), grow.get("hugo")
            row(f"`--once` growth from {smallest:,}", size, "x", f, b,
                f"≤ {bound:.0f}× (linear)", None if f is None else f <= bound, "hugo")
        f50, b50 = get(size, "edit_ms", "feedd"), get(size, "edit_ms", "hugo")
        row("edit-to-served p50", size, "ms", f50, b50, f"≤ {debounce + 10:.0f} ms",
            None if f50 is None else f50 <= debounce + 10, "hugo server")
        f99, b99 = get(size, "edit_ms", "feedd", p99), get(size, "edit_ms", "hugo", p99)
        row("edit-to-served p99", size, "ms", f99, b99, f"≤ {debounce + 30:.0f} ms",
            None if f99 is None else f99 <= debounce + 30, "hugo server")
        f, b = get(size, "rebuild_ms", "feedd"), get(size, "rebuild_ms", "hugo")
        reference = get(smallest, "rebuild_ms", "feedd")
        # Flat: at most 5 ms at every size, and within 1.5x of the smallest size's figure.
        if size == smallest or reference is None:
            target, ok = "≤ 5 ms", None if f is None else f <= 5
        else:
            target = f"≤ 5 ms and ≤ 1.5× the {smallest:,}-post figure ({1.5 * reference:.1f} ms)"
            ok = None if f is None else f <= min(5, 1.5 * reference)
        row("incremental rebuild, one edit", size, "ms", f, b, target, ok, "hugo server")
        f, b = get(size, "start_s", "feedd"), get(size, "start_s", "hugo")
        row("daemon start to first 200", size, "s", f, b, "–", None, "hugo server")
        f, b = get(size, "rss_mb", "feedd"), get(size, "rss_mb", "hugo")
        ok = (f <= RSS_BOUND_MB) if f is not None and at_10k else None
        t = f"≤ {RSS_BOUND_MB} MB at 10,000" if at_10k else f"(≤ {RSS_BOUND_MB} MB at 10,000)"
        row("daemon resident memory", size, "MB", f, b, t, ok, "hugo server")
        if size == args.serve_size:
            for kind, label in (("identity", "200 identity"), ("gzip", "200 gzip"),
                                ("304", "304 If-None-Match")):
                f, b = get(size, f"rps_{kind}", "feedd"), get(size, f"rps_{kind}", "nginx")
                row(f"serving `/atom.xml`, {label}", size, "req/s", f, b, "≥ 1.00×",
                    None if f is None or b is None else f >= b, "nginx")
            f, b = get(size, "rps_h2", "feedd"), get(size, "rps_h2", "nginx")
            row("serving `/atom.xml` over HTTP/2 (h2c), 200 identity", size, "req/s", f, b,
                "≥ 1.00×", None if f is None or b is None else f >= b, "nginx `http2 on`")

    header = ("measurement", "posts", "feedd (median)", "baseline (median)", "feedd/baseline",
              "target", "met?")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")

    print()
    flat_table(sizes, get, debounce)
    print()
    print(f"- feedd's daemon runs with its default `debounce_ms = {debounce:.0f}`; edit latencies "
          "include it. Polling is one keep-alive GET of the whole feed every 1 ms.")
    for size in sizes:
        counts = {side: len(samples.get((size, "edit_ms", side), [])) for side in ("feedd", "hugo")}
        runs = len(samples.get((size, "once_wall", "feedd"), []))
        cores = {side: get(size, "once_cores", side) for side in ("feedd", "hugo")}
        rebuilds = {side: len(samples.get((size, "rebuild_ms", side), []))
                    for side in ("feedd", "hugo")}
        print(f"- {size:,} posts: {runs} `--once` runs per tool, cores used (CPU time / wall) "
              f"feedd {fmt(cores['feedd'], '')}, hugo {fmt(cores['hugo'], '')}; edits timed "
              f"feedd {counts['feedd']}, hugo {counts['hugo']}; rebuild log lines feedd "
              f"{rebuilds['feedd']}, hugo {rebuilds['hugo']}.")
    size = args.serve_size
    parts = []
    for kind in ("identity", "gzip", "304", "h2"):
        f, n = get(size, f"cores_{kind}", "feedd"), get(size, f"cores_{kind}", "nginx")
        if f is not None and n is not None:
            parts.append(f"{kind} feedd {f:.2f} / nginx {n:.2f}")
    if parts:
        rounds = len(samples.get((size, "rps_identity", "feedd"), []))
        print(f"- serving: {rounds} rounds of `wrk -t1 -c64 -d10s` per row (HTTP/2: "
              "`h2load -t1 -c64 -m10 -D10`); cores the server "
              f"used (CPU time / 10 s): {'; '.join(parts)}. nginx runs 1 worker; feedd's runtime "
              "has one worker thread per core; wrk itself takes one core.")


def flat_table(sizes, get, debounce):
    """The flat-rebuild targets, one column per size."""
    smallest, largest = sizes[0], sizes[-1]

    def cells(metric, unit, stat=statistics.median):
        return [fmt(get(size, metric, "feedd", stat), unit) for size in sizes]

    def all_ok(metric, bound, stat=statistics.median):
        values = [get(size, metric, "feedd", stat) for size in sizes]
        if any(v is None for v in values):
            return None
        return all(v <= bound for v in values)

    rows = [("one rebuild after a one-post edit", cells("rebuild_ms", "ms"), "≤ 5 ms at every size",
             all_ok("rebuild_ms", 5))]
    first, last = get(smallest, "rebuild_ms", "feedd"), get(largest, "rebuild_ms", "feedd")
    if first and last is not None and largest != smallest:
        ratio = last / first
        flat = ["–"] * (len(sizes) - 1) + [fmt(ratio, "x")]
        rows.append((f"flatness: {largest:,} figure / {smallest:,} figure", flat, "≤ 1.5×",
                     ratio <= 1.5))
    rows.append((f"edit-to-served p50 (debounce {debounce:.0f} ms)", cells("edit_ms", "ms"),
                 f"≤ {debounce + 10:.0f} ms", all_ok("edit_ms", debounce + 10)))
    rows.append((f"edit-to-served p99 (debounce {debounce:.0f} ms)", cells("edit_ms", "ms", p99),
                 f"≤ {debounce + 30:.0f} ms", all_ok("edit_ms", debounce + 30, p99)))
    rss = get(10000, "rss_mb", "feedd")
    rows.append(("daemon resident memory", cells("rss_mb", "MB"), f"≤ {RSS_BOUND_MB} MB at 10,000",
                 None if rss is None else rss <= RSS_BOUND_MB))
    once = [get(size, "once_wall", "feedd") for size in sizes]
    hugo = [get(size, "once_wall", "hugo") for size in sizes]
    ratios = [f / h if f is not None and h else None for f, h in zip(once, hugo)]
    at_10k = ratios[sizes.index(10000)] if 10000 in sizes else None
    rows.append(("`--once` time / Hugo's", [fmt(r, "x") for r in ratios], "≤ 0.10× at 10,000",
                 None if at_10k is None else at_10k <= 0.10))
    header = ["measurement"] + [f"{size:,}" for size in sizes] + ["target", "met?"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, values, target, ok in rows:
        print("| " + " | ".join([name, *values, target, verdict(ok)]) + " |")


if __name__ == "__main__":
    main()
