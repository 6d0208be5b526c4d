"""Orders in MongoDB: a unit of work is one multi-document transaction (`with_transaction`)."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from adapters.common.uow import (
    AddIdempotency,
    AddOrder,
    RecordingUnitOfWork,
    Release,
    Reserve,
    UpdateOrder,
    Write,
)
from adapters.mongo.driver import run_in_transaction, start_session
from adapters.mongo.errors import translated
from adapters.mongo.mapping import (
    after,
    at_version,
    aware,
    document_order,
    object_id,
    order_document,
)
from adapters.mongo.store import MongoStore
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.inventory import InsufficientStockError
from domain.orders import IdempotencyRecord, Order, OrderFilter
from domain.pagination import Page, PageRequest

_NEWEST_FIRST = [("created_at", -1), ("_id", -1)]


class MongoOrderRepository:
    def __init__(self, store: MongoStore) -> None:
        self._orders = store.db["orders"]

    @translated
    async def get(self, order_id: str) -> Order | None:
        oid = object_id(order_id)
        if oid is None:
            return None
        doc = await self._orders.find_one({"_id": oid})
        return document_order(doc) if doc is not None else None

    @translated
    async def list(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        query: dict[str, Any] = {}
        if where.user_id is not None:
            query["user_id"] = object_id(where.user_id)
        if where.status is not None:
            query["status"] = where.status.value
        found = self._orders.find(after(query, page))
        cursor = found.sort(_NEWEST_FIRST).skip(page.skip).limit(page.limit)
        docs, total = await asyncio.gather(
            cursor.to_list(None), self._orders.count_documents(query)
        )
        return Page([document_order(d) for d in docs], total)

    @translated
    async def pending_before(self, cutoff: datetime, limit: int) -> Sequence[Order]:
        """Served by the (status, created_at desc) index, walked backwards."""
        query = {"status": "pending", "created_at": {"$lt": cutoff}}
        cursor = self._orders.find(query).sort([("created_at", 1), ("_id", 1)]).limit(limit)
        return [document_order(d) for d in await cursor.to_list(None)]


class MongoIdempotencyRepository:
    def __init__(self, store: MongoStore) -> None:
        self._keys = store.db["idempotency_keys"]

    @translated
    async def find(self, key: str, not_before: datetime) -> IdempotencyRecord | None:
        doc = await self._keys.find_one({"_id": key, "created_at": {"$gte": not_before}})
        if doc is None:
            return None
        return IdempotencyRecord(
            doc["_id"], doc["request_hash"], str(doc["order_id"]), aware(doc["created_at"])
        )


class MongoUnitOfWork(RecordingUnitOfWork):
    """Applies its writes in one transaction; `with_transaction` retries transient errors
    (TransientTransactionError, UnknownTransactionCommitResult) by running them again."""

    def __init__(self, store: MongoStore) -> None:
        super().__init__()
        self._store = store
        db = store.db
        self._orders, self._inventory = db["orders"], db["inventory"]
        self._keys = db["idempotency_keys"]

    @translated
    async def apply(self, writes: Sequence[Write]) -> None:
        async def run(session: Any) -> None:
            for write in writes:
                await self._apply_one(write, session)

        driver = self._store.driver
        async with await start_session(driver, self._store.client) as session:
            await run_in_transaction(
                driver,
                session,
                run,
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority"),
            )

    async def _apply_one(self, write: Write, session: Any) -> None:
        match write:
            case Reserve(product_id, quantity):
                result = await self._inventory.update_one(
                    {"product_id": ObjectId(product_id), "quantity": {"$gte": quantity}},
                    {"$inc": {"quantity": -quantity}},
                    session=session,
                )
                if result.matched_count == 0:
                    raise InsufficientStockError(product_id)
            case Release(product_id, quantity):
                await self._inventory.update_one(
                    {"product_id": ObjectId(product_id)},
                    {"$inc": {"quantity": quantity}},
                    session=session,
                )
            case AddOrder(order):
                await self._orders.insert_one(order_document(order), session=session)
            case UpdateOrder(order, expected_status):
                oid = ObjectId(order.id)
                result = await self._orders.update_one(
                    {"_id": oid, "status": expected_status.value, **at_version(order.version)},
                    {
                        "$set": {
                            "status": order.status.value,
                            "updated_at": order.updated_at,
                            "version": order.version + 1,
                        }
                    },
                    session=session,
                )
                if result.matched_count == 0:
                    if await self._orders.find_one({"_id": oid}, {"_id": 1}, session=session):
                        raise ConcurrentChangeError(f"Order {order.id} was changed meanwhile")
                    raise NotFoundError(f"Order {order.id} not found")
            case AddIdempotency(record, expired_before):
                doc = {
                    "_id": record.key,
                    "request_hash": record.request_hash,
                    "order_id": ObjectId(record.order_id),
                    "created_at": record.created_at,
                }
                try:  # an expired record is replaced; a live one makes the upsert a duplicate
                    await self._keys.replace_one(
                        {"_id": record.key, "created_at": {"$lt": expired_before}},
                        doc,
                        upsert=True,
                        session=session,
                    )
                except DuplicateKeyError:
                    raise DuplicateError("idempotency_key") from None
            case _:
                raise TypeError(f"unknown write {write!r}")
