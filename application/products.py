"""Product use cases: CRUD, search and bulk upsert."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from application.ports import Clock, ProductRepository, ProductSearch
from application.versions import stale_as_precondition
from domain.errors import NotFoundError, SearchUnsupportedError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.pagination import Page, PageRequest
from domain.products import BulkUpsertResult, Product, ProductFilter, SearchHit, search_terms
from domain.versions import require_version

BULK_MAX = 10_000
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

    async def execute(self, cmd: CreateProductCommand) -> Product:
        product = new_product(cmd, new_id(), self._clock.now())
        await self._products.add(product)
        return product


class GetProduct:
    """The product with this id; NotFoundError otherwise."""

    def __init__(self, products: ProductRepository) -> None:
        self._products = products

    async def execute(self, product_id: str) -> Product:
        product = await self._products.get(product_id) if is_valid_id(product_id) else None
        if product is None:
            raise _not_found(product_id)
        return product


class ListProducts:
    """A page of products, newest first, with the total matching count."""

    def __init__(self, products: ProductRepository) -> None:
        self._products = products

    async def execute(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        if (
            where.min_price is not None
            and where.max_price is not None
            and where.min_price > where.max_price
        ):
            return Page([], 0)
        return await self._products.list(where, page)


class UpdateProduct:
    """Apply a partial update; a change that changes nothing returns the product untouched."""

    def __init__(self, products: ProductRepository, clock: Clock) -> None:
        self._products, self._clock = products, clock

    async def execute(self, cmd: UpdateProductCommand) -> Product:
        unknown = cmd.changes.keys() - _UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {', '.join(sorted(unknown))}")
        cleared = sorted(k for k in _REQUIRED if k in cmd.changes and cmd.changes[k] is None)
        if cleared:
            raise ValidationError(f"{', '.join(cleared)} cannot be null")
        product = await GetProduct(self._products).execute(cmd.product_id)
        require_version(product.version, cmd.if_match, f"Product {product.id}")
        changes = dict(cmd.changes)
        if "tags" in changes:
            changes["tags"] = tuple(changes["tags"])
        updated = product.changed(changes, self._clock.now())
        if updated is product:
            return product
        await stale_as_precondition(self._products.update(updated), cmd.if_match)
        return replace(updated, version=product.version + 1)


class DeleteProduct:
    """Delete the product and its stock; NotFoundError when there is none."""

    def __init__(self, products: ProductRepository) -> None:
        self._products = products

    async def execute(self, product_id: str, if_match: frozenset[int] | None = None) -> None:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        version = None
        if if_match is not None:
            product = await GetProduct(self._products).execute(product_id)
            require_version(product.version, if_match, f"Product {product_id}")
            version = product.version
        elif not is_valid_id(product_id):
            raise _not_found(product_id)
        if not await stale_as_precondition(self._products.delete(product_id, version), if_match):
            raise _not_found(product_id)


class SearchProducts:
    """Products matching the words of a query, best first, each with its relevance score."""

    def __init__(self, search: ProductSearch) -> None:
        self._search = search

    async def execute(self, text: str, page: PageRequest) -> list[SearchHit]:
        """Raises SearchUnsupportedError (saying why) on a store that cannot search."""
        if reason := self._search.unavailable_reason():
            raise SearchUnsupportedError(reason)
        if not search_terms(text):
            return []
        return await self._search.search(text, page)


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

    async def execute(self, items: Sequence[CreateProductCommand]) -> BulkUpsertResult:
        products = self.validate(items)
        if not products:
            return BulkUpsertResult(0, 0, 0)
        return await self._products.upsert_many(products)
