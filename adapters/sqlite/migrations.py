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
    # 2 and 3 are the catalog's and the orders' (built on their own branches)
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
