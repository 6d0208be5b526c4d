"""Products and stock in dicts: the reference implementation of the catalog ports."""

import heapq
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from adapters.memory.state import MemoryState
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.inventory import InsufficientStockError
from domain.pagination import Page, PageRequest
from domain.products import (
    SEARCH_WEIGHTS,
    BulkUpsertResult,
    Product,
    ProductFilter,
    SearchHit,
    search_terms,
)

_WORD = re.compile(r"\w+")


def _key(product: Product) -> tuple[datetime, str]:
    """The list order, newest first: (created_at, id) descending."""
    return (product.created_at, product.id)


def _matches(p: Product, where: ProductFilter) -> bool:
    return (
        (where.category is None or p.category == where.category)
        and (where.min_price is None or p.price >= where.min_price)
        and (where.max_price is None or p.price <= where.max_price)
        and (where.tag is None or where.tag in p.tags)
        and (where.is_active is None or p.is_active == where.is_active)
    )


class InMemoryProductRepository:
    def __init__(self, state: MemoryState) -> None:
        self._products = state.products
        self._inventory = state.inventory
        self._skus = state.unique["products", "sku"]

    def _store(self, product: Product, old: Product | None) -> None:
        owner = self._skus.get(product.sku)
        if owner is not None and owner != product.id:
            raise DuplicateError("sku")
        if old is not None:
            del self._skus[old.sku]
        self._skus[product.sku] = product.id
        self._products[product.id] = product

    async def add(self, product: Product) -> None:
        if product.id in self._products:
            raise DuplicateError("_id")
        self._store(product, None)

    async def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return {i: self._products[i] for i in product_ids if i in self._products}

    async def list(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        matching = [p for p in self._products.values() if _matches(p, where)]
        after = page.after
        rest = matching if after is None else [p for p in matching if after.precedes(*_key(p))]
        newest = heapq.nlargest(page.skip + page.limit, rest, key=_key)
        return Page(newest[page.skip :], len(matching))

    async def update(self, product: Product) -> None:
        old = self._products.get(product.id)
        if old is None:
            raise NotFoundError(f"Product {product.id} not found")
        if old.version != product.version:
            raise ConcurrentChangeError(f"Product {product.id} was changed meanwhile")
        self._store(replace(product, version=product.version + 1), old)

    async def delete(self, product_id: str, version: int | None = None) -> bool:
        product = self._products.get(product_id)
        if product is None:
            return False
        if version is not None and product.version != version:
            raise ConcurrentChangeError(f"Product {product_id} was changed meanwhile")
        del self._products[product_id]
        del self._skus[product.sku]
        self._inventory.pop(product_id, None)
        return True

    async def upsert_many(self, products: Sequence[Product]) -> BulkUpsertResult:
        matched = modified = upserted = 0
        for product in products:
            existing_id = self._skus.get(product.sku)
            if existing_id is None:
                self._store(product, None)
                upserted += 1
                continue
            matched += 1
            old = self._products[existing_id]
            if old.same_content(product):
                continue
            self._store(
                Product(
                    id=old.id,
                    sku=product.sku,
                    name=product.name,
                    price=product.price,
                    created_at=old.created_at,
                    updated_at=product.updated_at,
                    description=product.description,
                    category=product.category,
                    tags=product.tags,
                    is_active=product.is_active,
                    version=old.version + 1,
                ),
                old,
            )
            modified += 1
        return BulkUpsertResult(matched, modified, upserted)


class InMemoryInventoryRepository:
    def __init__(self, state: MemoryState) -> None:
        self._stock = state.inventory

    async def get(self, product_id: str) -> int:
        return self._stock.get(product_id, 0)

    async def set(self, product_id: str, quantity: int) -> int:
        self._stock[product_id] = quantity
        return quantity

    async def adjust(self, product_id: str, delta: int) -> int:
        quantity = self._stock.get(product_id, 0) + delta
        if quantity < 0:
            raise InsufficientStockError(product_id)
        self._stock[product_id] = quantity
        return quantity


def _field_score(terms: set[str], text: str) -> float:
    """MongoDB's textScore shape: per matched term, 0.5 + 0.5 * its share of the field's words."""
    words = _WORD.findall(text.lower())
    counts = Counter(w for w in words if w in terms)
    return sum(0.5 + 0.5 * n / len(words) for n in counts.values())


class InMemoryProductSearch:
    """A scorer with the weights of the stores' indexes: name 10, tags 5, description 1."""

    def __init__(self, state: MemoryState) -> None:
        self._products = state.products

    def unavailable_reason(self) -> str | None:
        return None  # search always works on this store

    async def search(
        self, text: str, page: PageRequest, active_only: bool = False
    ) -> list[SearchHit]:
        terms = set(search_terms(text))
        hits = []
        for product in self._products.values():
            if active_only and not product.is_active:
                continue
            fields = {
                "name": product.name,
                "tags": " ".join(product.tags),
                "description": product.description or "",
            }
            score = sum(SEARCH_WEIGHTS[f] * _field_score(terms, v) for f, v in fields.items())
            if score > 0:
                hits.append(SearchHit(product, round(score, 6)))
        hits.sort(key=lambda h: (-h.score, h.product.id))
        return hits[page.skip : page.skip + page.limit]
