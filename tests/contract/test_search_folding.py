"""Search folds case, accents and Unicode compatibility forms the same way on every store
(SPEC: input rules): one normaliser (domain.search_text.fold) on both the indexing and the
querying path of every adapter."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.ids import new_id
from domain.pagination import PageRequest
from domain.products import Product
from domain.search_text import fold
from entrypoints.container import provide
from tests.conftest import needs_real_mongo

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FULL_WIDTH_LAMP = "\uff2c\uff21\uff2d\uff30"  # LAMP in full-width letters


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("İstanbul", "istanbul"),
        ("ISTANBUL", "istanbul"),
        ("café", "cafe"),
        ("CAFÉ", "cafe"),
        ("cafe\u0301", "cafe"),  # e + combining acute
        (FULL_WIDTH_LAMP, "lamp"),
        ("\ufb01ne", "fine"),  # the fi ligature
        ("Straße", "strasse"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def product(n: int, **fields) -> Product:
    values = {
        "id": new_id(), "sku": f"SKU-{n}", "name": f"Product {n}", "price": Decimal("1.00"),
        "created_at": T0, "updated_at": T0,
    }  # fmt: skip
    return Product(**(values | fields))


@pytest.fixture
async def catalog(container, leg):
    needs_real_mongo(leg, "$text queries")
    products = await provide(container.storage.products)
    await products.add(product(1, name="İstanbul rug"))
    await products.add(product(2, name="Plain mug", tags=("Café",)))
    await products.add(product(3, name="Desk", description=f"a {FULL_WIDTH_LAMP} for reading"))
    await products.add(product(4, name="ISTANBUL poster", description="cafe culture"))
    return await provide(container.storage.product_search)


async def _skus(search, text: str) -> list[str]:
    return [h.product.sku for h in await search.search(text, PageRequest(0, 20))]


@pytest.mark.parametrize("text", ["İstanbul", "istanbul", "ISTANBUL", "İSTANBUL"])
async def test_case_and_dotted_capital_i_find_the_same_products(catalog, text):
    assert sorted(await _skus(catalog, text)) == ["SKU-1", "SKU-4"]


@pytest.mark.parametrize("text", ["café", "cafe", "CAFÉ", "cafe\u0301", "\uff43\uff41\uff46\uff45"])
async def test_accents_and_compatibility_forms_find_the_same_products(catalog, text):
    assert sorted(await _skus(catalog, text)) == ["SKU-2", "SKU-4"]


@pytest.mark.parametrize("text", ["lamp", "LAMP", FULL_WIDTH_LAMP])
async def test_full_width_text_is_indexed_folded(catalog, text):
    assert await _skus(catalog, text) == ["SKU-3"]


async def test_updates_are_indexed_folded(container, catalog):
    products = await provide(container.storage.products)
    [hit] = await catalog.search("rug", PageRequest())
    await products.update(replace(hit.product, name="Crème brûlée dish"))
    assert await _skus(catalog, "rug") == []
    assert await _skus(catalog, "CREME BRULEE") == ["SKU-1"]


async def test_many_inactive_products_ranked_first_still_leave_a_full_page(container, leg):
    """Leaving inactive products out happens before paging, even when more of them outrank
    the active ones than a store's first cut holds (SQLite widens its top-k)."""
    needs_real_mongo(leg, "$text queries")
    products = await provide(container.storage.products)
    await products.upsert_many(
        [product(n, name=f"Lamp {n}", is_active=False) for n in range(150)]
        + [product(200 + n, name=f"Desk {n}", description="with a lamp") for n in range(3)]
    )
    search = await provide(container.storage.product_search)
    hits = await search.search("lamp", PageRequest(0, 2), active_only=True)
    everything = await search.search("lamp", PageRequest(0, 100), active_only=True)
    assert sorted(h.product.sku for h in everything) == ["SKU-200", "SKU-201", "SKU-202"]
    assert hits == everything[:2]  # equal scores: by id, the same on the first page
    assert len(await search.search("lamp", PageRequest(0, 200))) == 153
