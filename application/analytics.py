"""Analytics use cases: reports the store computes, never the core."""

from datetime import date

from application import policy
from application.policy import Action
from application.ports import AnalyticsReader
from domain.access import Principal
from domain.analytics import (
    DailyRegistrations,
    RoleCount,
    TopCustomer,
    check_report_days,
    check_top_limit,
)


class ReportUsersByRole:
    """Users per role (total, active, inactive), by total descending, then role name."""

    def __init__(self, analytics: AnalyticsReader) -> None:
        self._analytics = analytics

    async def execute(self, principal: Principal) -> list[RoleCount]:
        policy.require(principal, Action.READ_ANALYTICS)
        return await self._analytics.users_by_role()


class ReportRegistrations:
    """Users created per UTC day from start to end (both included); empty days are omitted."""

    def __init__(self, analytics: AnalyticsReader) -> None:
        self._analytics = analytics

    async def execute(
        self, principal: Principal, start: date, end: date
    ) -> list[DailyRegistrations]:
        policy.require(principal, Action.READ_ANALYTICS)
        check_report_days(start, end)
        return await self._analytics.registrations(start, end)


class ReportTopCustomers:
    """The `limit` (1-100) users with the most orders, cancelled ones left out: by order count
    descending, then total spent descending, then user id ascending (a deterministic tie-break).
    Users that no longer exist (purged) are left out, though their orders are kept."""

    def __init__(self, analytics: AnalyticsReader) -> None:
        self._analytics = analytics

    async def execute(self, principal: Principal, limit: int = 10) -> list[TopCustomer]:
        policy.require(principal, Action.READ_ANALYTICS)
        check_top_limit(limit)
        return await self._analytics.top_customers(limit)
