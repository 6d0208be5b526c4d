"""The three analytics reports at size, on sqlite and memory: p50/p99 of N runs, peak RSS.

Usage: python bench/analytics.py [--users 100000] [--orders 300000] [--products 1000]
                                 [--runs 20] [--backends sqlite,memory] [--seed 42]
                                 [--sqlite-db PATH]
SQLite is seeded as users would seed it, with `storefront seed` in its own process, then the
reports run in this process through the same container and use cases as the API (the store
computes them; no HTTP). The memory store lives in one process, so it is seeded in-process
through the same code (entrypoints.seed.seed_store) and container. Figures, never pass/fail;
p99 of 20 runs is their maximum; cpu is this process's CPU time (the machine may be shared).
Seeded users share one argon2id hash (the seed command's own).
"""

import argparse
import asyncio
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from domain.access import SYSTEM
from entrypoints.container import build_container, start, stop
from entrypoints.progress import progress_bar
from entrypoints.seed import seed_store
from entrypoints.settings import Settings

from _server import BIN, ROOT, table

console = Console()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reports(services) -> dict:
    end = datetime.now(UTC).date()
    start = end - timedelta(days=365)  # 366 days, both ends included: the longest range
    return {
        "users by role": lambda: services.users_by_role.execute(SYSTEM),
        "registrations, 366 days": lambda: services.registrations.execute(SYSTEM, start, end),
        "top customers, limit 10": lambda: services.top_customers.execute(SYSTEM, 10),
    }


async def time_reports(backend: str, services, runs: int) -> list[dict]:
    rows = []
    for name, report in reports(services).items():
        result = await report()  # warm-up (and a sanity check)
        samples, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            await report()
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        samples.sort()
        rows.append(
            {
                "backend": backend,
                "report": name,
                "rows": len(result),
                "p50_ms": f"{statistics.median(samples):.1f}",
                "p99_ms": f"{samples[max(0, -(-99 * runs // 100) - 1)]:.1f}",
                "cpu_p50_ms": f"{statistics.median(cpu):.1f}",
                "peak_rss_mib": f"{peak_rss_mib():.0f}",
            }
        )
    return rows


def seed_sqlite(path: str, args) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "storefront"), "seed", "--users", str(args.users), "--products",
         str(args.products), "--orders", str(args.orders), "--seed", str(args.seed)],
        env={**os.environ, "STORAGE_BACKEND": "sqlite", "SQLITE_PATH": path},
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


async def bench_sqlite(args, path: str) -> list[dict]:
    container = build_container(Settings(storage_backend="sqlite", sqlite_path=path))
    services = await start(container)
    try:
        return await time_reports("sqlite", services, args.runs)
    finally:
        await stop(container)


async def bench_memory(args) -> tuple[list[dict], float, float]:
    container = build_container(Settings(storage_backend="memory"))
    services = await start(container)
    try:
        started = time.perf_counter()
        with progress_bar(console) as progress:
            await seed_store(
                container, services, progress, args.users, args.products, args.orders, args.seed
            )
        seeded = time.perf_counter() - started
        rss_after_seed = peak_rss_mib()
        return await time_reports("memory", services, args.runs), seeded, rss_after_seed
    finally:
        await stop(container)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="sqlite,memory")
    parser.add_argument(
        "--sqlite-db", help="seed this file (kept) or, when it exists, time it as it is"
    )
    args = parser.parse_args()
    backends = args.backends.split(",")
    rows: list[dict] = []
    notes = [f"peak RSS of this process at start: {peak_rss_mib():.0f} MiB"]

    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_db or f"{tmp}/bench.db"
            if Path(path).exists():
                how = f"existing database {path}"
            else:
                seconds = seed_sqlite(path, args)
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                how = f"`storefront seed` in {seconds:.0f} s (seed process peak RSS {rss:.0f} MiB)"
            with sqlite3.connect(path) as conn:
                (orders,) = conn.execute("SELECT count(*) FROM orders").fetchone()
                (users,) = conn.execute("SELECT count(*) FROM users").fetchone()
            size = sum(f.stat().st_size for f in Path(path).parent.glob(Path(path).name + "*"))
            notes.append(
                f"sqlite: {users} users, {orders} orders, {how}; database {size / 2**20:.0f} MiB"
            )
            rows += asyncio.run(bench_sqlite(args, path))
    if "memory" in backends:
        memory_rows, seconds, rss = asyncio.run(bench_memory(args))
        notes.append(
            f"memory: seeded in-process in {seconds:.0f} s; peak RSS after seeding {rss:.0f} MiB"
        )
        rows += memory_rows

    print(
        f"{args.users} users, {args.orders} orders, {args.products} products, {args.runs} runs "
        f"per report after one warm-up; python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cpus, sqlite {sqlite3.sqlite_version}"
    )
    for note in notes:
        print(note)
    print(
        table(rows, ["backend", "report", "rows", "p50_ms", "p99_ms", "cpu_p50_ms", "peak_rss_mib"])
    )


if __name__ == "__main__":
    main()
