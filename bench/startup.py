"""`storefront serve` on SQLite: time to ready and idle RSS of the worker, over N starts.

Usage: python bench/startup.py [--runs 5]
Each run starts `storefront serve` (one worker) on a fresh SQLite file, as a user would, and
times it from the process start to the first 200 of /health/ready (polled every 10 ms), and
reads the CPU seconds the process used until then (steadier on a shared machine); it
then sends a few requests (a user list, a search, a product page: every router imported and
warmed) and reads the worker's resident set size from /proc after a second of idling.
Figures, never pass/fail.
"""

import argparse
import platform
import statistics
import time

import httpx

from _server import cpu_seconds, rss_mib, storefront, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ready, cpu, rss = [], [], []
    for _ in range(args.runs):
        with storefront("sqlite") as base:
            ready.append(base.ready_s)
            cpu.append(cpu_seconds(base.pid))  # CPU to ready: steadier on a shared machine
            for path in ("/api/products/?limit=5", "/api/products/search?q=lamp", "/health"):
                httpx.get(base + path).raise_for_status()
            time.sleep(1)
            rss.append(rss_mib(base.pid))
    rows = [
        {"what": "serve -> ready, s", "min": f"{min(ready):.2f}", "median":
         f"{statistics.median(ready):.2f}", "max": f"{max(ready):.2f}"},
        {"what": "serve -> ready, CPU s", "min": f"{min(cpu):.2f}", "median":
         f"{statistics.median(cpu):.2f}", "max": f"{max(cpu):.2f}"},
        {"what": "idle RSS, MiB", "min": f"{min(rss):.1f}", "median":
         f"{statistics.median(rss):.1f}", "max": f"{max(rss):.1f}"},
    ]  # fmt: skip
    print(f"storefront serve on SQLite, {args.runs} starts; python {platform.python_version()}")
    print(table(rows, ["what", "min", "median", "max"]))


if __name__ == "__main__":
    main()
