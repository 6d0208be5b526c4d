"""SQLite serves every keyset page from an index range, with no sort of its own."""

import sqlite3
from datetime import UTC, datetime

import pytest

from adapters.sqlite.mapping import keyset
from adapters.sqlite.migrations import migrate
from domain.pagination import PageRequest, Position

AFTER = PageRequest(0, 10, Position(datetime(2026, 1, 1, tzinfo=UTC), "0" * 24))


@pytest.mark.parametrize(
    ("table", "clause", "params", "index"),
    [
        ("users", "", [], "users_created_id"),
        ("users", " WHERE is_active = ? AND role = ?", [1, "user"], "users_active_role_created_id"),
        ("products", "", [], "products_created"),
        ("orders", " WHERE user_id = ?", ["u"], "orders_user_created"),
        ("orders", " WHERE status = ?", ["paid"], "orders_status_created"),
    ],
)
def test_a_keyset_page_is_an_index_range(table, clause, params, index):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    where, values = keyset(clause, params, AFTER)
    plan = conn.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM {table}{where}"
        " ORDER BY created_at DESC, id DESC LIMIT 10",
        values,
    ).fetchall()
    details = " | ".join(row[3] for row in plan)
    assert f"USING INDEX {index}" in details and "(created_at,id)<(?,?)" in details, details
    assert "TEMP B-TREE" not in details, details
