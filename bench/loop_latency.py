"""Is the event loop free? `GET /health/live` latency while 8 clients search 100,000 products.

Usage: python bench/loop_latency.py [--products 100000] [--clients 8] [--seconds 10]
       [--backends sqlite,postgres]  (postgres: a fresh database on POSTGRES_URL's server)
The store is seeded in this process with the seed generator (`storefront seed`'s products,
a 70-word vocabulary, so every query matches thousands), then `storefront serve` (one worker)
is started on it. wrk keeps `--clients` connections searching 1-3 random words; meanwhile one
probe asks `/health/live` in a loop, one request at a time. Before the load, the same probe
runs alone (the baseline). A query that holds the event loop shows up in the probe's p99.
Figures only, never pass/fail.
"""

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack

import httpx
from _postgres import fresh_database_sync

from entrypoints.container import build_container, start, stop
from entrypoints.seed import ADJECTIVES, CATEGORIES, NOUNS, TAGS, SeedReport, seed_products
from entrypoints.settings import Settings

from _server import BIN, cpu_seconds, serve, table, wrk_script


async def seed(settings: Settings, products: int) -> None:
    container = build_container(settings)
    services = await start(container)
    try:
        await seed_products(services.bulk_upsert_products, 42, products, SeedReport(), lambda _: 0)
    finally:
        await stop(container)


def search_script(seed_: int) -> str:
    vocabulary = ADJECTIVES + NOUNS + TAGS + CATEGORIES
    words = ",".join(f'"{w}"' for w in vocabulary)
    return f"""
math.randomseed({seed_})
local words = {{{words}}}
request = function()
  local n = math.random(3)
  local q = {{}}
  for i = 1, n do q[i] = words[math.random(#words)] end
  return wrk.format("GET", "/api/products/search?limit=20&q=" .. table.concat(q, "+"))
end
"""


def probe(base: str, seconds: float) -> list[float]:
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/health/live").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.005)
    return samples


def quantiles(samples: list[float]) -> dict[str, str]:
    q = statistics.quantiles(samples, n=100)
    return {"p50_ms": f"{q[49]:.2f}", "p99_ms": f"{q[98]:.2f}", "max_ms": f"{max(samples):.1f}"}


def measure(backend: str, base, args) -> list[dict]:
    idle = probe(base, 3)
    none = {"search_rps": "-", "search_p99_ms": "-", "cpu_s_per_1k": "-"}
    rows = [{"backend": backend, "probe": "/health/live alone", **quantiles(idle), **none}]
    result: dict = {}

    def search_load() -> None:
        script = search_script(random.randrange(1000))
        result.update(wrk_script(base, script, args.seconds, args.clients))

    load = threading.Thread(target=search_load)
    cpu0 = cpu_seconds(base.pid)
    load.start()
    time.sleep(0.5)
    busy = probe(base, args.seconds - 1)
    load.join()
    cpu = cpu_seconds(base.pid) - cpu0
    rows.append(
        {
            "backend": backend,
            "probe": f"/health/live, {args.clients} clients searching",
            **quantiles(busy),
            "search_rps": f"{result['rps']:.0f}",
            "search_p99_ms": f"{result['p99_ms']:.1f}",
            "cpu_s_per_1k": f"{cpu / (result['requests'] + len(busy)) * 1000:.3f}",
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backends", default="sqlite")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            env = {"STORAGE_BACKEND": backend, "SQLITE_PATH": f"{tmp}/bench.db",
                   "LOG_LEVEL": "WARNING", "RATE_LIMIT_ENABLED": "false"}  # fmt: skip
            if backend == "postgres":
                env["POSTGRES_URL"] = stack.enter_context(fresh_database_sync())
            settings = Settings(
                _env_file=None, storage_backend=backend, sqlite_path=env["SQLITE_PATH"],
                **({"postgres_url": env["POSTGRES_URL"]} if backend == "postgres" else {}),
            )  # fmt: skip
            asyncio.run(seed(settings, args.products))
            with serve([str(BIN / "storefront"), "serve"], env) as base:
                rows += measure(backend, base, args)
    print(
        f"{args.products:,} products, {args.clients} search clients (wrk), {args.seconds} s; "
        f"python {platform.python_version()}, {platform.machine()}"
    )
    print(table(rows, ["backend", "probe", "p50_ms", "p99_ms", "max_ms", "search_rps",
                       "search_p99_ms", "cpu_s_per_1k"]))  # fmt: skip


if __name__ == "__main__":
    main()
