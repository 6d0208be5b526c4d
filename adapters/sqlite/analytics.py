"""Reports as SQL GROUP BY over covering indexes (migrations 4 and 5), read inline like other
reads.

Timestamps are fixed-width ISO text ('YYYY-MM-DDTHH:MM:SS.mmm+00:00'), so the first ten
characters are the UTC date and text order is time order.
"""

from datetime import date

from adapters.sqlite.db import SqliteDatabase, translated
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

SPLIT = 1_000_000_000
# The ranking: SCAN orders USING COVERING INDEX orders_customer_spending, grouped in index
# order (the literal 'cancelled' matches the partial index's WHERE, so it must stay a
# literal), then a LIMIT-bounded temp b-tree for the ORDER BY; users are joined to those
# first rows only. A LEFT JOIN, so a ranked user that was purged shows up as NULLs and the
# caller can tell "fewer customers" from "some of the first rows were purged".
# Sums never overflow: SQLite's sum() of integers fails on an int64 overflow, so the exact
# total is summed in two parts (whole 10^9 cents, and the rest), each far from overflowing,
# and joined in Python; the ranking uses total(), a double that never overflows and is exact
# below 2^53 cents (90 trillion of the currency), where a tie could only be misordered.
TOP_CUSTOMERS = (
    "SELECT t.user_id, u.username, u.email, t.order_count, t.high, t.low FROM ("
    " SELECT user_id, count(*) AS order_count, total(total_cents) AS rank_cents,"
    f" sum(total_cents / {SPLIT}) AS high, sum(total_cents % {SPLIT}) AS low FROM orders"
    " WHERE status <> 'cancelled' GROUP BY user_id"
    " ORDER BY order_count DESC, rank_cents DESC, user_id LIMIT ?"
    ") AS t LEFT JOIN users AS u ON u.id = t.user_id"
    " ORDER BY t.order_count DESC, t.rank_cents DESC, t.user_id"
)
OVERFETCH = 2  # rank limit * OVERFETCH customers, so a few purged ones cost no second query


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

    async def top_customers(self, limit: int) -> list[TopCustomer]:
        """Joining users to every customer's group before the LIMIT would cost one users
        lookup per customer (2-4x the query time at 100,000 customers, measured), so the ranking is
        cut first, over-fetched, and widened (x4, a new query) in the rare case that purged
        users leave fewer than `limit` rows while more customers were ranked."""
        fetch = limit * OVERFETCH
        while True:
            with translated():
                rows = self._db.reader.execute(TOP_CUSTOMERS, (fetch,)).fetchall()
            present = [row for row in rows if row[1] is not None]
            if len(present) >= limit or len(rows) < fetch:
                break
            fetch *= 4
        return [
            TopCustomer(user_id, username, email, count, from_cents(high * SPLIT + low))
            for user_id, username, email, count, high, low in present[:limit]
        ]
