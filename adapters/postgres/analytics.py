"""Reports as SQL GROUP BY inside PostgreSQL; only the result rows reach the process."""

from datetime import UTC, date, datetime, time, timedelta

from adapters.postgres.db import PostgresDatabase
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.users import Role

USERS_BY_ROLE = (
    "SELECT role, count(*) AS total, count(*) FILTER (WHERE is_active) AS active FROM users"
    " GROUP BY role ORDER BY total DESC, role"
)
# a half-open range of instants on created_at (index users_created), grouped by UTC day
REGISTRATIONS = (
    "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM users"
    " WHERE created_at >= $1 AND created_at < $2 GROUP BY day ORDER BY day"
)

# customer_totals (migration 8) is kept by a trigger in each order write's transaction; the
# report walks its index customer_totals_rank in rank order with a users lookup per row (a
# nested loop), stopping after `limit` users that exist, so purged users drop out.
# `order_count > 0` is a literal so that the partial index applies.
TOP_CUSTOMERS = (
    "SELECT c.user_id, u.username, u.email, c.order_count, c.total_spent"
    " FROM customer_totals c JOIN users u ON u.id = c.user_id WHERE c.order_count > 0"
    " ORDER BY c.order_count DESC, c.total_spent DESC, c.user_id LIMIT $1"
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class PostgresAnalyticsReader:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def users_by_role(self) -> list[RoleCount]:
        rows = await self._db.read(lambda conn: conn.fetch(USERS_BY_ROLE))
        return [
            RoleCount(Role(r["role"]), r["total"], r["active"], r["total"] - r["active"])
            for r in rows
        ]

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        since, until = _midnight(start), _midnight(end + timedelta(days=1))
        rows = await self._db.read(lambda conn: conn.fetch(REGISTRATIONS, since, until))
        return [DailyRegistrations(r["day"], r["n"]) for r in rows]

    async def top_customers(self, limit: int) -> list[TopCustomer]:
        rows = await self._db.read(lambda conn: conn.fetch(TOP_CUSTOMERS, limit))
        return [
            TopCustomer(r["user_id"], r["username"], r["email"], r["order_count"],
                        r["total_spent"])
            for r in rows
        ]  # fmt: skip
