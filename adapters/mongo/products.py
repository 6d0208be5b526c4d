"""Products, stock and the weighted text search in MongoDB."""

import asyncio
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from adapters.mongo.errors import translated
from adapters.mongo.mapping import (
    after,
    at_version,
    document_product,
    object_id,
    product_document,
    to_decimal128,
    upsert_pipeline,
)
from adapters.mongo.store import MongoStore
from domain.errors import ConcurrentChangeError, NotFoundError, SearchUnsupportedError
from domain.inventory import InsufficientStockError
from domain.pagination import Page, PageRequest
from domain.products import BulkUpsertResult, Product, ProductFilter, SearchHit, search_terms

_NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
_TEXT_SCORE = {"$meta": "textScore"}


def _query(where: ProductFilter) -> dict[str, Any]:
    """Built from typed values only, so no request value can become an operator."""
    query: dict[str, Any] = {}
    if where.category is not None:
        query["category"] = str(where.category)
    price: dict[str, Any] = {}
    if where.min_price is not None:
        price["$gte"] = to_decimal128(where.min_price)
    if where.max_price is not None:
        price["$lte"] = to_decimal128(where.max_price)
    if price:
        query["price"] = price
    if where.tag is not None:
        query["tags"] = str(where.tag)
    if where.is_active is not None:
        query["is_active"] = bool(where.is_active)
    return query


class MongoProductRepository:
    def __init__(self, store: MongoStore) -> None:
        self._products = store.db["products"]
        self._inventory = store.db["inventory"]

    @translated
    async def add(self, product: Product) -> None:
        await self._products.insert_one(product_document(product))

    @translated
    async def get(self, product_id: str) -> Product | None:
        oid = object_id(product_id)
        if oid is None:
            return None
        doc = await self._products.find_one({"_id": oid})
        return document_product(doc) if doc is not None else None

    @translated
    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        oids = [oid for oid in map(object_id, product_ids) if oid is not None]
        if not oids:
            return {}
        docs = await self._products.find({"_id": {"$in": oids}}).to_list(None)
        return {str(d["_id"]): document_product(d) for d in docs}

    @translated
    async def list(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        query = _query(where)
        found = self._products.find(after(query, page))
        cursor = found.sort(_NEWEST_FIRST).skip(page.skip).limit(page.limit)
        docs, total = await asyncio.gather(
            cursor.to_list(None), self._products.count_documents(query)
        )
        return Page([document_product(d) for d in docs], total)

    @translated
    async def update(self, product: Product) -> None:
        doc = product_document(product) | {"version": product.version + 1}
        result = await self._products.replace_one(
            {"_id": doc["_id"], **at_version(product.version)}, doc
        )
        if result.matched_count == 0:
            if await self._products.find_one({"_id": doc["_id"]}, {"_id": 1}):
                raise ConcurrentChangeError(f"Product {product.id} was changed meanwhile")
            raise NotFoundError(f"Product {product.id} not found")

    @translated
    async def delete(self, product_id: str, version: int | None = None) -> bool:
        oid = object_id(product_id)
        if oid is None:
            return False
        condition = at_version(version) if version is not None else {}
        result = await self._products.delete_one({"_id": oid, **condition})
        gone = result.deleted_count == 0
        if gone and version is not None and await self._products.find_one({"_id": oid}, {"_id": 1}):
            raise ConcurrentChangeError(f"Product {product_id} was changed meanwhile")
        if result.deleted_count == 0:
            return False
        await self._inventory.delete_one({"product_id": oid})
        return True

    @translated
    async def upsert_many(self, products: Sequence[Product]) -> BulkUpsertResult:
        # one unordered bulk_write (the driver splits it only past the server's batch limits);
        # new documents get a server-made ObjectId
        requests = [UpdateOne({"sku": p.sku}, upsert_pipeline(p), upsert=True) for p in products]
        result = await self._products.bulk_write(requests, ordered=False)
        return BulkUpsertResult(result.matched_count, result.modified_count, result.upserted_count)


class MongoInventoryRepository:
    """One document per product: {product_id: ObjectId, quantity: int}, unique product_id."""

    def __init__(self, store: MongoStore) -> None:
        self._inventory = store.db["inventory"]

    @translated
    async def get(self, product_id: str) -> int:
        oid = object_id(product_id)
        if oid is None:
            return 0
        doc = await self._inventory.find_one({"product_id": oid}, {"quantity": 1, "_id": 0})
        return doc["quantity"] if doc is not None else 0

    @translated
    async def set(self, product_id: str, quantity: int) -> int:
        oid = object_id(product_id)
        if oid is None:
            raise NotFoundError(f"Product {product_id} not found")
        await self._inventory.update_one(
            {"product_id": oid}, {"$set": {"quantity": int(quantity)}}, upsert=True
        )
        return quantity

    @translated
    async def adjust(self, product_id: str, delta: int) -> int:
        oid = object_id(product_id)
        if oid is None:
            raise NotFoundError(f"Product {product_id} not found")
        # one atomic conditional update: it matches only when the result stays >= 0
        update = {
            "filter": {"product_id": oid, "quantity": {"$gte": -int(delta)}},
            "update": {"$inc": {"quantity": int(delta)}},
            "projection": {"quantity": 1},
            "return_document": ReturnDocument.AFTER,
        }
        try:
            doc = await self._inventory.find_one_and_update(**update, upsert=delta >= 0)
        except DuplicateKeyError:
            # two first adjustments raced to insert; the other one's document exists now
            doc = await self._inventory.find_one_and_update(**update)
        if doc is None:
            raise InsufficientStockError(product_id)
        return doc["quantity"]


class MongoProductSearch:
    """`$text` over the weighted text index, sorted by textScore (then _id for ties)."""

    def __init__(self, store: MongoStore) -> None:
        self._store = store
        self._products = store.db["products"]

    def unavailable_reason(self) -> str | None:
        return self._store.search_unavailable

    @translated
    async def search(
        self, text: str, page: PageRequest, active_only: bool = False
    ) -> list[SearchHit]:
        if self._store.search_unavailable:
            raise SearchUnsupportedError(self._store.search_unavailable)
        terms = search_terms(text)
        if not terms:
            return []
        # plain words only: quotes and leading '-' (phrases, negation) never reach $search
        query: dict[str, Any] = {"$text": {"$search": " ".join(terms)}}
        if active_only:
            query["is_active"] = True
        cursor = (
            self._products.find(query, {"score": _TEXT_SCORE})
            .sort([("score", _TEXT_SCORE), ("_id", 1)])
            .skip(page.skip)
            .limit(page.limit)
        )
        docs = await cursor.to_list(None)
        return [SearchHit(document_product(d), float(d["score"])) for d in docs]
