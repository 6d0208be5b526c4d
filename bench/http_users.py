"""GET-by-id and list throughput for users per backend (memory, sqlite, postgres), vs a bare route.

Usage: python bench/http_users.py [--users 5000] [--seconds 5] [--connections 64]
       [--backends memory,sqlite,postgres]  (postgres: a fresh database on POSTGRES_URL's server)
Servers start as users start them (`storefront serve`, one worker, production settings: JSON
access lines, metrics, rate limits raised). Users sign up through the API (a cheap argon2 cost
so loading takes seconds) and each logs in: GET by id is every user reading their own record
with their own bearer token (one token check, one user read per request, as deployed); the
list is read with the admin's token. The bare route gets the same requests (it ignores the
headers). Two ratios to the bare route: throughput, and the server's CPU seconds per 1,000
requests (bare CPU / route CPU, the steadier one on a shared machine). Figures, never
pass/fail.
"""

import argparse
import asyncio
import platform
import shutil
import sys

import httpx

from _server import (
    BIN,
    admin_headers,
    bearer_tokens,
    load,
    serve,
    storefront,
    table,
    wrk_authorized,
)


async def load_users(base: str, count: int) -> list[str]:
    """Sign up users u0..u{count-1}@example.com (password `password1`); their ids, in order."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=32)) as c:

        async def create(n: int) -> str:
            body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": "password1"}
            response = await c.post("/api/users/", json=body)
            return response.raise_for_status().json()["_id"]

        for start in range(0, count, 256):
            ids += await asyncio.gather(*(create(n) for n in range(start, min(start + 256, count))))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument("--rounds", type=int, default=1, help="bare and routes, again")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/http_users.py needs wrk (Debian package 'wrk')")
    cheap = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024"}
    run = lambda url, reqs: wrk_authorized(url, reqs, args.seconds, args.connections)  # noqa: E731
    bare_args = [str(BIN / "uvicorn"), "bare_app:app", "--app-dir", "bench", "--log-level",
                 "warning", "--no-access-log"]  # fmt: skip

    rows = []
    for _ in range(args.rounds):
        bare_row: dict = {}
        for backend in args.backends.split(","):
            with storefront(backend, **cheap) as base:
                ids = asyncio.run(load_users(base, args.users))  # sign-up is open
                logins = [(f"u{n}@example.com", "password1") for n in range(args.users)]
                tokens = asyncio.run(bearer_tokens(base, logins))
                by_id = [(f"/api/users/{i}", t) for i, t in zip(ids, tokens, strict=True)]
                if not bare_row:  # the bare route, with the very same requests, once a round
                    with serve(bare_args, {}) as bare_base:
                        bare_reqs = [("/constant", t) for _, t in by_id]
                        run(bare_base, bare_reqs)  # warm-up
                        bare_row = {"backend": "-", "route": "bare constant",
                                    **run(bare_base, bare_reqs)}  # fmt: skip
                        bare_row["bare"] = dict(bare_row)
                        rows.append(bare_row)
                run(base, by_id)  # warm-up: every token verified once
                rows.append({"backend": backend, "route": "GET /api/users/{id} (own token)",
                             **run(base, by_id), "bare": bare_row["bare"]})  # fmt: skip
                admin = admin_headers(base)
                lists = [f"/api/users/?skip={s}&limit=20" for s in range(0, 2000, 20)]
                listed = load(base, lists, args.seconds, args.connections, admin)
                rows.append({"backend": backend, "route": "GET /api/users/?limit=20 (admin)",
                             **listed, "bare": bare_row["bare"]})  # fmt: skip

    for row in rows:
        bare = row.pop("bare")
        row["vs bare rps"] = f"{row['rps'] / bare['rps']:.2f}"
        row["vs bare cpu"] = f"{bare['cpu_s_per_1k'] / row['cpu_s_per_1k']:.2f}"
        row["rps"] = f"{row['rps']:.0f}"
        row["p50_ms"] = f"{row['p50_ms']:.2f}"
        row["p99_ms"] = f"{row['p99_ms']:.2f}"
        row["cpu_s/1k"] = f"{row['cpu_s_per_1k']:.3f}"
    print(
        f"{args.users} users, {args.connections} connections, {args.seconds} s per run, "
        f"python {platform.python_version()}, {platform.machine()}, loader: wrk"
    )
    print(table(rows, ["backend", "route", "rps", "p50_ms", "p99_ms", "cpu_s/1k", "vs bare rps",
                       "vs bare cpu"]))  # fmt: skip
    print("cpu_s/1k: the server process's CPU seconds per 1,000 requests (steadier than rps)")


if __name__ == "__main__":
    main()
