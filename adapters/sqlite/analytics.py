"""Reports as SQL GROUP BY over covering indexes (migration 4), read inline like other reads.

Timestamps are fixed-width ISO text ('YYYY-MM-DDTHH:MM:SS.mmm+00:00'), so the first ten
characters are the UTC date and text order is time order.
"""

from datetime import date

from adapters.sqlite.db import SqliteDatabase, translated
from domain.analytics import DailyRegistrations, RoleCount
from domain.users import Role

# SCAN users USING COVERING INDEX users_role_active (no temp b-tree for the GROUP BY)
USERS_BY_ROLE = (
    "SELECT role, count(*) AS total, sum(is_active) AS active FROM users"
    " GROUP BY role ORDER BY total DESC, role"
)
# SEARCH users USING COVERING INDEX users_created_day (<expr>>? AND <expr><?), already grouped
REGISTRATIONS = (
    "SELECT substr(created_at, 1, 10) AS day, count(*) FROM users"
    " WHERE substr(created_at, 1, 10) BETWEEN ? AND ?"
    " GROUP BY substr(created_at, 1, 10) ORDER BY day"
)


class SqliteAnalyticsReader:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def users_by_role(self) -> list[RoleCount]:
        with translated():
            rows = self._db.reader.execute(USERS_BY_ROLE).fetchall()
        return [
            RoleCount(Role(role), total, active, total - active) for role, total, active in rows
        ]

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        with translated():
            rows = self._db.reader.execute(
                REGISTRATIONS, (start.isoformat(), end.isoformat())
            ).fetchall()
        return [DailyRegistrations(date.fromisoformat(day), n) for day, n in rows]
