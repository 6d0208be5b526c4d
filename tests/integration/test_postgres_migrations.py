"""PostgreSQL migrations: applied once, even by processes that start together."""

import asyncio

import asyncpg

from adapters.postgres.db import PostgresDatabase, PostgresOptions
from adapters.postgres.migrations import MIGRATIONS


async def test_processes_starting_together_apply_each_migration_once(postgres_url, postgres_schema):
    dbs = [
        PostgresDatabase(PostgresOptions(postgres_url, schema=postgres_schema, max_size=2))
        for _ in range(4)
    ]
    try:
        await asyncio.gather(*(db.start() for db in dbs))
        # each version applied by exactly one of them (which one may differ per version:
        # every migration takes the lock in a transaction of its own)
        applied = [version for db in dbs for version in db.applied]
        assert sorted(applied) == [version for version, _ in MIGRATIONS]
        assert await dbs[0].migrate() == []
    finally:
        await asyncio.gather(*(db.close() for db in dbs))

    conn = await asyncpg.connect(postgres_url)
    try:
        versions = await conn.fetch(f'SELECT version FROM "{postgres_schema}".schema_migrations')
        assert [v for (v,) in versions] == [version for version, _ in MIGRATIONS]
        indexes = {
            name
            for (name,) in await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'users'",
                postgres_schema,
            )
        }
        assert indexes == {
            "users_pkey",
            "users_email_key",
            "users_username_key",
            "users_active_role_created",
            "users_created",
            "users_role_active",
            "users_inactive_updated",
        }
    finally:
        await conn.close()


async def test_migration_8_back_fills_folded_search_text_and_customer_totals(
    postgres_url, postgres_schema, monkeypatch
):
    """Products and orders written before migration 8 are searchable folded and counted."""
    from adapters.postgres import migrations

    conn = await asyncpg.connect(postgres_url)
    try:
        monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in MIGRATIONS if m[0] < 8])
        await migrations.migrate(conn, postgres_schema)
        schema = f'"{postgres_schema}"'
        await conn.execute(
            f"INSERT INTO {schema}.products (id, sku, name, description, price, tags, is_active,"
            " created_at, updated_at) VALUES ($1, 'S-1', 'İstanbul rug', 'Café au lait', 1,"
            " '{\uff25\uff23\uff2f}', true, now(), now())",  # full-width ECO
            "a" * 24,
        )
        for n, (status, total) in enumerate([("paid", 1.5), ("cancelled", 9), ("pending", 2)]):
            await conn.execute(
                f"INSERT INTO {schema}.orders VALUES ($1, $2, $3, $4, now(), now())",
                f"{n:024x}",
                "b" * 24,
                status,
                total,
            )
        monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
        assert await migrations.migrate(conn, postgres_schema) == [
            v for v, _ in MIGRATIONS if v >= 8
        ]
        for word in ("istanbul", "cafe", "eco"):
            found = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.products"
                " WHERE search @@ plainto_tsquery('english', $1)",
                word,
            )
            assert found == 1, word
        totals = await conn.fetch(f"SELECT * FROM {schema}.customer_totals")
        assert [tuple(r) for r in totals] == [("b" * 24, 2, 3.5)]
    finally:
        await conn.close()
