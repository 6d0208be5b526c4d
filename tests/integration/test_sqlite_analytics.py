"""SQLite: the reports and the purge use their indexes (EXPLAIN QUERY PLAN), the purge is one
DELETE statement, and the per-customer running totals always agree with the orders."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sqlite.analytics import (
    REGISTRATIONS,
    TOP_CUSTOMERS,
    USERS_BY_ROLE,
    SqliteAnalyticsReader,
)
from adapters.sqlite.mapping import USER_COLUMNS, user_row
from adapters.sqlite.users import PURGE_INACTIVE, SqliteUserRepository
from domain.ids import new_id
from domain.users import Role, User
from entrypoints.container import build_container, provide
from tests.conftest import make_settings

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PLANS = {
    # query, parameters, what the plan must say
    "users_by_role": (USERS_BY_ROLE, (), "SCAN users USING COVERING INDEX users_role_active"),
    "registrations": (
        REGISTRATIONS,
        ("2025-01-01", "2025-12-31"),
        "SEARCH users USING COVERING INDEX users_created_day (<expr>>? AND <expr><?)",
    ),
    "top_customers": (
        TOP_CUSTOMERS,
        (20,),
        "SEARCH c USING COVERING INDEX customer_totals_rank (order_count>?)",
    ),
    "purge": (
        PURGE_INACTIVE,
        ("2025-06-01T00:00:00.000+00:00",),
        "SEARCH users USING INDEX users_inactive_updated (is_active=? AND updated_at<?)",
    ),
}


@pytest.fixture
async def db(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    container = build_container(settings)
    await container.init_resources()
    try:
        yield await provide(container.storage.db)
    finally:
        await container.shutdown_resources()


def _random_user(n: int, rng: random.Random) -> User:
    created = T0 + timedelta(seconds=rng.randrange(400 * 86400))
    return User(
        id=new_id(),
        email=f"u{n}@example.com",
        username=f"user{n}",
        password_hash="x",
        created_at=created,
        updated_at=created + timedelta(days=rng.randrange(60)),
        role=rng.choice(list(Role)),
        is_active=rng.random() < 0.8,
    )


async def _seed_and_analyze(db, count: int) -> None:
    rng = random.Random(5)
    users = [_random_user(n, rng) for n in range(count)]
    rows = [user_row(user) for user in users]
    insert = f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join('?' * len(rows[0]))})"
    statuses = ["pending", "paid", "shipped", "delivered", "cancelled"]
    orders = [
        (new_id(), rng.choice(users).id, rng.choice(statuses), rng.randrange(1, 10**5), "[]")
        + (users[0].created_at.isoformat(timespec="milliseconds"),) * 2
        for _ in range(3 * count)
    ]

    def work(conn) -> None:
        conn.executemany(insert, rows)
        conn.executemany(
            "INSERT INTO orders (id, user_id, status, total_cents, lines, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            orders,
        )
        conn.execute("ANALYZE")

    await db.write(work)


@pytest.mark.parametrize("analyzed", [False, True], ids=["fresh", "seeded+analyzed"])
@pytest.mark.parametrize("report", list(PLANS))
async def test_query_plans_use_the_indexes_without_temp_btrees_for_grouping(db, report, analyzed):
    if analyzed:
        await _seed_and_analyze(db, 3000)
    sql, params, expected = PLANS[report]
    plan = [row[3] for row in db.reader.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert expected in plan, plan
    assert not any("GROUP BY" in step for step in plan), plan  # grouped in index order
    if report == "registrations":
        assert not any("TEMP B-TREE" in step for step in plan), plan
    if report == "users_by_role":
        # ORDER BY total needs the sorter, but only over one row per role
        assert plan.count("USE TEMP B-TREE FOR ORDER BY") <= 1, plan
    if report == "top_customers":
        # the running totals are walked in rank order (no sorter at all); users are looked
        # up by primary key for the rows walked only
        assert plan == [expected, "SEARCH u USING INDEX sqlite_autoindex_users_1 (id=?)"], plan


async def test_the_purge_is_one_delete_statement(db):
    await _seed_and_analyze(db, 500)
    (expected,) = db.reader.execute(
        "SELECT count(*) FROM users WHERE is_active = 0 AND updated_at < ?",
        PLANS["purge"][1],
    ).fetchone()
    assert expected > 0

    statements: list[str] = []
    db._writer.set_trace_callback(statements.append)  # the writer connection, test-only peek
    try:
        deleted = await SqliteUserRepository(db).delete_inactive_before(
            datetime.fromisoformat(PLANS["purge"][1][0])
        )
    finally:
        db._writer.set_trace_callback(None)
    assert deleted == expected
    assert [s for s in statements if s.lstrip().upper().startswith("DELETE")] == [
        PLANS["purge"][0].replace("?", "'2025-06-01T00:00:00.000+00:00'")
    ]


GROUPED = (
    "SELECT user_id, count(*), sum(total_cents) FROM orders WHERE status <> 'cancelled'"
    " GROUP BY user_id ORDER BY user_id"
)
TOTALS = (
    "SELECT user_id, order_count, spent_high * 1000000000 + spent_low FROM customer_totals"
    " WHERE order_count > 0 ORDER BY user_id"
)


async def test_running_totals_follow_inserts_status_changes_and_deletes(db):
    """The triggers of migration 8 keep customer_totals equal to a GROUP BY over the orders."""
    await _seed_and_analyze(db, 300)
    assert db.reader.execute(TOTALS).fetchall() == db.reader.execute(GROUPED).fetchall()

    def churn(conn) -> None:
        conn.execute(
            "UPDATE orders SET status = 'cancelled' WHERE rowid % 3 = 0 AND status <> 'cancelled'"
        )
        conn.execute("UPDATE orders SET status = 'paid' WHERE rowid % 7 = 0")  # some come back
        conn.execute("UPDATE orders SET total_cents = total_cents + 1 WHERE rowid % 5 = 0")
        conn.execute("DELETE FROM orders WHERE rowid % 11 = 0")

    await db.write(churn)
    assert db.reader.execute(TOTALS).fetchall() == db.reader.execute(GROUPED).fetchall()
    rows = await SqliteAnalyticsReader(db).top_customers(5)
    assert len(rows) == 5
    (expected,) = db.reader.execute(
        "SELECT count(*) FROM orders WHERE user_id = ? AND status <> 'cancelled'",
        (rows[0].user_id,),
    ).fetchone()
    assert rows[0].order_count == expected


async def test_top_customers_sums_past_int64_cents_exactly(tmp_path):
    """SQLite's sum() of integers fails on an int64 overflow (it made the report a 500 for
    good); the exact sum is taken in two parts, so any number of large orders adds up."""
    from decimal import Decimal

    from domain.orders import OrderStatus
    from tests.orders_support import add_user, make_order, write_orders

    settings = make_settings("sqlite", tmp_path)
    container = build_container(settings)
    await container.init_resources()
    try:
        buyer = await add_user(container)
        price = Decimal("49999999999999999.99")  # 4.99e18 cents: two pass 2^63 - 1
        product = type("P", (), {"id": new_id(), "name": "Big", "price": price})()
        orders = [
            make_order(buyer.id, [(product, 1)], n, status=OrderStatus.PAID) for n in range(3)
        ]
        await write_orders(container, "sqlite", orders)
        reader = SqliteAnalyticsReader(await provide(container.storage.db))
        [row] = await reader.top_customers(10)
        assert (row.order_count, row.total_spent) == (3, price * 3)
    finally:
        await container.shutdown_resources()


async def test_migration_8_back_fills_the_totals_of_existing_orders(tmp_path):
    """Orders written before migration 8 are counted by it (the back-fill)."""
    import sqlite3

    from adapters.sqlite import migrations
    from adapters.sqlite.db import SqliteDatabase

    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("storefront_fold", 1, lambda v: v, deterministic=True)
    saved = migrations.MIGRATIONS
    migrations.MIGRATIONS = [m for m in saved if m[0] < 8]
    try:
        migrations.migrate(conn)
    finally:
        migrations.MIGRATIONS = saved
    rows = [
        (new_id(), "a" * 24, "paid", 150, "[]", "2025-01-01T00:00:00.000+00:00", "x"),
        (new_id(), "a" * 24, "cancelled", 999, "[]", "2025-01-01T00:00:00.000+00:00", "x"),
        (new_id(), "a" * 24, "pending", 50, "[]", "2025-01-01T00:00:00.000+00:00", "x"),
        (new_id(), "b" * 24, "cancelled", 70, "[]", "2025-01-01T00:00:00.000+00:00", "x"),
    ]
    conn.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * 7)})", rows)
    conn.close()
    db = SqliteDatabase(path)
    await db.open()
    try:
        assert db.reader.execute("SELECT * FROM customer_totals").fetchall() == [
            ("a" * 24, 2, 0, 200)
        ]
    finally:
        await db.close()


async def test_running_totals_carry_and_borrow_exactly_past_int64(db):
    """spent_high/spent_low stay normalised (0 <= low < 10^9) through adds and subtractions
    whose low parts carry and borrow, and hold sums past 2^63 cents exactly."""
    big = 4_999_999_999_999_999_999  # cents; two of them pass 2^63 - 1
    rows = [
        (f"{n:024x}", "c" * 24, "paid", cents, "[]", "2025-01-01T00:00:00.000+00:00", "x")
        for n, cents in enumerate([big, big, 999_999_999, 1, 999_999_998])
    ]

    def write(conn) -> None:
        conn.executemany(
            "INSERT INTO orders (id, user_id, status, total_cents, lines, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (f"{3:024x}",))

    await db.write(write)
    (high, low) = db.reader.execute(
        "SELECT spent_high, spent_low FROM customer_totals WHERE user_id = ?", ("c" * 24,)
    ).fetchone()
    assert 0 <= low < 10**9
    assert high * 10**9 + low == 2 * big + 999_999_999 + 999_999_998
