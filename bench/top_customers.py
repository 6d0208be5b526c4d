"""Top customers at size on SQLite and PostgreSQL: p50/p99 of the report over N runs.

Usage: python bench/top_customers.py [--users 100000] [--orders 300000] [--runs 50]
       [--backends sqlite,postgres]  (postgres: a fresh database on POSTGRES_URL's server)
Users and orders are written by SQL in bulk (seconds, not the ten minutes `storefront seed`
takes through the use cases), into the schema the adapter migrated; the running totals are
kept by the triggers of migration 8 as the rows go in, like for any order write. About one
order in five is cancelled and 1% of the users are deleted afterwards (their orders stay).
The report then runs through the use case, as the API runs it. Figures, never pass/fail.
"""

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from contextlib import AsyncExitStack

from _postgres import fresh_database

from domain.access import SYSTEM
from entrypoints.container import build_container, provide, start, stop
from entrypoints.settings import Settings

from _server import table

SQLITE_FILL = [
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :users)"
    " INSERT INTO users (id, email, username, full_name, role, is_active, tags, address,"
    " password_hash, created_at, updated_at)"
    " SELECT printf('%024x', i), 'u' || i || '@example.com', 'user' || i,"
    " NULL, 'user', 1, '[]', NULL, 'x', '2026-01-01T00:00:00.000+00:00',"
    " '2026-01-01T00:00:00.000+00:00' FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :orders)"
    " INSERT INTO orders (id, user_id, status, total_cents, lines, created_at, updated_at)"
    " SELECT printf('%024x', 1000000000 + i),"
    " printf('%024x', 1 + abs(random()) % :users),"
    " CASE WHEN i % 5 = 0 THEN 'cancelled' ELSE 'paid' END, 100 + abs(random()) % 100000,"
    " '[]', '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00' FROM n",
    "DELETE FROM users WHERE rowid % 100 = 0",
    "ANALYZE",
]
POSTGRES_FILL = [
    "INSERT INTO users (id, email, username, full_name, role, is_active, tags, address,"
    " password_hash, created_at, updated_at) SELECT lpad(to_hex(i), 24, '0'),"
    " 'u' || i || '@example.com',"
    " 'user' || i, NULL, 'user', true, '{}', NULL, 'x', now(), now()"
    " FROM generate_series(1, $1::int) AS i",
    "INSERT INTO orders (id, user_id, status, total, created_at, updated_at)"
    " SELECT lpad(to_hex(1000000000 + i), 24, '0'),"
    " lpad(to_hex(1 + (random() * ($1::int - 1))::int), 24, '0'),"
    " CASE WHEN i % 5 = 0 THEN 'cancelled' ELSE 'paid' END,"
    " round((1 + random() * 1000)::numeric, 2), now(), now()"
    " FROM generate_series(1, $2::int) AS i",
    "DELETE FROM users WHERE right(id, 2) = '00'",
    "ANALYZE",
]


async def fill(backend: str, container, users: int, orders: int) -> float:
    started = time.perf_counter()
    if backend == "sqlite":
        db = await provide(container.storage.db)

        def work(conn) -> None:
            for sql in SQLITE_FILL:
                conn.execute(sql, {"users": users, "orders": orders} if ":" in sql else ())

        await db.write(work)
    else:
        db = await provide(container.storage.db)
        async with db.connection() as conn:
            for sql in POSTGRES_FILL:
                args = [a for a, p in ((users, "$1"), (orders, "$2")) if p in sql]
                await conn.execute(sql, *args)
    return time.perf_counter() - started


async def bench(backend: str, args) -> dict:
    async with AsyncExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        extra = {}
        if backend == "postgres":
            extra["postgres_url"] = await stack.enter_async_context(fresh_database())
            extra["postgres_command_timeout_s"] = 900  # the bulk fill, not the report
        settings = Settings(
            _env_file=None, storage_backend=backend, sqlite_path=f"{tmp}/bench.db", **extra
        )
        container = build_container(settings)
        services = await start(container)
        try:
            filled = await fill(backend, container, args.users, args.orders)
            report = services.top_customers
            rows = await report.execute(SYSTEM, 10)  # warm-up and a sanity check
            wall, cpu = [], []
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                await report.execute(SYSTEM, 10)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        finally:
            await stop(container)
    wall.sort()
    return {
        "backend": backend,
        "rows": len(rows),
        "filled_s": f"{filled:.1f}",
        "p50_ms": f"{statistics.median(wall):.2f}",
        "p99_ms": f"{wall[max(0, -(-99 * args.runs // 100) - 1)]:.2f}",
        "max_ms": f"{wall[-1]:.2f}",
        "cpu_p50_ms": f"{statistics.median(cpu):.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    rows = [asyncio.run(bench(b, args)) for b in args.backends.split(",")]
    print(
        f"top customers, limit 10: {args.users:,} users, {args.orders:,} orders, {args.runs} runs;"
        f" python {platform.python_version()}, {os.cpu_count()} cpus, {platform.machine()}"
    )
    print(table(rows, ["backend", "rows", "filled_s", "p50_ms", "p99_ms", "max_ms", "cpu_p50_ms"]))


if __name__ == "__main__":
    main()
