"""The ProductRepository, InventoryRepository and ProductSearch contracts, on every leg."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import DuplicateError, NotFoundError
from domain.ids import new_id
from domain.inventory import InsufficientStockError
from domain.pagination import PageRequest
from domain.products import Product, ProductFilter
from entrypoints.container import provide
from tests.conftest import needs_real_mongo

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
BULK = "bulk_write with update pipelines (its BulkOperationBuilder predates PyMongo 4.9)"
DECIMAL_RANGE = "range queries on Decimal128 (NotImplementedError in its comparisons)"
TEXT = "$text queries"


def make_product(n: int, **fields) -> Product:
    values = {
        "id": new_id(),
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "price": Decimal("9.99"),
        "created_at": T0 + timedelta(seconds=n),
        "updated_at": T0 + timedelta(seconds=n),
    }
    return Product(**(values | fields))


@pytest.fixture
async def products(container):
    return await provide(container.storage.products)


@pytest.fixture
async def inventory(container):
    return await provide(container.storage.inventory)


@pytest.fixture
async def search(container):
    return await provide(container.storage.product_search)


async def test_round_trip_keeps_every_field(products):
    product = make_product(
        1,
        description="A long description",
        price=Decimal("1234.50"),
        category="shoes",
        tags=("red", "sale"),
        is_active=False,
    )
    await products.add(product)
    loaded = await products.get(product.id)
    assert loaded == product
    assert str(loaded.price) == "1234.50" and isinstance(loaded.price, Decimal)
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.tags == ("red", "sale")
    minimal = make_product(2, price=Decimal("0"))
    await products.add(minimal)
    assert await products.get(minimal.id) == minimal


async def test_money_is_exact_three_times_ten_cents_is_thirty(products):
    made = [make_product(n, price=Decimal("0.10")) for n in range(3)]
    for product in made:
        await products.add(product)
    loaded = await products.get_many([p.id for p in made])
    total = sum((p.price for p in loaded.values()), Decimal(0))
    assert total == Decimal("0.30") and str(total) == "0.30"
    assert 0.1 + 0.1 + 0.1 != 0.3  # what a float would have made of it


async def test_missing_and_malformed_ids_are_none(products):
    assert await products.get(new_id()) is None
    assert await products.get("not-an-id") is None


async def test_get_many_in_one_call(products):
    made = [make_product(n) for n in range(4)]
    for product in made:
        await products.add(product)
    wanted = [made[0].id, made[2].id, new_id(), "bogus"]
    found = await products.get_many(wanted)
    assert found == {made[0].id: made[0], made[2].id: made[2]}
    assert await products.get_many([]) == {}


async def test_add_rejects_a_taken_sku(products):
    await products.add(make_product(1))
    clash = make_product(2, sku="SKU-1")
    with pytest.raises(DuplicateError) as caught:
        await products.add(clash)
    assert caught.value.field == "sku"
    assert await products.get(clash.id) is None


async def test_update_replaces_and_checks_the_sku(products):
    a, b = make_product(1), make_product(2)
    await products.add(a)
    await products.add(b)
    changed = replace(a, name="Renamed", sku="NEW-1", updated_at=T0 + timedelta(days=1))
    await products.update(changed)
    assert await products.get(a.id) == replace(changed, version=2)
    with pytest.raises(DuplicateError) as caught:
        await products.update(replace(b, sku="NEW-1"))
    assert caught.value.field == "sku"
    assert await products.get(b.id) == b
    await products.add(make_product(3, sku="SKU-1"))  # the old sku is free again
    with pytest.raises(NotFoundError):
        await products.update(make_product(9))


async def test_delete_removes_the_product_and_its_stock(products, inventory):
    product = make_product(1)
    await products.add(product)
    await inventory.set(product.id, 5)
    assert await products.delete(product.id) is True
    assert await products.get(product.id) is None
    assert await inventory.get(product.id) == 0
    assert await products.delete(product.id) is False
    assert await products.delete("bogus") is False
    await products.add(make_product(2, sku=product.sku))


async def test_list_is_newest_first_with_total_and_pages(products):
    made = [make_product(n) for n in range(6)]
    same_time = [make_product(n, created_at=T0, updated_at=T0) for n in range(6, 9)]
    for product in made + same_time:
        await products.add(product)
    expected = sorted(made + same_time, key=lambda p: (p.created_at, p.id), reverse=True)
    page = await products.list(ProductFilter(), PageRequest(0, 100))
    assert page.total == 9
    assert [p.id for p in page.items] == [p.id for p in expected]
    page = await products.list(ProductFilter(), PageRequest(skip=2, limit=3))
    assert (page.total, [p.id for p in page.items]) == (9, [p.id for p in expected[2:5]])


async def _skus(products, **where) -> set[str]:
    page = await products.list(ProductFilter(**where), PageRequest(0, 100))
    assert page.total == len(page.items)
    return {p.sku for p in page.items}


async def test_list_filters_by_category_and_tag(products):
    specs = [
        ("shoes", ("red",)),
        ("shoes", ("blue", "sale")),
        ("hats", ("red", "sale")),
        (None, ()),
    ]
    for n, (category, tags) in enumerate(specs):
        await products.add(make_product(n, category=category, tags=tags))
    assert await _skus(products, category="shoes") == {"SKU-0", "SKU-1"}
    assert await _skus(products, tag="sale") == {"SKU-1", "SKU-2"}
    assert await _skus(products, category="shoes", tag="red") == {"SKU-0"}
    assert await _skus(products, category="socks") == set()


async def test_list_filters_by_price_range(products, leg):
    needs_real_mongo(leg, DECIMAL_RANGE)
    for n, price in enumerate(["0.99", "10.00", "10.01", "25.50"]):
        await products.add(make_product(n, price=Decimal(price), category="c"))
    assert await _skus(products, min_price=Decimal("10")) == {"SKU-1", "SKU-2", "SKU-3"}
    assert await _skus(products, max_price=Decimal("10.00")) == {"SKU-0", "SKU-1"}
    assert await _skus(products, min_price=Decimal("10"), max_price=Decimal("25.49")) == {
        "SKU-1",
        "SKU-2",
    }
    assert await _skus(products, category="c", min_price=Decimal("25.51")) == set()


async def test_stock_defaults_to_zero_and_can_be_set(products, inventory):
    product = make_product(1)
    await products.add(product)
    assert await inventory.get(product.id) == 0
    assert await inventory.set(product.id, 7) == 7
    assert await inventory.get(product.id) == 7
    assert await inventory.set(product.id, 0) == 0
    assert await inventory.get(product.id) == 0


async def test_adjust_never_goes_below_zero(products, inventory):
    product = make_product(1)
    await products.add(product)
    with pytest.raises(InsufficientStockError):
        await inventory.adjust(product.id, -1)  # never set: 0 - 1
    assert await inventory.get(product.id) == 0
    assert await inventory.adjust(product.id, 5) == 5
    assert await inventory.adjust(product.id, -3) == 2
    with pytest.raises(InsufficientStockError) as caught:
        await inventory.adjust(product.id, -3)
    assert caught.value.product_id == product.id
    assert await inventory.get(product.id) == 2
    assert await inventory.adjust(product.id, -2) == 0
    assert await inventory.adjust(product.id, 0) == 0


async def test_concurrent_adjustments_never_oversell(products, inventory):
    product = make_product(1)
    await products.add(product)
    await inventory.set(product.id, 10)

    async def take() -> bool:
        try:
            await inventory.adjust(product.id, -1)
        except InsufficientStockError:
            return False
        return True

    results = await asyncio.gather(*(take() for _ in range(25)))
    assert sum(results) == 10
    assert await inventory.get(product.id) == 0


async def test_bulk_upsert_inserts_then_is_idempotent(products, leg):
    needs_real_mongo(leg, BULK)
    made = [make_product(n, price=Decimal("0.10"), tags=("t",)) for n in range(5)]
    result = await products.upsert_many(made)
    assert (result.matched, result.modified, result.upserted) == (0, 0, 5)
    page = await products.list(ProductFilter(), PageRequest(0, 100))
    assert {p.sku for p in page.items} == {p.sku for p in made}
    assert sum((p.price for p in page.items), Decimal(0)) == Decimal("0.50")
    stored = {p.sku: p for p in page.items}

    later = T0 + timedelta(days=1)
    again = [replace(p, id=new_id(), created_at=later, updated_at=later) for p in made]
    result = await products.upsert_many(again)
    assert (result.matched, result.modified, result.upserted) == (5, 0, 0)
    page = await products.list(ProductFilter(), PageRequest(0, 100))
    assert {p.sku: p for p in page.items} == stored  # same ids, timestamps untouched


async def test_bulk_upsert_updates_by_sku_keeping_id_and_created_at(products, leg):
    needs_real_mongo(leg, BULK)
    first = [make_product(n, description="old") for n in range(4)]
    await products.upsert_many(first)
    stored = {p.sku: p for p in (await products.list(ProductFilter(), PageRequest())).items}
    later = T0 + timedelta(days=1)
    batch = [
        replace(first[0], id=new_id(), name="Changed", updated_at=later, created_at=later),
        replace(first[1], id=new_id(), price=Decimal("1.00"), updated_at=later, created_at=later),
        replace(first[2], id=new_id(), updated_at=later, created_at=later),  # unchanged
        make_product(10, created_at=later, updated_at=later),
    ]
    result = await products.upsert_many(batch)
    assert (result.matched, result.modified, result.upserted) == (3, 2, 1)
    now = {p.sku: p for p in (await products.list(ProductFilter(), PageRequest())).items}
    assert len(now) == 5
    changed = now["SKU-0"]
    assert changed.id == stored["SKU-0"].id and changed.name == "Changed"
    assert changed.created_at == stored["SKU-0"].created_at and changed.updated_at == later
    assert now["SKU-1"].price == Decimal("1.00") and now["SKU-1"].updated_at == later
    assert now["SKU-2"] == stored["SKU-2"]
    assert now["SKU-3"] == stored["SKU-3"]
    assert now["SKU-10"].created_at == later
    assert await products.get(now["SKU-10"].id) == now["SKU-10"]


async def test_bulk_upserted_products_are_searchable_and_filterable(products, search, leg):
    needs_real_mongo(leg, BULK)
    await products.upsert_many([make_product(1, name="Blue kettle", tags=("kitchen",))])
    assert [h.product.sku for h in await search.search("kettle", PageRequest())] == ["SKU-1"]
    assert await _skus(products, tag="kitchen") == {"SKU-1"}
    await products.upsert_many([make_product(1, name="Green teapot", tags=("tea",))])
    assert await search.search("kettle", PageRequest()) == []
    assert await _skus(products, tag="kitchen") == set()
    assert await _skus(products, tag="tea") == {"SKU-1"}


async def _ranked(search, text: str) -> list[str]:
    hits = await search.search(text, PageRequest(0, 20))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    return [h.product.sku for h in hits]


async def test_search_ranks_name_over_tags_over_description(products, search, leg):
    needs_real_mongo(leg, TEXT)
    # added in the reverse order of relevance so insertion order cannot explain the result
    await products.add(make_product(1, name="Plain mug", description="a lantern for the camp"))
    await products.add(make_product(2, name="Camping light", tags=("lantern", "outdoor")))
    await products.add(make_product(3, name="Lantern deluxe", tags=("outdoor",)))
    await products.add(make_product(4, name="Umbrella", description="keeps the rain off"))
    assert await _ranked(search, "lantern") == ["SKU-3", "SKU-2", "SKU-1"]
    assert await _ranked(search, "LANTERN") == ["SKU-3", "SKU-2", "SKU-1"]
    both = await _ranked(search, "umbrella lantern")  # any word matches; name matches first
    assert set(both[:2]) == {"SKU-3", "SKU-4"} and both[2:] == ["SKU-2", "SKU-1"]
    assert await _ranked(search, "nothing-like-it") == []
    page = await search.search("lantern", PageRequest(skip=1, limit=1))
    assert [h.product.sku for h in page] == ["SKU-2"]


@pytest.mark.parametrize("text", ['"', "AND OR (", 'lamp" OR name:x', "NEAR(a b)", "*", "-x", "^"])
async def test_search_never_reads_input_as_syntax(products, search, leg, text):
    needs_real_mongo(leg, TEXT)
    await products.add(make_product(1, name="Lamp AND shade", description="or not"))
    hits = await search.search(text, PageRequest())
    assert isinstance(hits, list)


async def test_search_follows_updates_and_deletes(products, search, leg):
    needs_real_mongo(leg, TEXT)
    product = make_product(1, name="Walnut desk")
    await products.add(product)
    assert await _ranked(search, "walnut") == ["SKU-1"]
    await products.update(replace(product, name="Oak desk"))
    assert await _ranked(search, "walnut") == []
    assert await _ranked(search, "oak") == ["SKU-1"]
    await products.delete(product.id)
    assert await _ranked(search, "oak") == []
