"""Product use cases: CRUD, search and bulk upsert."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from application import policy
from application.audit import DISCARD, EXISTS, GONE
from application.policy import Action
from application.ports import AuditLog, Clock, ProductRepository, ProductSearch
from application.versions import stale_as_precondition
from domain.access import Principal
from domain.errors import NotFoundError, SearchUnsupportedError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.pagination import Page, PageRequest
from domain.products import BulkUpsertResult, Product, ProductFilter, SearchHit, search_terms
from domain.versions import require_version

BULK_MAX = 10_000
# a bulk batch of more items is checked in a worker thread, so the event loop is not held
# for more than about a millisecond (the rules cost ~3 us per item; the HTTP route uses the
# same bound for its schema pass)
INLINE_ITEMS = 200
_UPDATABLE = frozenset({"sku", "name", "description", "price", "category", "tags", "is_active"})
_REQUIRED = frozenset({"sku", "name", "price", "tags", "is_active"})


@dataclass(frozen=True, slots=True)
class CreateProductCommand:
    sku: str
    name: str
    price: Decimal
    description: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class UpdateProductCommand:
    """Only the keys present in `changes` change; None clears description or category.
    `if_match`: the versions the client accepts (HTTP If-Match), None for no precondition."""

    product_id: str
    changes: dict[str, Any] = field(default_factory=dict)
    if_match: frozenset[int] | None = None


class BulkTooLargeError(ValidationError):
    code = "too_many_items"


def _not_found(product_id: str) -> NotFoundError:
    return NotFoundError(f"Product {product_id} not found")


def new_product(cmd: CreateProductCommand, product_id: str, now: datetime) -> Product:
    return Product(
        id=product_id,
        sku=cmd.sku,
        name=cmd.name,
        price=cmd.price,
        created_at=now,
        updated_at=now,
        description=cmd.description,
        category=cmd.category,
        tags=tuple(cmd.tags),
        is_active=cmd.is_active,
    )


class CreateProduct:
    """Create a product; DuplicateError("sku") when the sku is taken."""

    def __init__(self, products: ProductRepository, clock: Clock) -> None:
        self._products, self._clock = products, clock

    async def execute(self, principal: Principal, cmd: CreateProductCommand) -> Product:
        policy.require(principal, Action.WRITE_CATALOG)
        product = new_product(cmd, new_id(), self._clock.now())
        await self._products.add(product)
        return product


async def get_product(products: ProductRepository, product_id: str) -> Product:
    """The product with this id, whatever the caller; NotFoundError otherwise."""
    product = await products.get(product_id) if is_valid_id(product_id) else None
    if product is None:
        raise _not_found(product_id)
    return product


async def get_visible_product(
    principal: Principal, products: ProductRepository, product_id: str
) -> Product:
    """The product, if the caller may see it: an inactive one is 404 to anonymous and users."""
    product = await get_product(products, product_id)
    if not product.is_active and not policy.sees_inactive_products(principal):
        raise _not_found(product_id)
    return product


class GetProduct:
    """The product with this id (inactive ones for moderators and admins only); 404 otherwise."""

    def __init__(self, products: ProductRepository) -> None:
        self._products = products

    async def execute(self, principal: Principal, product_id: str) -> Product:
        return await get_visible_product(principal, self._products, product_id)


class ListProducts:
    """A page of products, newest first, with the total matching count. Anonymous callers and
    users see active products only (asking for inactive ones is 401/403); moderators and
    admins see all, and may filter on `is_active`."""

    def __init__(self, products: ProductRepository) -> None:
        self._products = products

    async def execute(
        self, principal: Principal, where: ProductFilter, page: PageRequest
    ) -> Page[Product]:
        if not policy.sees_inactive_products(principal):
            if where.is_active is False:
                policy.require(principal, Action.READ_INACTIVE_PRODUCTS)
            where = replace(where, is_active=True)
        if (
            where.min_price is not None
            and where.max_price is not None
            and where.min_price > where.max_price
        ):
            return Page([], 0)
        return await self._products.list(where, page)


class UpdateProduct:
    """Apply a partial update; a change that changes nothing returns the product untouched."""

    def __init__(
        self, products: ProductRepository, clock: Clock, audit: AuditLog = DISCARD
    ) -> None:
        self._products, self._clock, self._audit = products, clock, audit

    async def execute(self, principal: Principal, cmd: UpdateProductCommand) -> Product:
        policy.require(principal, Action.WRITE_CATALOG)
        unknown = cmd.changes.keys() - _UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
        cleared = sorted(k for k in _REQUIRED if k in cmd.changes and cmd.changes[k] is None)
        if cleared:
            raise ValidationError(f"{', '.join(cleared)} cannot be null")
        product = await get_product(self._products, cmd.product_id)
        require_version(product.version, cmd.if_match, f"Product {product.id}")
        changes = dict(cmd.changes)
        if "tags" in changes:
            changes["tags"] = tuple(changes["tags"])
        updated = product.changed(changes, self._clock.now())
        if updated is product:
            return product
        await stale_as_precondition(self._products.update(updated), cmd.if_match)
        if updated.price != product.price:
            self._audit.record(
                principal,
                "product.price_change",
                f"product:{product.id}",
                {"price": str(product.price)},
                {"price": str(updated.price)},
            )
        if updated.is_active != product.is_active:
            self._audit.record(
                principal,
                "product.reactivate" if updated.is_active else "product.deactivate",
                f"product:{product.id}",
                {"is_active": product.is_active},
                {"is_active": updated.is_active},
            )
        return replace(updated, version=product.version + 1)


class DeleteProduct:
    """Delete the product and its stock; NotFoundError when there is none."""

    def __init__(self, products: ProductRepository, audit: AuditLog = DISCARD) -> None:
        self._products, self._audit = products, audit

    async def execute(
        self, principal: Principal, product_id: str, if_match: frozenset[int] | None = None
    ) -> None:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        policy.require(principal, Action.WRITE_CATALOG)
        version = None
        if if_match is not None:
            product = await get_product(self._products, product_id)
            require_version(product.version, if_match, f"Product {product_id}")
            version = product.version
        elif not is_valid_id(product_id):
            raise _not_found(product_id)
        if not await stale_as_precondition(self._products.delete(product_id, version), if_match):
            raise _not_found(product_id)
        self._audit.record(principal, "product.delete", f"product:{product_id}", EXISTS, GONE)


class SearchProducts:
    """Products matching the words of a query, best first, each with its relevance score."""

    def __init__(self, search: ProductSearch) -> None:
        self._search = search

    async def execute(self, principal: Principal, text: str, page: PageRequest) -> list[SearchHit]:
        """Raises SearchUnsupportedError (saying why) on a store that cannot search."""
        if reason := self._search.unavailable_reason():
            raise SearchUnsupportedError(reason)
        if not search_terms(text):
            return []
        active_only = not policy.sees_inactive_products(principal)
        return await self._search.search(text, page, active_only=active_only)


class BulkUpsertProducts:
    """Upsert up to BULK_MAX products by sku in one round trip; all valid or nothing written."""

    def __init__(self, products: ProductRepository, clock: Clock) -> None:
        self._products, self._clock = products, clock

    def validate(self, items: Sequence[CreateProductCommand]) -> list[Product]:
        """The products to write; ValidationError naming the first bad item's index."""
        if len(items) > BULK_MAX:
            raise BulkTooLargeError(
                f"at most {BULK_MAX} products per request, got {len(items)}; split the batch"
            )
        now = self._clock.now()
        products: list[Product] = []
        first_index: dict[str, int] = {}
        for index, item in enumerate(items):
            try:
                product = new_product(item, new_id(), now)
            except ValidationError as exc:
                raise ValidationError(f"products[{index}]: {exc.detail}") from None
            earlier = first_index.setdefault(product.sku, index)
            if earlier != index:
                raise ValidationError(
                    f"products[{index}]: sku {product.sku} repeats products[{earlier}]"
                )
            products.append(product)
        return products

    async def execute(
        self, principal: Principal, items: Sequence[CreateProductCommand]
    ) -> BulkUpsertResult:
        policy.require(principal, Action.WRITE_CATALOG)
        if len(items) > INLINE_ITEMS:  # ~3 us an item: a large batch off the event loop
            products = await asyncio.to_thread(self.validate, items)
        else:
            products = self.validate(items)
        if not products:
            return BulkUpsertResult(0, 0, 0)
        return await self._products.upsert_many(products)
