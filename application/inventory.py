"""Inventory use cases: read, set and adjust a product's stock."""

from application.ports import InventoryRepository, ProductRepository
from application.products import GetProduct
from domain.inventory import Stock, check_delta, check_quantity


class GetStock:
    """The product's stock (0 when never set); NotFoundError for an unknown product."""

    def __init__(self, products: ProductRepository, inventory: InventoryRepository) -> None:
        self._product, self._inventory = GetProduct(products), inventory

    async def execute(self, product_id: str) -> Stock:
        await self._product.execute(product_id)
        return Stock(product_id, await self._inventory.get(product_id))


class SetStock:
    """Set the product's stock to a quantity >= 0."""

    def __init__(self, products: ProductRepository, inventory: InventoryRepository) -> None:
        self._product, self._inventory = GetProduct(products), inventory

    async def execute(self, product_id: str, quantity: int) -> Stock:
        check_quantity(quantity)
        await self._product.execute(product_id)
        return Stock(product_id, await self._inventory.set(product_id, quantity))


class AdjustStock:
    """Add a delta to the stock; InsufficientStockError (409) and no change below zero."""

    def __init__(self, products: ProductRepository, inventory: InventoryRepository) -> None:
        self._product, self._inventory = GetProduct(products), inventory

    async def execute(self, product_id: str, delta: int) -> Stock:
        check_delta(delta)
        await self._product.execute(product_id)
        return Stock(product_id, await self._inventory.adjust(product_id, delta))
