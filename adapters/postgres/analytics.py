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

# users are joined before the LIMIT (a hash join), so purged users simply drop out
TOP_CUSTOMERS = (
    "SELECT o.user_id, u.username, u.email, o.order_count, o.total_spent FROM ("
    " SELECT user_id, count(*) AS order_count, sum(total) AS total_spent FROM orders"
    " WHERE status <> 'cancelled' GROUP BY user_id) o"
    " JOIN users u ON u.id = o.user_id"
    " ORDER BY o.order_count DESC, o.total_spent DESC, o.user_id LIMIT $1"
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
