"""Analytics and maintenance use cases over the reference (memory) adapter."""

from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.memory.analytics import InMemoryAnalyticsReader
from adapters.memory.state import MemoryState
from adapters.memory.users import InMemoryUserRepository
from application.analytics import ReportRegistrations, ReportUsersByRole
from application.maintenance import PurgeInactiveUsers
from domain.access import SYSTEM
from domain.analytics import DailyRegistrations, RoleCount, check_report_days
from domain.errors import ValidationError
from domain.ids import new_id
from domain.users import Role, User

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def user(n: int, *, active: bool, updated: datetime, role: Role = Role.USER) -> User:
    return User(
        id=new_id(),
        email=f"u{n}@example.com",
        username=f"user{n}",
        password_hash="x",
        created_at=updated,
        updated_at=updated,
        role=role,
        is_active=active,
    )


@pytest.fixture
def state() -> MemoryState:
    return MemoryState()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-01", "2026-03-01"),
        ("2024-01-01", "2024-12-31"),  # a leap year: 366 days
        ("2025-01-01", "2026-01-01"),  # 366 days across a new year
    ],
)
def test_ranges_of_one_to_366_days_are_accepted(start, end):
    check_report_days(date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-02", "2026-03-01", "start must be on or before end"),
        ("2024-01-01", "2025-01-01", "367 days"),
        ("2000-01-01", "2026-01-01", "days"),
    ],
)
async def test_bad_ranges_are_validation_errors(state, start, end, message):
    report = ReportRegistrations(InMemoryAnalyticsReader(state))
    with pytest.raises(ValidationError, match=message):
        await report.execute(SYSTEM, date.fromisoformat(start), date.fromisoformat(end))


async def test_reports_pass_the_store_rows_through(state):
    users = InMemoryUserRepository(state)
    await users.add(user(1, active=True, updated=NOW))
    await users.add(user(2, active=False, updated=NOW, role=Role.ADMIN))
    analytics = InMemoryAnalyticsReader(state)
    assert await ReportUsersByRole(analytics).execute(SYSTEM) == [
        RoleCount(Role.ADMIN, 1, 0, 1),
        RoleCount(Role.USER, 1, 1, 0),
    ]
    rows = await ReportRegistrations(analytics).execute(SYSTEM, NOW.date(), NOW.date())
    assert rows == [DailyRegistrations(NOW.date(), 2)]


@pytest.mark.parametrize("days", [0, -1, 36_501, 10**9, 10**30])
async def test_purge_days_are_between_one_and_a_hundred_years(state, days):
    purge = PurgeInactiveUsers(InMemoryUserRepository(state), FixedClock())
    with pytest.raises(ValidationError, match="days must be between 1 and 36500"):
        await purge.execute(SYSTEM, days)


async def test_purge_cutoff_is_exactly_days_before_now(state):
    users = InMemoryUserRepository(state)
    cutoff = NOW - timedelta(days=30)
    at_cutoff = user(1, active=False, updated=cutoff)
    older = user(2, active=False, updated=cutoff - timedelta(milliseconds=1))
    active = user(3, active=True, updated=cutoff - timedelta(days=900))
    for u in (at_cutoff, older, active):
        await users.add(u)
    purge = PurgeInactiveUsers(users, FixedClock())
    assert await purge.execute(SYSTEM, 30) == 1
    assert await users.get(older.id) is None
    assert await users.get(at_cutoff.id) == at_cutoff
    assert await users.get(active.id) == active
    assert await purge.execute(SYSTEM, 31) == 0
    assert await purge.execute(SYSTEM, 1) == 1  # at_cutoff is now 30 days old


async def test_purge_with_the_largest_day_count_reaches_back_to_year_one(state):
    users = InMemoryUserRepository(state)
    await users.add(user(1, active=False, updated=datetime(1, 1, 2, tzinfo=UTC)))
    assert await PurgeInactiveUsers(users, FixedClock()).execute(SYSTEM, 36_500) == 1
