"""The AnalyticsReader contract and the purge, on every leg, against hand-computed rows."""

from datetime import date, datetime, timedelta

import pytest

from domain.analytics import DailyRegistrations, RoleCount
from domain.ids import new_id
from domain.users import Role, User
from entrypoints.container import provide

MS = timedelta(milliseconds=1)
ADMIN, USER, MODERATOR = Role.ADMIN, Role.USER, Role.MODERATOR


def at(day: str, clock: str = "00:00:00.000") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}+00:00")


def make_user(n: int, role: Role, active: bool, created: datetime, updated=None) -> User:
    return User(
        id=new_id(),
        email=f"user{n}@example.com",
        username=f"user{n}",
        password_hash="$argon2id$fake",
        created_at=created,
        updated_at=updated or created,
        role=role,
        is_active=active,
    )


# The seeded data set: midnight boundaries on both sides of each report's ends, a day with
# no registrations inside the range, and a tie on total (admin, moderator) that the role name
# breaks. Listed so that insertion order differs from every expected order.
SEED = [
    (MODERATOR, False, at("2026-03-05", "23:59:59.999")),
    (USER, True, at("2026-03-06")),  # first millisecond after the range
    (USER, False, at("2026-03-05")),
    (ADMIN, True, at("2026-02-28", "23:59:59.999")),  # last millisecond before the range
    (USER, True, at("2026-03-02")),
    (MODERATOR, True, at("2026-03-01", "23:59:59.999")),
    (USER, False, at("2026-03-01", "12:00:00.000")),
    (ADMIN, False, at("2026-03-03", "08:00:00.000")),
    (USER, True, at("2026-03-01")),  # first millisecond of the range
]
BY_ROLE = [
    RoleCount(USER, 5, 3, 2),
    RoleCount(ADMIN, 2, 1, 1),
    RoleCount(MODERATOR, 2, 1, 1),
]
MARCH_1_TO_5 = [
    DailyRegistrations(date(2026, 3, 1), 3),
    DailyRegistrations(date(2026, 3, 2), 1),
    DailyRegistrations(date(2026, 3, 3), 1),
    # 2026-03-04: none, omitted
    DailyRegistrations(date(2026, 3, 5), 2),
]


@pytest.fixture
async def users(container):
    return await provide(container.storage.users)


@pytest.fixture
async def analytics(container):
    return await provide(container.storage.analytics)


@pytest.fixture
async def seeded(users):
    for n, (role, active, created) in enumerate(SEED):
        await users.add(make_user(n, role, active, created))


async def test_an_empty_store_reports_no_rows(analytics):
    assert await analytics.users_by_role() == []
    assert await analytics.registrations(date(2026, 1, 1), date(2026, 12, 31)) == []


async def test_one_user(users, analytics):
    await users.add(make_user(1, MODERATOR, False, at("2026-07-04", "10:00:00.000")))
    assert await analytics.users_by_role() == [RoleCount(MODERATOR, 1, 0, 1)]
    day = date(2026, 7, 4)
    assert await analytics.registrations(day, day) == [DailyRegistrations(day, 1)]
    assert await analytics.registrations(date(2026, 7, 5), date(2026, 7, 5)) == []


@pytest.mark.usefixtures("seeded")
async def test_users_by_role_by_total_then_role_name(analytics):
    assert await analytics.users_by_role() == BY_ROLE


@pytest.mark.usefixtures("seeded")
async def test_registrations_per_utc_day_with_inclusive_ends(analytics):
    assert await analytics.registrations(date(2026, 3, 1), date(2026, 3, 5)) == MARCH_1_TO_5


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 23:59:59.999 belongs to its own day, 00:00:00.000 to the next
        ("2026-02-28", "2026-02-28", [("2026-02-28", 1)]),
        ("2026-03-01", "2026-03-01", [("2026-03-01", 3)]),
        ("2026-03-06", "2026-03-06", [("2026-03-06", 1)]),
        ("2026-03-04", "2026-03-04", []),
        ("2026-02-28", "2026-03-01", [("2026-02-28", 1), ("2026-03-01", 3)]),
        ("2026-03-05", "2027-03-05", [("2026-03-05", 2), ("2026-03-06", 1)]),
        ("2025-03-01", "2026-02-27", []),
    ],
)
async def test_registrations_at_midnight_boundaries(analytics, start, end, expected):
    rows = await analytics.registrations(date.fromisoformat(start), date.fromisoformat(end))
    assert rows == [DailyRegistrations(date.fromisoformat(d), n) for d, n in expected]


@pytest.mark.usefixtures("seeded")
async def test_reports_follow_changes(users, analytics):
    early = make_user(99, ADMIN, True, at("2026-03-04", "06:00:00.000"))
    await users.add(early)
    await users.add(make_user(98, ADMIN, True, at("2026-03-04", "07:00:00.000")))
    assert (await analytics.users_by_role())[:2] == [
        RoleCount(USER, 5, 3, 2),
        RoleCount(ADMIN, 4, 3, 1),
    ]
    rows = await analytics.registrations(date(2026, 3, 4), date(2026, 3, 4))
    assert rows == [DailyRegistrations(date(2026, 3, 4), 2)]
    await users.delete(early.id)
    rows = await analytics.registrations(date(2026, 3, 4), date(2026, 3, 4))
    assert rows == [DailyRegistrations(date(2026, 3, 4), 1)]


CUTOFF = at("2026-06-01")
OLD = at("2020-01-01")


async def test_purge_deletes_inactive_users_unchanged_before_the_cutoff(users, analytics):
    cases = {
        "just_before": make_user(1, USER, False, OLD, CUTOFF - MS),
        "long_ago": make_user(2, ADMIN, False, OLD, OLD),
        "at_cutoff": make_user(3, USER, False, OLD, CUTOFF),  # not older: kept
        "after": make_user(4, USER, False, OLD, CUTOFF + MS),
        "active_old": make_user(5, USER, True, OLD, OLD),  # active users are never purged
        "active_before": make_user(6, MODERATOR, True, OLD, CUTOFF - MS),
    }
    for user in cases.values():
        await users.add(user)

    assert await users.delete_inactive_before(CUTOFF) == 2

    for name, user in cases.items():
        kept = await users.get(user.id)
        assert (kept is None) == (name in {"just_before", "long_ago"}), name
    assert await users.delete_inactive_before(CUTOFF) == 0
    assert await analytics.users_by_role() == [
        RoleCount(USER, 3, 1, 2),
        RoleCount(MODERATOR, 1, 1, 0),
    ]
    # the purged users' email and username are free again
    await users.add(make_user(1, USER, True, OLD))


async def test_purge_of_an_empty_store(users):
    assert await users.delete_inactive_before(CUTOFF) == 0
