"""Search latency over 100,000 seeded products: 200 queries of 1-3 words, p50/p99.

    .venv/bin/python bench/search.py [--products 100000] [--queries 200] [--backends sqlite]

Products come from the seed generator (`storefront seed`), upserted in batches of 1,000.
Each query is timed twice: through the HTTP route in-process (httpx ASGITransport) and
through the use case alone. Figures only; nothing here passes or fails.
"""

import argparse
import asyncio
import random
import statistics
import time

from _common import client_for, machine

from domain.access import ANONYMOUS
from domain.pagination import PageRequest
from entrypoints.seed import ADJECTIVES, CATEGORIES, NOUNS, TAGS, SeedReport, seed_products


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(backend: str, products: int, queries: int) -> None:
    rng = random.Random(1)
    vocabulary = ADJECTIVES + NOUNS + TAGS + CATEGORIES + ["zebra", "quantum"]  # 2 miss
    texts = [" ".join(rng.sample(vocabulary, rng.randint(1, 3))) for _ in range(queries)]
    async with client_for(backend) as (client, app):
        services = app.state.services
        started = time.perf_counter()
        await seed_products(
            services.bulk_upsert_products, 42, products, SeedReport(), print_nothing
        )
        seeded = time.perf_counter() - started
        http, core, hits = [], [], []
        for text in texts:
            t0 = time.perf_counter()
            response = await client.get("/api/products/search", params={"q": text, "limit": 20})
            http.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            hits.append(len(response.json()))
            t0 = time.perf_counter()
            await services.search_products.execute(ANONYMOUS, text, PageRequest(0, 20))
            core.append((time.perf_counter() - t0) * 1000)
    print(
        f"{backend:>7}: seeded {products:,} in {seeded:.1f}s; {queries} queries, "
        f"{statistics.mean(hits):.1f} hits/query (limit 20)"
    )
    for label, samples in (("HTTP route", http), ("use case", core)):
        print(
            f"         {label:<10} p50 {percentile(samples, 50):7.2f} ms"
            f"   p99 {percentile(samples, 99):7.2f} ms   max {max(samples):7.2f} ms"
        )


def print_nothing(_: int) -> None:
    return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sqlite", help="memory scans every product")
    args = parser.parse_args()
    print(f"search benchmark: {machine()}")
    for backend in args.backends.split(","):
        await run(backend, args.products, args.queries)


if __name__ == "__main__":
    asyncio.run(main())
