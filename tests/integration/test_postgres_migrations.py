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
