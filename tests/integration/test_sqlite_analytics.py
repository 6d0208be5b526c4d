"""SQLite: the reports and the purge use their indexes (EXPLAIN QUERY PLAN), the purge is one
DELETE statement, and top customers cut the ranking before joining users."""

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
        "SCAN orders USING COVERING INDEX orders_customer_spending",
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
        # the ranking's sorter is bounded by the LIMIT; users are looked up for its rows only,
        # by primary key, after it (the LEFT JOIN runs on the subquery's output)
        assert plan == [
            "CO-ROUTINE t",
            expected,
            "USE TEMP B-TREE FOR ORDER BY",
            "SCAN t",
            "SEARCH u USING INDEX sqlite_autoindex_users_1 (id=?) LEFT-JOIN",
            "USE TEMP B-TREE FOR ORDER BY",
        ], plan


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


async def test_top_customers_joins_users_to_the_cut_ranking_only(db):
    """The statement runs once with LIMIT limit*2 when nobody ranked was purged."""
    await _seed_and_analyze(db, 300)
    statements: list[str] = []
    db.reader.set_trace_callback(statements.append)
    try:
        rows = await SqliteAnalyticsReader(db).top_customers(5)
    finally:
        db.reader.set_trace_callback(None)
    assert len(rows) == 5
    assert statements == [TOP_CUSTOMERS.replace("LIMIT ?", "LIMIT 10")]
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
