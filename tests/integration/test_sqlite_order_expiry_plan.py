"""SQLite: the pending-order expiry query walks the (status, created_at) index."""

import sqlite3

from adapters.sqlite.migrations import migrate
from adapters.sqlite.orders import _PENDING_BEFORE


def test_pending_before_searches_the_status_created_index():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    plan = conn.execute("EXPLAIN QUERY PLAN " + _PENDING_BEFORE, ("2026-01-01", 100)).fetchall()
    assert [row[3] for row in plan] == [
        "SEARCH orders USING INDEX orders_status_created (status=? AND created_at<?)"
    ]
