"""Inventory use cases: read, set and adjust a product's stock."""

from application import policy
from application.audit import DISCARD
from application.policy import Action
from application.ports import AuditLog, InventoryRepository, ProductRepository
from application.products import get_product, get_visible_product
from domain.access import Principal
from domain.inventory import Stock, check_delta, check_quantity


class GetStock:
    """The product's stock (0 when never set); NotFoundError for an unknown product."""

    def __init__(self, products: ProductRepository, inventory: InventoryRepository) -> None:
        self._products, self._inventory = products, inventory

    async def execute(self, principal: Principal, product_id: str) -> Stock:
        await get_visible_product(principal, self._products, product_id)
        return Stock(product_id, await self._inventory.get(product_id))


class SetStock:
    """Set the product's stock to a quantity >= 0 (audited with the quantity read just before)."""

    def __init__(
        self,
        products: ProductRepository,
        inventory: InventoryRepository,
        audit: AuditLog = DISCARD,
    ) -> None:
        self._products, self._inventory, self._audit = products, inventory, audit

    async def execute(self, principal: Principal, product_id: str, quantity: int) -> Stock:
        policy.require(principal, Action.WRITE_CATALOG)
        check_quantity(quantity)
        await get_product(self._products, product_id)
        before = await self._inventory.get(product_id)
        after = await self._inventory.set(product_id, quantity)
        self._audit.record(
            principal,
            "stock.set",
            f"product:{product_id}",
            {"quantity": before},
            {"quantity": after},
        )
        return Stock(product_id, after)


class AdjustStock:
    """Add a delta to the stock; InsufficientStockError (409) and no change below zero."""

    def __init__(
        self,
        products: ProductRepository,
        inventory: InventoryRepository,
        audit: AuditLog = DISCARD,
    ) -> None:
        self._products, self._inventory, self._audit = products, inventory, audit

    async def execute(self, principal: Principal, product_id: str, delta: int) -> Stock:
        policy.require(principal, Action.WRITE_CATALOG)
        check_delta(delta)
        await get_product(self._products, product_id)
        after = await self._inventory.adjust(product_id, delta)  # atomic: before = after - delta
        self._audit.record(
            principal,
            "stock.adjust",
            f"product:{product_id}",
            {"quantity": after - delta},
            {"quantity": after, "delta": delta},
        )
        return Stock(product_id, after)
