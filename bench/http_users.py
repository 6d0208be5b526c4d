"""GET-by-id and list throughput for users per backend (memory, sqlite, postgres), vs a bare route.

Usage: python bench/http_users.py [--users 5000] [--seconds 5] [--connections 64]
       [--backends memory,sqlite,postgres]  (postgres: a fresh database on POSTGRES_URL's server)
Servers start as users start them (`storefront serve`, one worker). Figures, never pass/fail.
Users are loaded through the API with a cheap argon2 cost so loading takes seconds.
"""

import argparse
import asyncio
import platform
import shutil

import httpx

from _server import BIN, admin_headers, load, serve, storefront, table


async def load_users(base: str, count: int) -> list[str]:
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=32)) as c:

        async def create(n: int) -> None:
            body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": "password1"}
            response = await c.post("/api/users/", json=body)
            response.raise_for_status()
            ids.append(response.json()["_id"])

        for start in range(0, count, 256):
            await asyncio.gather(*(create(n) for n in range(start, min(start + 256, count))))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backends", default="memory,sqlite")
    args = parser.parse_args()
    cheap = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024"}
    auth: dict[str, str] = {}  # the admin's bearer token, per server
    run = lambda url, paths: load(url, paths, args.seconds, args.connections, auth)  # noqa: E731

    rows = []
    bare_args = [
        str(BIN / "uvicorn"),
        "bare_app:app",
        "--app-dir",
        "bench",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with serve(bare_args, {}) as base:
        run(base, ["/constant"])  # warm-up (the bare app ignores the Authorization header)
        bare = run(base, ["/constant"])
    rows.append({"backend": "-", "route": "bare constant", **bare})

    for backend in args.backends.split(","):
        with storefront(backend, **cheap) as base:
            ids = asyncio.run(load_users(base, args.users))  # sign-up is open
            auth.clear()
            auth.update(admin_headers(base))  # reads need a token: the admin's
            by_id = [f"/api/users/{i}" for i in ids]
            run(base, by_id)  # warm-up
            rows.append({"backend": backend, "route": "GET /api/users/{id}", **run(base, by_id)})
            lists = [f"/api/users/?skip={s}&limit=20" for s in range(0, 2000, 20)]
            listed = run(base, lists)
            rows.append({"backend": backend, "route": "GET /api/users/?limit=20", **listed})

    for row in rows:
        row["vs bare"] = f"{row['rps'] / bare['rps']:.2f}"
        row["rps"] = f"{row['rps']:.0f}"
        row["p50_ms"] = f"{row['p50_ms']:.2f}"
        row["p99_ms"] = f"{row['p99_ms']:.2f}"
    print(
        f"{args.users} users, {args.connections} connections, {args.seconds} s per run, "
        f"python {platform.python_version()}, {platform.machine()}, loader: "
        f"{'wrk' if shutil.which('wrk') else 'httpx'}"
    )
    print(table(rows, ["backend", "route", "rps", "p50_ms", "p99_ms", "vs bare"]))


if __name__ == "__main__":
    main()
