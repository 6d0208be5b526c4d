"""Analytics use cases: reports the store computes, never the core."""

from datetime import date

from application.ports import AnalyticsReader
from domain.analytics import DailyRegistrations, RoleCount, check_report_days


class ReportUsersByRole:
    """Users per role (total, active, inactive), by total descending, then role name."""

    def __init__(self, analytics: AnalyticsReader) -> None:
        self._analytics = analytics

    async def execute(self) -> list[RoleCount]:
        return await self._analytics.users_by_role()


class ReportRegistrations:
    """Users created per UTC day from start to end (both included); empty days are omitted."""

    def __init__(self, analytics: AnalyticsReader) -> None:
        self._analytics = analytics

    async def execute(self, start: date, end: date) -> list[DailyRegistrations]:
        check_report_days(start, end)
        return await self._analytics.registrations(start, end)
