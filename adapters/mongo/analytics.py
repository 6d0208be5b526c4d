"""Reports as aggregation pipelines; the server does the work, the adapter maps a few rows."""

from datetime import UTC, date, datetime, time
from typing import Any

from adapters.mongo.driver import aggregate
from adapters.mongo.errors import translated
from adapters.mongo.store import MongoStore
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.money import from_cents
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
    """Over customer_totals (a running count and Int64 cents per user, kept by the unit of
    work in each order's transaction): $match + $sort walk the partial `rank` index in order,
    $lookup the user, $unwind drops a purged user (their totals stay, like their orders), and
    $limit stops the walk, so about `limit` documents are read, not every order."""
    return [
        {"$match": {"order_count": {"$gt": 0}}},
        {"$sort": {"order_count": -1, "spent_cents": -1, "_id": 1}},
        {"$lookup": {"from": "users", "localField": "_id", "foreignField": "_id", "as": "user"}},
        {"$unwind": "$user"},
        {"$limit": limit},
        {
            "$project": {
                "_id": 1,
                "username": "$user.username",
                "email": "$user.email",
                "order_count": 1,
                "spent_cents": 1,
            }
        },
    ]


class MongoAnalyticsReader:
    def __init__(self, store: MongoStore) -> None:
        self._users = store.db["users"]
        self._totals = store.db["customer_totals"]
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
        docs = await aggregate(self._driver, self._totals, top_customers_pipeline(limit))
        return [
            TopCustomer(
                str(d["_id"]),
                d["username"],
                d["email"],
                d["order_count"],
                from_cents(d["spent_cents"]),
            )
            for d in docs
        ]
