"""SQLite: the reports and the purge use their indexes (EXPLAIN QUERY PLAN), and the purge
is one DELETE statement."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sqlite.analytics import REGISTRATIONS, USERS_BY_ROLE
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
    rows = [user_row(_random_user(n, rng)) for n in range(count)]
    insert = f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join('?' * 11)})"

    def work(conn) -> None:
        conn.executemany(insert, rows)
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
