"""Product and stock use cases over the reference (memory) adapter."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.memory.products import (
    InMemoryInventoryRepository,
    InMemoryProductRepository,
    InMemoryProductSearch,
)
from adapters.memory.state import MemoryState
from application.inventory import AdjustStock, GetStock, SetStock
from application.products import (
    BULK_MAX,
    BulkTooLargeError,
    BulkUpsertProducts,
    CreateProduct,
    CreateProductCommand,
    DeleteProduct,
    GetProduct,
    ListProducts,
    SearchProducts,
    UpdateProduct,
    UpdateProductCommand,
)
from domain.access import SYSTEM
from domain.errors import DuplicateError, NotFoundError, ValidationError
from domain.inventory import InsufficientStockError
from domain.pagination import PageRequest
from domain.products import ProductFilter


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@pytest.fixture
def world():
    state = MemoryState()
    return (
        InMemoryProductRepository(state),
        InMemoryInventoryRepository(state),
        InMemoryProductSearch(state),
        StepClock(),
    )


def command(n: int = 1, **fields) -> CreateProductCommand:
    return CreateProductCommand(**({"sku": f"S-{n}", "name": f"P {n}", "price": "1.00"} | fields))


async def test_create_get_list_delete(world):
    products, _, _, clock = world
    made = await CreateProduct(products, clock).execute(SYSTEM, command(price=Decimal("2.5")))
    assert made.price == Decimal("2.50")
    assert await GetProduct(products).execute(SYSTEM, made.id) == made
    with pytest.raises(DuplicateError):
        await CreateProduct(products, clock).execute(SYSTEM, command())
    page = await ListProducts(products).execute(SYSTEM, ProductFilter(), PageRequest())
    assert page.total == 1
    assert (
        await ListProducts(products).execute(
            SYSTEM, ProductFilter("c", Decimal(5), Decimal(1)), PageRequest()
        )
    ).total == 0
    await DeleteProduct(products).execute(SYSTEM, made.id)
    for product_id in (made.id, "nope"):
        with pytest.raises(NotFoundError):
            await GetProduct(products).execute(SYSTEM, product_id)
        with pytest.raises(NotFoundError):
            await DeleteProduct(products).execute(SYSTEM, product_id)


async def test_update_rules(world):
    products, _, _, clock = world
    made = await CreateProduct(products, clock).execute(SYSTEM, command(description="d"))
    update = UpdateProduct(products, clock)
    assert await update.execute(SYSTEM, UpdateProductCommand(made.id, {"name": "P 1"})) == made
    changed = await update.execute(SYSTEM, UpdateProductCommand(made.id, {"description": None}))
    assert changed.description is None and changed.updated_at > made.updated_at
    for bad in ({"name": None}, {"id": "x"}, {"price": Decimal("1.001")}):
        with pytest.raises(ValidationError):
            await update.execute(SYSTEM, UpdateProductCommand(made.id, bad))
    with pytest.raises(NotFoundError):
        await update.execute(SYSTEM, UpdateProductCommand("f" * 24, {"name": "x"}))


async def test_bulk_validates_everything_before_writing(world):
    products, _, _, clock = world
    bulk = BulkUpsertProducts(products, clock)
    with pytest.raises(ValidationError) as caught:
        await bulk.execute(SYSTEM, [command(1), command(2), command(3, price="1.001")])
    assert caught.value.detail.startswith("products[2]: ")
    with pytest.raises(ValidationError) as caught:
        await bulk.execute(SYSTEM, [command(1), command(2), command(1)])
    assert caught.value.detail == "products[2]: sku S-1 repeats products[0]"
    with pytest.raises(BulkTooLargeError):
        await bulk.execute(SYSTEM, [command(i) for i in range(BULK_MAX + 1)])
    assert (await ListProducts(products).execute(SYSTEM, ProductFilter(), PageRequest())).total == 0
    result = await bulk.execute(SYSTEM, [command(1), command(2)])
    assert (result.matched, result.modified, result.upserted) == (0, 0, 2)
    result = await bulk.execute(SYSTEM, [command(1, name="new"), command(2)])
    assert (result.matched, result.modified, result.upserted) == (2, 1, 0)
    assert (await bulk.execute(SYSTEM, [])).upserted == 0


async def test_search_skips_queries_without_words(world):
    products, _, search, clock = world
    await CreateProduct(products, clock).execute(SYSTEM, command(name="Lamp"))
    assert await SearchProducts(search).execute(SYSTEM, "()*", PageRequest()) == []
    hits = await SearchProducts(search).execute(SYSTEM, "lamp", PageRequest())
    assert [h.product.name for h in hits] == ["Lamp"]


async def test_stock_use_cases(world):
    products, inventory, _, clock = world
    made = await CreateProduct(products, clock).execute(SYSTEM, command())
    assert (await GetStock(products, inventory).execute(SYSTEM, made.id)).quantity == 0
    assert (await SetStock(products, inventory).execute(SYSTEM, made.id, 3)).quantity == 3
    assert (await AdjustStock(products, inventory).execute(SYSTEM, made.id, -3)).quantity == 0
    with pytest.raises(InsufficientStockError):
        await AdjustStock(products, inventory).execute(SYSTEM, made.id, -1)
    with pytest.raises(ValidationError):
        await SetStock(products, inventory).execute(SYSTEM, made.id, -1)
    for use_case in (GetStock(products, inventory),):
        with pytest.raises(NotFoundError):
            await use_case.execute(SYSTEM, "f" * 24)
    with pytest.raises(NotFoundError):
        await SetStock(products, inventory).execute(SYSTEM, "f" * 24, 1)
    with pytest.raises(NotFoundError):
        await AdjustStock(products, inventory).execute(SYSTEM, "bogus", 1)
