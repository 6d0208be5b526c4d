"""A simple versioned schema: each migration runs once, in order, in its own transaction.

Every transaction first takes a transaction-scoped advisory lock keyed on the schema, so two
processes starting together apply each migration once; the second one waits, then sees it done.
Later parts append (version, script) pairs; a shipped migration is never edited.

Conventions: ids are char(24) lower-case hex, money NUMERIC(12,2), timestamps timestamptz;
unique constraints are named `<table>_<field>_key` (PostgreSQL's default naming), which is how
a unique violation is reported as the field it hit.
"""

from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from domain.search_text import fold

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
    (
        2,
        """
        -- the catalog (issue 3): products with full-text search, and stock
        -- array_to_string is only STABLE; a generated column needs an IMMUTABLE expression
        CREATE FUNCTION storefront_words(text[]) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN array_to_string($1, ' ');
        -- OR of tsqueries: the search ORs one plainto_tsquery per word of the user's text
        CREATE AGGREGATE storefront_tsquery_or (tsquery) (SFUNC = tsquery_or, STYPE = tsquery);

        CREATE TABLE products (
            id          char(24) COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
            sku         text NOT NULL,
            name        text NOT NULL,
            description text,
            price       numeric(12, 2) NOT NULL CHECK (price >= 0),
            category    text,
            tags        text[] NOT NULL DEFAULT '{}',
            is_active   boolean NOT NULL,
            created_at  timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL,
            -- weights A (name), B (tags), D (description): ts_rank is given {D, C, B, A} =
            -- {0.1, 0.2, 0.5, 1.0}, the 10 : 5 : 1 of SPEC.md
            search      tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', name), 'A')
                || setweight(to_tsvector('english', storefront_words(tags)), 'B')
                || setweight(to_tsvector('english', coalesce(description, '')), 'D')
            ) STORED,
            CONSTRAINT products_sku_key UNIQUE (sku)
        );
        CREATE INDEX products_category ON products (category);
        CREATE INDEX products_category_price ON products (category, price);
        CREATE INDEX products_price ON products (price);
        CREATE INDEX products_created ON products (created_at DESC, id DESC);
        CREATE INDEX products_tags ON products USING gin (tags);
        CREATE INDEX products_search ON products USING gin (search);

        CREATE TABLE inventory (
            product_id char(24) COLLATE "C" PRIMARY KEY
                REFERENCES products (id) ON DELETE CASCADE,
            quantity   integer NOT NULL CHECK (quantity >= 0)
        );
        """,
    ),
    (
        3,
        """
        -- orders (issue 4): an order row and its lines; money as numeric(12,2)
        CREATE TABLE orders (
            id         char(24) COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
            user_id    char(24) COLLATE "C" NOT NULL,  -- no foreign key: purged users keep orders
            status     text NOT NULL
                CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
            total      numeric(12, 2) NOT NULL CHECK (total >= 0),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX orders_user_created ON orders (user_id, created_at DESC, id DESC);
        CREATE INDEX orders_status_created ON orders (status, created_at DESC, id DESC);
        CREATE INDEX orders_created ON orders (created_at DESC, id DESC);

        -- lines are copies taken at order time: no foreign key to products either
        CREATE TABLE order_lines (
            order_id   char(24) COLLATE "C" NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            line_no    smallint NOT NULL,
            product_id char(24) COLLATE "C" NOT NULL,
            name       text NOT NULL,
            price      numeric(12, 2) NOT NULL CHECK (price >= 0),
            quantity   integer NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (order_id, line_no)
        );

        CREATE TABLE idempotency_keys (
            key          text PRIMARY KEY,
            request_hash text NOT NULL,
            order_id     char(24) COLLATE "C" NOT NULL,
            created_at   timestamptz NOT NULL
        );
        """,
    ),
    (
        4,
        """
        -- analytics and maintenance (issue 5)
        CREATE INDEX users_role_active ON users (role, is_active);
        -- registrations per UTC day: created_at alone serves the range (users_created)
        -- the purge of inactive users: partial, inactive users only
        CREATE INDEX users_inactive_updated ON users (updated_at) WHERE NOT is_active;
        """,
    ),
    (
        5,
        """
        -- top customers: every order that counts, as an index-only scan grouped by user
        CREATE INDEX orders_customer_spending ON orders (user_id, total)
            WHERE status <> 'cancelled';
        """,
    ),
    (
        7,
        """
        -- identity and access (issue 11): refresh tokens, stored only as SHA-256 hex digests
        CREATE TABLE refresh_tokens (
            token_hash char(64) COLLATE "C" PRIMARY KEY,
            family_id  char(24) COLLATE "C" NOT NULL,
            user_id    char(24) COLLATE "C" NOT NULL,  -- no foreign key: refresh re-reads users
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at    timestamptz,                     -- set once, when rotated
            revoked_at timestamptz
        );
        CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
        CREATE INDEX refresh_tokens_user_expires ON refresh_tokens (user_id, expires_at);
        -- anonymous callers and users list active products only, newest first
        CREATE INDEX products_active_created ON products (is_active, created_at DESC, id DESC);
        """,
    ),
    (
        8,
        """
        -- issue 14: search over folded text, and a running total per customer.
        -- The tsvector is built from folded copies of the text fields (domain.search_text.fold,
        -- written by the adapter with each product; back-filled below by fold_products), so
        -- case, accents and compatibility forms fold as the query's words do, on every store.
        ALTER TABLE products DROP COLUMN search;
        ALTER TABLE products
            ADD COLUMN search_name text NOT NULL DEFAULT '',
            ADD COLUMN search_tags text NOT NULL DEFAULT '',
            ADD COLUMN search_description text NOT NULL DEFAULT '';
        ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', search_name), 'A')
            || setweight(to_tsvector('english', search_tags), 'B')
            || setweight(to_tsvector('english', search_description), 'D')
        ) STORED;
        CREATE INDEX products_search ON products USING gin (search);

        -- top customers: the orders that are not cancelled, counted and summed per user by
        -- a trigger, in the transaction of the order write itself (place: +1 and + total;
        -- cancel: -1 and - total). The report walks customer_totals_rank in order.
        CREATE TABLE customer_totals (
            user_id     char(24) COLLATE "C" PRIMARY KEY,
            order_count integer NOT NULL,
            total_spent numeric NOT NULL  -- no precision: a sum never overflows
        );
        INSERT INTO customer_totals (user_id, order_count, total_spent)
            SELECT user_id, count(*), sum(total) FROM orders
            WHERE status <> 'cancelled' GROUP BY user_id;
        CREATE INDEX customer_totals_rank
            ON customer_totals (order_count DESC, total_spent DESC, user_id)
            WHERE order_count > 0;
        CREATE FUNCTION storefront_count_order() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
                UPDATE customer_totals SET order_count = order_count - 1,
                    total_spent = total_spent - OLD.total
                    WHERE user_id = OLD.user_id;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
                INSERT INTO customer_totals AS c (user_id, order_count, total_spent)
                    VALUES (NEW.user_id, 1, NEW.total)
                    ON CONFLICT (user_id) DO UPDATE SET order_count = c.order_count + 1,
                        total_spent = c.total_spent + excluded.total_spent;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER orders_count_insert AFTER INSERT OR DELETE ON orders
            FOR EACH ROW EXECUTE FUNCTION storefront_count_order();
        CREATE TRIGGER orders_count_update AFTER UPDATE OF user_id, status, total ON orders
            FOR EACH ROW EXECUTE FUNCTION storefront_count_order();
        -- the GROUP BY index of migration 5 has no reader any more
        DROP INDEX orders_customer_spending;
        """,
    ),
    (
        9,
        """
        -- optimistic concurrency (issue 15): every write checks and moves the row's version
        ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1;
        ALTER TABLE products ADD COLUMN version integer NOT NULL DEFAULT 1;
        ALTER TABLE orders ADD COLUMN version integer NOT NULL DEFAULT 1;
        """,
    ),
    (
        10,
        """
        -- issue 12: stock is set and adjusted up to 10^9, but cancels and pending-order
        -- expiry give stock back on top of that: bigint, like SQLite's and MongoDB's int64,
        -- so a release can never overflow (integer stops at 2^31 - 1). Pending-order expiry
        -- needs no index of its own: orders_status_created serves it.
        ALTER TABLE inventory ALTER COLUMN quantity TYPE bigint;
        """,
    ),
]

FOLD_BATCH = 5000


def search_copies(name: str, tags: Sequence[str], description: str | None) -> tuple[str, str, str]:
    """The folded copies the tsvector is built from: name, tags (space-separated) and
    description (empty when there is none)."""
    return fold(name), fold(" ".join(tags)), fold(description or "")


async def fold_products(conn: asyncpg.Connection) -> None:
    """Migration 8's back-fill: the folded search copies of every existing product, computed
    by the same function as new writes (domain.search_text.fold), in batches."""
    after = ""
    while True:
        rows = await conn.fetch(
            "SELECT id, name, tags, description FROM products WHERE id > $1 ORDER BY id LIMIT $2",
            after,
            FOLD_BATCH,
        )
        if not rows:
            return
        copies = [search_copies(r["name"], r["tags"], r["description"]) for r in rows]
        await conn.execute(
            "UPDATE products SET search_name = s.n, search_tags = s.t, search_description = s.d"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s (id, n, t, d)"
            " WHERE products.id = s.id",
            [r["id"] for r in rows],
            [c[0] for c in copies],
            [c[1] for c in copies],
            [c[2] for c in copies],
        )
        after = rows[-1]["id"]


# Python steps of a migration, run after its script in the same transaction
BACKFILLS: dict[int, Callable[[asyncpg.Connection], Awaitable[None]]] = {8: fold_products}

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
            if version in BACKFILLS:
                await BACKFILLS[version](conn)
            await conn.execute(f"INSERT INTO {table} (version) VALUES ($1)", version)
        done.append(version)
    return done
