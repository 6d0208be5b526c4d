"""A simple versioned schema: each migration runs once, in order, in its own transaction.

Every transaction first takes a transaction-scoped advisory lock keyed on the schema, so two
processes starting together apply each migration once; the second one waits, then sees it done.
Later parts append (version, script) pairs; a shipped migration is never edited.

Conventions: ids are char(24) lower-case hex, money NUMERIC(12,2), timestamps timestamptz;
unique constraints are named `<table>_<field>_key` (PostgreSQL's default naming), which is how
a unique violation is reported as the field it hit.
"""

import asyncpg

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE users (
            id            char(24) COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
            email         text NOT NULL,
            username      text NOT NULL,
            full_name     text,
            role          text NOT NULL,
            is_active     boolean NOT NULL,
            tags          text[] NOT NULL DEFAULT '{}',
            address       jsonb,
            password_hash text NOT NULL,
            created_at    timestamptz NOT NULL,
            updated_at    timestamptz NOT NULL,
            CONSTRAINT users_email_key UNIQUE (email),
            CONSTRAINT users_username_key UNIQUE (username)
        );
        CREATE INDEX users_active_role_created ON users (is_active, role, created_at DESC, id DESC);
        CREATE INDEX users_created ON users (created_at DESC, id DESC);
        """,
    ),
]

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('storefront.schema_migrations'), hashtext($1))"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def migrate(conn: asyncpg.Connection, schema: str) -> list[int]:
    """Apply the migrations `schema` lacks; returns the versions applied.

    The schema and the version table are created only when missing, so a role without CREATE
    on the database can run an already migrated schema.
    """
    table = f"{quote_ident(schema)}.schema_migrations"
    async with conn.transaction():
        await conn.execute("SET LOCAL statement_timeout = 0")
        await conn.execute(_LOCK, schema)
        if await conn.fetchval("SELECT to_regnamespace($1) IS NULL", quote_ident(schema)):
            await conn.execute(f"CREATE SCHEMA {quote_ident(schema)}")
        if await conn.fetchval("SELECT to_regclass($1) IS NULL", table):
            await conn.execute(
                f"CREATE TABLE {table} ("
                " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        applied = {row[0] for row in await conn.fetch(f"SELECT version FROM {table}")}
    done = []
    for version, script in MIGRATIONS:
        if version in applied:
            continue
        async with conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 0")  # DDL may take its time
            await conn.execute(f"SET LOCAL search_path = {quote_ident(schema)}")
            await conn.execute(_LOCK, schema)  # checked again inside the lock: others may start
            if await conn.fetchval(f"SELECT 1 FROM {table} WHERE version = $1", version):
                continue
            await conn.execute(script)
            await conn.execute(f"INSERT INTO {table} (version) VALUES ($1)", version)
        done.append(version)
    return done
