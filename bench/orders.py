"""Order placement throughput per backend against a parse-only route, and oversell.

Usage: python bench/orders.py [--products 10000] [--stock 40] [--seconds 10] [--connections 64]
       [--backends memory,sqlite,postgres]  (postgres: a fresh database on POSTGRES_URL's server)
Each server (`storefront serve`, one worker, production settings: JSON access lines, metrics,
rate limits raised) gets users and products with stock; every user logs in, and wrk sends
3-line orders for random products from 64 connections, each order by a random user with that
user's own bearer token. The parse-only route gets the same bodies and headers. Stock is low
enough that some orders are refused (409), so the final count checks that nothing was
oversold. Figures only.
"""

import argparse
import asyncio
import platform
import random
import shutil
import sys

import httpx

from _server import BIN, admin_headers, bearer_tokens, serve, storefront, table, wrk_script

USERS = 50


async def load_catalog(base: str, products: int, stock: int) -> tuple[list[str], list[str]]:
    limits = httpx.Limits(max_connections=32)
    headers = admin_headers(base)  # products and stock are staff-only; the admin orders for all
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=60, headers=headers
    ) as client:
        users = []
        for n in range(USERS):
            body = {"email": f"b{n}@example.com", "username": f"buyer{n}", "password": "password1"}
            users.append((await client.post("/api/users/", json=body)).raise_for_status())
        items = [{"sku": f"SKU-{n}", "name": f"Product {n}", "price": round(1 + n % 500 * 0.37, 2)}
                 for n in range(products)]  # fmt: skip
        for start in range(0, products, 1000):
            batch = {"products": items[start : start + 1000]}
            (await client.post("/api/products/bulk", json=batch)).raise_for_status()
        ids = []
        for skip in range(0, products, 1000):
            page = await client.get("/api/products/", params={"skip": skip, "limit": 1000})
            ids += [p["_id"] for p in page.raise_for_status().json()]

        async def put(product_id: str) -> None:
            url = f"/api/inventory/{product_id}"
            (await client.put(url, json={"quantity": stock})).raise_for_status()

        for start in range(0, len(ids), 256):
            await asyncio.gather(*(put(i) for i in ids[start : start + 256]))
    return [u.json()["_id"] for u in users], ids


def order_script(users: list[str], products: list[str], seed: int, tokens: list[str]) -> str:
    """Lua for wrk: POST a 3-line order of random products by a random user, with that user's
    own `Authorization` value (`tokens[n]` belongs to `users[n]`)."""
    quoted = lambda values: ",".join(f'"{v}"' for v in values)  # noqa: E731
    return f"""
math.randomseed({seed})
local users = {{{quoted(users)}}}
local tokens = {{{quoted(tokens)}}}
local products = {{{quoted(products)}}}
request = function()
  local items = {{}}
  for n = 1, 3 do
    local p = products[math.random(#products)]
    items[n] = string.format('{{"product_id":"%s","quantity":%d}}', p, math.random(3))
  end
  local u = math.random(#users)
  local body = string.format('{{"user_id":"%s","items":[%s]}}', users[u], table.concat(items, ","))
  local headers = {{["Content-Type"] = "application/json", ["Authorization"] = tokens[u]}}
  return wrk.format("POST", "/api/orders/", headers, body)
end
"""


async def oversell(base: str, products: list[str], stock: int) -> tuple[int, int, int]:
    """(orders placed, products whose stock disagrees with the orders, negative stocks)."""
    taken: dict[str, int] = dict.fromkeys(products, 0)
    placed = 0
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=admin_headers(base)) as client:
        skip = 0
        while True:
            page = (await client.get("/api/orders/", params={"skip": skip, "limit": 1000})).json()
            for order in page:
                placed += 1
                for item in order["items"]:
                    taken[item["product_id"]] += item["quantity"]
            if len(page) < 1000:
                break
            skip += 1000
        wrong = negative = 0
        for start in range(0, len(products), 256):
            chunk = products[start : start + 256]
            answers = await asyncio.gather(*(client.get(f"/api/inventory/{p}") for p in chunk))
            for product_id, answer in zip(chunk, answers, strict=True):
                quantity = answer.json()["quantity"]
                negative += quantity < 0
                wrong += quantity != stock - taken[product_id]
    return placed, wrong, negative


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--stock", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backends", default="memory,sqlite")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/orders.py needs wrk (Debian package 'wrk')")
    rng = random.Random(7)
    fake_users = [f"{rng.getrandbits(96):024x}" for _ in range(USERS)]
    fake_products = [f"{rng.getrandbits(96):024x}" for _ in range(args.products)]

    bare_args = [str(BIN / "uvicorn"), "bare_app:app", "--app-dir", "bench", "--log-level",
                 "warning", "--no-access-log"]  # fmt: skip
    cheap = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024"}
    rows, parse_only = [], {}
    for backend in args.backends.split(","):
        with storefront(backend, **cheap) as base:
            users, products = asyncio.run(load_catalog(base, args.products, args.stock))
            logins = [(f"b{n}@example.com", "password1") for n in range(USERS)]
            tokens = asyncio.run(bearer_tokens(base, logins))
            if not parse_only:  # the same requests (fake ids, the same tokens), once
                with serve(bare_args, {"PYTHONPATH": "."}) as bare:
                    script = order_script(fake_users, fake_products, 1, tokens)
                    wrk_script(bare, script, 2, args.connections)  # warm-up
                    parse_only = wrk_script(bare, script, args.seconds, args.connections)
                rows.append({"backend": "-", "route": "parse-only POST", **parse_only,
                             "placed": "-", "oversold": "-"})  # fmt: skip
            run = wrk_script(
                base, order_script(users, products, 2, tokens), args.seconds, args.connections,
                allow_non_2xx=True,
            )  # fmt: skip
            placed, wrong, negative = asyncio.run(oversell(base, products, args.stock))
            rows.append({"backend": backend, "route": "POST /api/orders/ (own token)", **run,
                         "placed": placed, "oversold": wrong + negative})  # fmt: skip

    for row in rows:
        row["vs parse-only"] = f"{row['rps'] / parse_only['rps']:.2f}"
        row["vs p-o cpu"] = f"{parse_only['cpu_s_per_1k'] / row['cpu_s_per_1k']:.2f}"
        row["rps"] = f"{row['rps']:.0f}"
        row["p50_ms"] = f"{row['p50_ms']:.2f}"
        row["p99_ms"] = f"{row['p99_ms']:.2f}"
        row["cpu_s/1k"] = f"{row['cpu_s_per_1k']:.3f}"
    print(f"{args.products} products x stock {args.stock}, 3-line orders, {args.connections} "
          f"connections, {args.seconds} s, python {platform.python_version()}")  # fmt: skip
    columns = ["backend", "route", "rps", "p50_ms", "p99_ms", "requests", "non_2xx", "placed",
               "oversold", "cpu_s/1k", "vs parse-only", "vs p-o cpu"]  # fmt: skip
    print(table(rows, columns))
    print(
        "non_2xx on storefront rows are 409s for stock that ran out (expected); "
        "'oversold' counts products whose final stock disagrees with the orders or is < 0"
    )


if __name__ == "__main__":
    main()
