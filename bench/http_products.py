"""GET /api/products/{id} (anonymous) per backend beside a bare route, in the same run.

Usage: python bench/http_products.py [--products 2000] [--seconds 5] [--connections 64]
       [--backends memory,sqlite] [--rounds 1]
Servers start as users start them (`storefront serve`, one worker); wrk loads them with 64
connections. Two ratios to the bare route (a FastAPI route returning a constant body of
the same kind): by throughput, and by the server's CPU seconds per 1,000 requests (bare CPU
/ route CPU), the steadier one on a shared machine. Figures, never pass/fail.
"""

import argparse
import platform

import httpx

from _server import BIN, admin_headers, load, serve, storefront, table

BARE = [str(BIN / "uvicorn"), "bare_app:app", "--app-dir", "bench", "--log-level", "warning",
        "--no-access-log"]  # fmt: skip


def product_ids(base: str, count: int) -> list[str]:
    items = [
        {"sku": f"SKU-{n}", "name": f"Product {n} lamp", "price": 1 + n % 500,
         "description": "a bench product", "tags": ["bench"]}
        for n in range(count)
    ]  # fmt: skip
    with httpx.Client(base_url=base, timeout=60, headers=admin_headers(base)) as client:
        for start in range(0, count, 1000):
            body = {"products": items[start : start + 1000]}
            client.post("/api/products/bulk", json=body).raise_for_status()
        ids: list[str] = []
        for skip in range(0, count, 1000):
            page = client.get("/api/products/", params={"skip": skip, "limit": 1000})
            ids += [p["_id"] for p in page.raise_for_status().json()]
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument("--rounds", type=int, default=1, help="bare and routes, again")
    args = parser.parse_args()
    run = lambda url, paths: load(url, paths, args.seconds, args.connections)  # noqa: E731
    rows = []
    for _ in range(args.rounds):
        with serve(BARE, {}) as base:
            run(base, ["/constant"])  # warm-up
            bare = run(base, ["/constant"])
        rows.append({"backend": "-", "route": "bare constant", **bare, "bare": bare})
        for backend in args.backends.split(","):
            with storefront(backend) as base:
                paths = [f"/api/products/{i}" for i in product_ids(base, args.products)]
                run(base, paths)  # warm-up
                rows.append({"backend": backend, "route": "GET /api/products/{id}",
                             **run(base, paths), "bare": bare})  # fmt: skip
    for row in rows:
        bare = row.pop("bare")
        row["vs bare rps"] = f"{row['rps'] / bare['rps']:.2f}"
        row["vs bare cpu"] = f"{bare['cpu_s_per_1k'] / row['cpu_s_per_1k']:.2f}"
        row["rps"] = f"{row['rps']:.0f}"
        row["p50_ms"] = f"{row['p50_ms']:.2f}"
        row["p99_ms"] = f"{row['p99_ms']:.2f}"
        row["cpu_s/1k"] = f"{row['cpu_s_per_1k']:.3f}"
    print(f"{args.products} products, {args.connections} connections, {args.seconds} s per run, "
          f"python {platform.python_version()}, {platform.machine()}")  # fmt: skip
    print(table(rows, ["backend", "route", "rps", "p50_ms", "p99_ms", "cpu_s/1k", "vs bare rps",
                       "vs bare cpu"]))  # fmt: skip


if __name__ == "__main__":
    main()
