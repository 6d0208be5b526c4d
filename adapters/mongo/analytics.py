"""Reports as aggregation pipelines; the server does the work, the adapter maps a few rows."""

from datetime import UTC, date, datetime, time
from typing import Any

from adapters.mongo.driver import aggregate
from adapters.mongo.errors import translated
from adapters.mongo.mapping import from_decimal128
from adapters.mongo.store import MongoStore
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.orders import OrderStatus
from domain.users import Role

_LAST_MILLISECOND = time(23, 59, 59, 999000)  # BSON dates are milliseconds


def users_by_role_pipeline() -> list[dict[str, Any]]:
    """Every user, so no $match: the leading $sort on role lets the planner walk the
    role_active index, and as the pipeline needs only role and is_active the scan is covered."""
    return [
        {"$sort": {"role": 1}},
        {
            "$group": {
                "_id": "$role",
                "total_users": {"$sum": 1},
                "active_users": {"$sum": {"$cond": ["$is_active", 1, 0]}},
                "inactive_users": {"$sum": {"$cond": ["$is_active", 0, 1]}},
            }
        },
        {"$sort": {"total_users": -1, "_id": 1}},
    ]


def registrations_pipeline(start: date, end: date) -> list[dict[str, Any]]:
    """$match on a created_at range (the `created` index, covered), grouped by UTC day.

    $dateToString formats in UTC when no timezone is given (MongoDB's documented default).
    """
    return [
        {
            "$match": {
                "created_at": {
                    "$gte": datetime.combine(start, time.min, UTC),
                    "$lte": datetime.combine(end, _LAST_MILLISECOND, UTC),
                }
            }
        },
        {
            "$group": {
                "_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at"}},
                "registrations": {"$sum": 1},
            }
        },
        {"$sort": {"_id": 1}},
    ]


def top_customers_pipeline(limit: int) -> list[dict[str, Any]]:
    """Over orders: $match on status (the `status_user_total` index, which also holds every
    field the $group reads), $group per user with $sum 1 and $sum of the Decimal128 totals
    (exact on the server), $sort with _id as the last tie-break, then $lookup the user.

    $limit comes after $lookup + $unwind, not before: a user purged since (their orders are
    kept) has no match, $unwind drops that row, and the next customer moves up, so the report
    still has `limit` rows when enough customers exist. The pipeline pulls documents through,
    so $lookup runs only for the rows $limit asks for (about `limit`, plus any purged ones);
    the price is that $sort cannot be coalesced with $limit into a top-k sort and orders every
    customer's group (one small document each).
    """
    return [
        {"$match": {"status": {"$ne": OrderStatus.CANCELLED.value}}},
        {
            "$group": {
                "_id": "$user_id",
                "order_count": {"$sum": 1},
                "total_spent": {"$sum": "$total"},
            }
        },
        {"$sort": {"order_count": -1, "total_spent": -1, "_id": 1}},
        {"$lookup": {"from": "users", "localField": "_id", "foreignField": "_id", "as": "user"}},
        {"$unwind": "$user"},
        {"$limit": limit},
        {
            "$project": {
                "_id": 1,
                "username": "$user.username",
                "email": "$user.email",
                "order_count": 1,
                "total_spent": 1,
            }
        },
    ]


class MongoAnalyticsReader:
    def __init__(self, store: MongoStore) -> None:
        self._users = store.db["users"]
        self._orders = store.db["orders"]
        self._driver = store.driver

    @translated
    async def users_by_role(self) -> list[RoleCount]:
        docs = await aggregate(self._driver, self._users, users_by_role_pipeline())
        return [
            RoleCount(Role(d["_id"]), d["total_users"], d["active_users"], d["inactive_users"])
            for d in docs
        ]

    @translated
    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        docs = await aggregate(self._driver, self._users, registrations_pipeline(start, end))
        return [DailyRegistrations(date.fromisoformat(d["_id"]), d["registrations"]) for d in docs]

    @translated
    async def top_customers(self, limit: int) -> list[TopCustomer]:
        docs = await aggregate(self._driver, self._orders, top_customers_pipeline(limit))
        return [
            TopCustomer(
                str(d["_id"]),
                d["username"],
                d["email"],
                d["order_count"],
                from_decimal128(d["total_spent"]),
            )
            for d in docs
        ]
