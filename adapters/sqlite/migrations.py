"""A simple versioned schema: each migration runs once, in order, in its own transaction."""

import sqlite3

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE users (
            id            TEXT PRIMARY KEY,
            email         TEXT NOT NULL UNIQUE,
            username      TEXT NOT NULL UNIQUE,
            full_name     TEXT,
            role          TEXT NOT NULL,
            is_active     INTEGER NOT NULL,
            tags          TEXT NOT NULL,          -- JSON array
            address       TEXT,                   -- JSON object
            password_hash TEXT NOT NULL,
            created_at    TEXT NOT NULL,          -- ISO-8601 UTC, milliseconds
            updated_at    TEXT NOT NULL
        );
        CREATE INDEX users_active_role_created ON users (is_active, role, created_at DESC);
        CREATE INDEX users_created ON users (created_at DESC);
        """,
    ),
    (
        2,
        """
        -- pk is an explicit INTEGER PRIMARY KEY so the rowid the FTS index refers to never
        -- changes (VACUUM may renumber implicit rowids)
        CREATE TABLE products (
            pk          INTEGER PRIMARY KEY,
            id          TEXT NOT NULL UNIQUE,
            sku         TEXT NOT NULL UNIQUE,
            name        TEXT NOT NULL,
            description TEXT,
            price_cents INTEGER NOT NULL CHECK (price_cents >= 0),  -- money as integer cents
            category    TEXT,
            tags        TEXT NOT NULL,          -- JSON array
            is_active   INTEGER NOT NULL,
            created_at  TEXT NOT NULL,          -- ISO-8601 UTC, milliseconds
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX products_category_price ON products (category, price_cents);
        CREATE INDEX products_price ON products (price_cents);
        CREATE INDEX products_created ON products (created_at DESC, id DESC);

        -- one row per (tag, product): the index behind ?tag=, kept in sync by triggers
        CREATE TABLE product_tags (
            tag        TEXT NOT NULL,
            product_pk INTEGER NOT NULL REFERENCES products (pk) ON DELETE CASCADE,
            PRIMARY KEY (tag, product_pk)
        ) WITHOUT ROWID;
        CREATE INDEX product_tags_product ON product_tags (product_pk);
        CREATE TRIGGER products_tags_insert AFTER INSERT ON products BEGIN
            INSERT OR IGNORE INTO product_tags (tag, product_pk)
                SELECT value, new.pk FROM json_each(new.tags);
        END;
        CREATE TRIGGER products_tags_update AFTER UPDATE OF tags ON products
        WHEN old.tags IS NOT new.tags BEGIN
            DELETE FROM product_tags WHERE product_pk = old.pk;
            INSERT OR IGNORE INTO product_tags (tag, product_pk)
                SELECT value, new.pk FROM json_each(new.tags);
        END;

        -- full-text search: an external-content FTS5 index over products, kept in sync by
        -- triggers (so single writes and executemany upserts alike stay consistent)
        CREATE VIRTUAL TABLE products_fts USING fts5 (
            name, tags, description,
            content = 'products', content_rowid = 'pk',
            tokenize = 'porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
            INSERT INTO products_fts (rowid, name, tags, description)
                VALUES (new.pk, new.name, new.tags, new.description);
        END;
        CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
            INSERT INTO products_fts (products_fts, rowid, name, tags, description)
                VALUES ('delete', old.pk, old.name, old.tags, old.description);
        END;
        CREATE TRIGGER products_fts_update AFTER UPDATE OF name, tags, description ON products
        BEGIN
            INSERT INTO products_fts (products_fts, rowid, name, tags, description)
                VALUES ('delete', old.pk, old.name, old.tags, old.description);
            INSERT INTO products_fts (rowid, name, tags, description)
                VALUES (new.pk, new.name, new.tags, new.description);
        END;

        CREATE TABLE inventory (
            product_id TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
            quantity   INTEGER NOT NULL CHECK (quantity >= 0)
        ) WITHOUT ROWID;
        """,
    ),
    (
        3,
        """
        -- an order is one row; its lines are JSON [[product_id, name, price_cents, quantity]]
        -- (always read and written whole); money as integer cents
        CREATE TABLE orders (
            id          TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,          -- no foreign key: purged users keep their orders
            status      TEXT NOT NULL,
            total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
            lines       TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX orders_user_created ON orders (user_id, created_at DESC, id DESC);
        CREATE INDEX orders_status_created ON orders (status, created_at DESC, id DESC);
        CREATE INDEX orders_created ON orders (created_at DESC, id DESC);

        CREATE TABLE idempotency_keys (
            key          TEXT PRIMARY KEY,
            request_hash TEXT NOT NULL,
            order_id     TEXT NOT NULL,
            created_at   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        4,
        """
        -- analytics and maintenance (issue 5)
        -- users by role: GROUP BY role walks this covering index in order
        CREATE INDEX users_role_active ON users (role, is_active);
        -- registrations per UTC day: the date prefix of the fixed-width ISO text, covering
        CREATE INDEX users_created_day ON users (substr(created_at, 1, 10), created_at);
        -- the purge of inactive users; partial (inactive users only); is_active leads so that
        -- the planner prefers it to users_active_role_created even without ANALYZE statistics
        CREATE INDEX users_inactive_updated ON users (is_active, updated_at) WHERE is_active = 0;
        """,
    ),
    (
        5,
        """
        -- top customers (issue 5): GROUP BY user_id walks this index in user_id order. Partial,
        -- so cancelled orders are not even in it; status is a column only so that SQLite sees
        -- the scan as covering (the query's WHERE term still reads it)
        CREATE INDEX orders_customer_spending ON orders (user_id, total_cents, status)
            WHERE status <> 'cancelled';
        """,
    ),
    (
        6,
        """
        -- users are listed by (created_at, id) descending: with id in the index the page is
        -- read in index order (no temp B-tree, no row lookups for the rows skipped by OFFSET)
        CREATE INDEX users_created_id ON users (created_at DESC, id DESC);
        DROP INDEX users_created;
        CREATE INDEX users_active_role_created_id
            ON users (is_active, role, created_at DESC, id DESC);
        DROP INDEX users_active_role_created;
        """,
    ),
    (
        7,
        """
        -- identity and access (issue 11): refresh tokens, stored only as SHA-256 hex digests
        CREATE TABLE refresh_tokens (
            token_hash TEXT PRIMARY KEY,
            family_id  TEXT NOT NULL,
            user_id    TEXT NOT NULL,          -- no foreign key: refresh re-reads the user
            created_at TEXT NOT NULL,          -- ISO-8601 UTC, milliseconds
            expires_at TEXT NOT NULL,
            used_at    TEXT,                   -- set once, when rotated
            revoked_at TEXT
        ) WITHOUT ROWID;
        CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
        CREATE INDEX refresh_tokens_user_expires ON refresh_tokens (user_id, expires_at);
        -- anonymous callers and users list active products only, newest first
        CREATE INDEX products_active_created ON products (is_active, created_at DESC, id DESC);
        """,
    ),
    (
        9,
        """
        -- optimistic concurrency (issue 15): every write checks and moves the row's version
        ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        """,
    ),
    (
        10,
        """
        -- issue 12: /health/ready proves the database takes writes by updating this one row
        -- (a full disk, a read-only file or a lost lock fail it). Pending-order expiry needs
        -- no index of its own: orders_status_created serves status = ? AND created_at < ?.
        CREATE TABLE health_probe (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            checked_at TEXT NOT NULL
        );
        INSERT INTO health_probe (id, checked_at) VALUES (1, '');
        """,
    ),
]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    done = []
    for version, script in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")  # checked inside the lock: two processes may start
        if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
            conn.execute("ROLLBACK")
            continue
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        done.append(version)
    return done


def _statements(script: str) -> list[str]:
    """Split a script on complete statements (executescript would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
