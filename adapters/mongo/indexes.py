"""The indexes of SPEC.md, created idempotently (create_indexes is a no-op when they exist)."""

from typing import Any

from pymongo import ASCENDING, DESCENDING, TEXT, IndexModel, UpdateOne
from pymongo.errors import OperationFailure

from adapters.mongo.driver import aggregate
from adapters.mongo.errors import translate
from adapters.mongo.mapping import document_product, search_copies

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
        # the search: one text index per collection, weighted name 10, tags 5, description 1,
        # over the folded copies (mapping.search_copies)
        IndexModel(
            [("search_name", TEXT), ("search_tags", TEXT), ("search_description", TEXT)],
            name=TEXT_INDEX,
            weights={"search_name": 10, "search_tags": 5, "search_description": 1},
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


# top customers: one document per user {_id: user id, order_count, spent_cents (Int64)}, kept
# by the unit of work in the order's own transaction; the report walks this index in order
INDEXES["customer_totals"] = [
    IndexModel(
        [("order_count", DESCENDING), ("spent_cents", DESCENDING), ("_id", ASCENDING)],
        name="rank",
        partialFilterExpression={"order_count": {"$gt": 0}},
    ),
]
BACKFILLED = "customer_totals"  # the marker document in `storefront_meta` once back-filled


async def _fold_products(db: Any, batch: int = 1000) -> None:
    products = db["products"]
    pending: list[UpdateOne] = []
    async for doc in products.find({"search_name": {"$exists": False}}):
        pending.append(
            UpdateOne({"_id": doc["_id"]}, {"$set": search_copies(document_product(doc))})
        )
        if len(pending) == batch:
            await products.bulk_write(pending, ordered=False)
            pending = []
    if pending:
        await products.bulk_write(pending, ordered=False)


# the running totals of the orders already stored, computed by the server: cents as Int64
COUNT_CUSTOMERS = [
    {"$match": {"status": {"$ne": "cancelled"}}},
    {"$group": {"_id": "$user_id", "order_count": {"$sum": 1}, "total": {"$sum": "$total"}}},
    {
        "$project": {
            "order_count": 1,
            "spent_cents": {"$toLong": {"$multiply": ["$total", 100]}},
        }
    },
    {"$merge": {"into": "customer_totals", "whenMatched": "replace"}},
]


async def _count_customers(db: Any, driver: str) -> None:
    meta = db["storefront_meta"]
    if await meta.find_one({"_id": BACKFILLED}) is not None:
        return
    if await db["orders"].find_one({}, {"_id": 1}) is not None:
        await aggregate(driver, db["orders"], COUNT_CUSTOMERS)
    await meta.replace_one({"_id": BACKFILLED}, {"done": True}, upsert=True)


# what a server answers when an index of that name or keys exists with another definition: a
# conflict for the operator to resolve, never taken as "text indexes are not supported"
_CONFLICT_CODES = frozenset({85, 86})  # IndexOptionsConflict, IndexKeySpecsConflict


def is_text_index(model: IndexModel) -> bool:
    return TEXT in dict(model.document["key"]).values()


async def ensure_indexes(db: Any) -> str | None:
    """Create every index (a no-op for those that exist). Text indexes go in a createIndexes of
    their own, so a server that refuses them still gets every other index (createIndexes is
    all-or-nothing per call). Returns None, or why search cannot work: what the server answered
    when it refused a text index. Timeouts, conflicts and connection errors are raised.

    """
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


async def drop_raw_text_index(db: Any) -> None:
    """Before ensure_indexes: the text index of older versions covered the raw fields; the
    search now indexes folded copies (mapping.search_copies), so an index of that name with
    the old weights is dropped to be created again over the copies."""
    info = (await db["products"].index_information()).get(TEXT_INDEX)
    if info is not None and "name" in info.get("weights", {}):
        await db["products"].drop_index(TEXT_INDEX)


async def backfill(db: Any, driver: str) -> None:
    """After ensure_indexes: what older versions did not write, the folded copies of the
    products that lack them, and the customer totals (once, marked in `storefront_meta`;
    orders an older version places while this runs are not counted)."""
    await _fold_products(db)
    await _count_customers(db, driver)
