"""Reports as SQL over indexes (migrations 4 and 8), on the read threads (never the loop).

Timestamps are fixed-width ISO text ('YYYY-MM-DDTHH:MM:SS.mmm+00:00'), so the first ten
characters are the UTC date and text order is time order.
"""

from datetime import date

from adapters.sqlite.db import SqliteDatabase
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.money import from_cents
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

# The ranking reads customer_totals (migration 8: a running count and sum of cents per user,
# kept by triggers in the transaction of each order write): SCAN c USING INDEX
# customer_totals_rank, in rank order, one users lookup per row, stopping after `limit` rows
# (CROSS JOIN keeps customer_totals the outer loop). A purged user has no users row, so the
# inner join drops it and the walk goes one row further. `order_count > 0` is a literal so
# the partial index applies.
# The sum is kept as spent_high * SPLIT + spent_low cents (0 <= spent_low < SPLIT), exact
# past int64, joined here in Python.
SPLIT = 1_000_000_000
TOP_CUSTOMERS = (
    "SELECT c.user_id, u.username, u.email, c.order_count, c.spent_high, c.spent_low"
    " FROM customer_totals AS c CROSS JOIN users AS u ON u.id = c.user_id"
    " WHERE c.order_count > 0"
    " ORDER BY c.order_count DESC, c.spent_high DESC, c.spent_low DESC, c.user_id LIMIT ?"
)


class SqliteAnalyticsReader:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def users_by_role(self) -> list[RoleCount]:
        rows = await self._db.read(lambda conn: conn.execute(USERS_BY_ROLE).fetchall())
        return [
            RoleCount(Role(role), total, active, total - active) for role, total, active in rows
        ]

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        bounds = (start.isoformat(), end.isoformat())
        rows = await self._db.read(lambda conn: conn.execute(REGISTRATIONS, bounds).fetchall())
        return [DailyRegistrations(date.fromisoformat(day), n) for day, n in rows]

    async def top_customers(self, limit: int) -> list[TopCustomer]:
        rows = await self._db.read(lambda conn: conn.execute(TOP_CUSTOMERS, (limit,)).fetchall())
        return [
            TopCustomer(user_id, username, email, count, from_cents(high * SPLIT + low))
            for user_id, username, email, count, high, low in rows
        ]
