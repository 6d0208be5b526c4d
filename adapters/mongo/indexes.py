"""The indexes of SPEC.md, created idempotently (create_indexes is a no-op when they exist)."""

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

# Sorts are (created_at, _id) descending so pages are stable; the indexes carry _id for that.
INDEXES: dict[str, list[IndexModel]] = {
    "users": [
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
        IndexModel([("username", ASCENDING)], name="username_unique", unique=True),
        IndexModel(
            [
                ("is_active", ASCENDING),
                ("role", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="active_role_created",
        ),
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        # analytics: users by role walks this index as a covered scan ($sort on role first)
        IndexModel([("role", ASCENDING), ("is_active", ASCENDING)], name="role_active"),
        # maintenance: the purge of inactive users; partial, so it only holds inactive users
        IndexModel(
            [("is_active", ASCENDING), ("updated_at", ASCENDING)],
            name="inactive_updated",
            partialFilterExpression={"is_active": False},
        ),
    ],
}


async def ensure_indexes(db: Any) -> None:
    for collection, models in INDEXES.items():
        await db[collection].create_indexes(models)
