"""The indexes of SPEC.md, created idempotently (create_indexes is a no-op when they exist)."""

from typing import Any

from pymongo import ASCENDING, DESCENDING, TEXT, IndexModel
from pymongo.errors import OperationFailure

from adapters.mongo.errors import translate

TEXT_INDEX = "products_text"

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
    "products": [
        IndexModel([("sku", ASCENDING)], name="sku_unique", unique=True),
        IndexModel([("category", ASCENDING)], name="category"),
        IndexModel([("category", ASCENDING), ("price", ASCENDING)], name="category_price"),
        IndexModel([("price", ASCENDING)], name="price"),
        IndexModel([("tags", ASCENDING)], name="tags"),
        IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
        # the search: one text index per collection, weighted name 10, tags 5, description 1
        IndexModel(
            [("name", TEXT), ("tags", TEXT), ("description", TEXT)],
            name=TEXT_INDEX,
            weights={"name": 10, "tags": 5, "description": 1},
            default_language="english",
        ),
    ],
    "inventory": [
        IndexModel([("product_id", ASCENDING)], name="product_id_unique", unique=True),
    ],
}


INDEXES["orders"] = [
    IndexModel(
        [("user_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
        name="user_created",
    ),
    IndexModel(
        [("status", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
        name="status_created",
    ),
    IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
    # analytics: top customers' $match on status; it holds every field the $group reads, so
    # the scan needs no documents
    IndexModel(
        [("status", ASCENDING), ("user_id", ASCENDING), ("total", ASCENDING)],
        name="status_user_total",
    ),
]
# a record expires after 24 hours; reads also ignore expired ones (the TTL monitor is lazy)
INDEXES["idempotency_keys"] = [
    IndexModel([("created_at", ASCENDING)], name="expire_after_24h", expireAfterSeconds=86400),
]

# identity and access (issue 11): refresh tokens by hash (_id); the TTL monitor removes expired
# ones (reads check expires_at too: the monitor runs about once a minute)
INDEXES["refresh_tokens"] = [
    IndexModel([("expires_at", ASCENDING)], name="expire_at_expires_at", expireAfterSeconds=0),
    IndexModel([("family_id", ASCENDING)], name="family"),
    IndexModel([("user_id", ASCENDING)], name="user"),
]
# anonymous callers and users list active products only, newest first
INDEXES["products"].append(
    IndexModel(
        [("is_active", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
        name="active_created",
    )
)


# what a server answers when an index of that name or keys exists with another definition: a
# conflict for the operator to resolve, never taken as "text indexes are not supported"
_CONFLICT_CODES = frozenset({85, 86})  # IndexOptionsConflict, IndexKeySpecsConflict


def is_text_index(model: IndexModel) -> bool:
    return TEXT in dict(model.document["key"]).values()


async def ensure_indexes(db: Any) -> str | None:
    """Create every index (a no-op for those that exist). Text indexes go in a createIndexes of
    their own, so a server that refuses them still gets every other index (createIndexes is
    all-or-nothing per call). Returns None, or why search cannot work: what the server answered
    when it refused a text index. Timeouts, conflicts and connection errors are raised."""
    refused = None
    for collection, models in INDEXES.items():
        plain = [m for m in models if not is_text_index(m)]
        text = [m for m in models if is_text_index(m)]
        if plain:
            await db[collection].create_indexes(plain)
        if not text:
            continue
        try:
            await db[collection].create_indexes(text)
        except OperationFailure as exc:
            if exc.code in _CONFLICT_CODES or translate(exc) is not None:
                raise
            said = (exc.details or {}).get("errmsg") or str(exc)
            name = (exc.details or {}).get("codeName") or f"code {exc.code}"
            refused = (
                "Product search is unavailable: the MongoDB server refused the text index "
                f"on {collection} that search needs ({name}: {said})"
            )
    return refused
