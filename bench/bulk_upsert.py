"""Bulk upsert vs single POSTs through the HTTP routes, on memory and SQLite.

    .venv/bin/python bench/bulk_upsert.py [--count 100000] [--batch 1000] [--singles 2000]
        [--inflight 1]

`--inflight 2` keeps two batches in flight (a loader with two connections): the event loop
validates one batch while the store's writer writes the other.

In-process (httpx ASGITransport, no sockets): it measures the app, its validation and the
store, not uvicorn or the network. Request bodies are encoded before the clock starts.
Figures only; nothing here passes or fails.
"""

import argparse
import asyncio
import time

import orjson
from _common import client_for, machine


def product(i: int) -> dict:
    return {
        "sku": f"BENCH-{i:07d}",
        "name": f"Bench product {i} lamp",
        "description": "a product made for the benchmark, durable and bright",
        "price": round(1 + (i % 50_000) / 100, 2),
        "category": ("home", "kitchen", "office", "garden")[i % 4],
        "tags": ["bench", ("sale", "new", "eco")[i % 3]],
    }


async def post_all(client, bodies: list[bytes], inflight: int, check) -> None:
    """POST every body, `inflight` at a time, in order of start."""
    headers = {"content-type": "application/json"}
    pending = iter(bodies)

    async def worker() -> None:
        for content in pending:
            response = await client.post("/api/products/bulk", content=content, headers=headers)
            check(response, content)

    await asyncio.gather(*(worker() for _ in range(inflight)))


async def loop_lateness(samples: list[float], stop: asyncio.Event) -> None:
    """How late a 1 ms sleep wakes up, in ms, until `stop`: the event loop held by whatever
    ran meanwhile (the app runs in this loop: httpx's ASGI transport)."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        samples.append((time.perf_counter() - started - 0.001) * 1000)


def inserted_ok(response, _content) -> None:
    assert response.status_code == 200, response.text


def all_matched(response, content) -> None:
    assert response.json()["matched"] == len(orjson.loads(content)["products"])


async def bulk(backend: str, count: int, batch: int, inflight: int = 1) -> tuple[float, float]:
    bodies = [
        orjson.dumps({"products": [product(i) for i in range(s, min(s + batch, count))]})
        for s in range(0, count, batch)
    ]
    async with client_for(backend) as (client, _):
        late: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(loop_lateness(late, stop))
        started, cpu = time.perf_counter(), time.process_time()
        await post_all(client, bodies, inflight, inserted_ok)
        first = time.perf_counter() - started
        stop.set()
        await probe
        late.sort()
        cpu_per_product = (time.process_time() - cpu) / count
        print(
            f"{backend:>7}: bulk insert CPU (this process: app, validation, the store's client;"
            " SQLite itself)"
            f" {cpu_per_product * 1e6:.1f} us/product"
            f" = {1 / cpu_per_product:,.0f} products per CPU s; event loop late by p50"
            f" {late[len(late) // 2]:.1f} / p99 {late[int(len(late) * 0.99)]:.1f}"
            f" / max {late[-1]:.1f} ms"
        )
        started = time.perf_counter()  # the same again: every item matched, none modified
        await post_all(client, bodies, inflight, all_matched)
        again = time.perf_counter() - started
    return count / first, count / again


async def singles(backend: str, count: int) -> float:
    bodies = [orjson.dumps(product(i)) for i in range(count)]
    headers = {"content-type": "application/json"}
    async with client_for(backend) as (client, _):
        started = time.perf_counter()
        for content in bodies:
            response = await client.post("/api/products/", content=content, headers=headers)
            assert response.status_code == 201, response.text
        return count / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=2000, help="single POSTs to sample")
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument("--inflight", type=int, default=1, help="batches in flight at once")
    args = parser.parse_args()
    print(f"bulk upsert benchmark: {machine()}")
    print(
        f"{args.count:,} products in batches of {args.batch:,}, {args.inflight} in flight;"
        f" {args.singles:,} single POSTs"
    )
    for backend in args.backends.split(","):
        inserted, unchanged = await bulk(backend, args.count, args.batch, args.inflight)
        single = await singles(backend, args.singles)
        print(
            f"{backend:>7}: bulk insert {inserted:>9,.0f} products/s | bulk re-run (all matched)"
            f" {unchanged:>9,.0f}/s | single POST {single:>7,.0f} products/s"
            f" | bulk/single {inserted / single:5.1f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
