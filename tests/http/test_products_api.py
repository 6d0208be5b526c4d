"""The products, search, bulk and inventory routes over HTTP, on every leg that runs here."""

import json
from datetime import datetime
from decimal import Decimal

import pytest

from tests.conftest import needs_real_mongo


def body(n: int = 1, **fields) -> dict:
    return {"sku": f"SKU-{n}", "name": f"Product {n}", "price": 9.99} | fields


async def create(client, n: int = 1, **fields) -> dict:
    response = await client.post("/api/products/", json=body(n, **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def count(client) -> int:
    return int((await client.get("/api/products/")).headers["X-Total-Count"])


def exact(response) -> object:
    """The body with JSON numbers read as Decimals, to see the digits that were sent."""
    return json.loads(response.text, parse_float=Decimal)


async def test_create_echoes_fields_with_price_a_json_number(client):
    response = await client.post(
        "/api/products/",
        json=body(1, description="Warm", category="hats", tags=["wool"], is_active=False),
    )
    assert response.status_code == 201
    product = response.json()
    assert len(product["_id"]) == 24
    assert (product["sku"], product["name"], product["description"]) == (
        "SKU-1",
        "Product 1",
        "Warm",
    )
    assert (product["category"], product["tags"], product["is_active"]) == ("hats", ["wool"], False)
    assert '"price":9.99' in response.text  # a number, not a string
    assert exact(response)["price"] == Decimal("9.99")
    assert product["created_at"] == product["updated_at"]


async def test_defaults_and_whole_prices(client):
    product = await create(client, price=10)
    assert (product["description"], product["category"], product["tags"], product["is_active"]) == (
        None,
        None,
        [],
        True,
    )
    assert product["price"] == 10


async def test_money_round_trip_is_exact(client):
    made = [await create(client, n, price=0.1) for n in range(3)]
    fetched = [exact(await client.get(f"/api/products/{p['_id']}")) for p in made]
    total = sum((p["price"] for p in fetched), Decimal(0))
    assert total == Decimal("0.30")


async def test_duplicate_sku_is_409(client):
    await create(client, 1)
    response = await client.post("/api/products/", json=body(2, sku="SKU-1"))
    assert response.status_code == 409
    assert response.json() == {"detail": "sku already exists", "code": "duplicate"}
    assert await count(client) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"price": 1.999},
        {"price": -1},
        {"price": "abc"},
        {"price": {"$gt": 0}},
        {"price": 1e12},
        {"sku": "has space"},
        {"sku": "x" * 65},
        {"sku": {"$ne": None}},
        {"name": ""},
        {"name": "x" * 201},
        {"description": "x" * 5001},
        {"tags": "one"},
        {"tags": [""]},
        {"is_active": "maybe"},
        {"unexpected": 1},
    ],
)
async def test_invalid_create_is_422_and_writes_nothing(client, bad):
    response = await client.post("/api/products/", json=body(1) | bad)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert await count(client) == 0


async def test_get_and_404s(client):
    product = await create(client)
    response = await client.get(f"/api/products/{product['_id']}")
    assert (response.status_code, response.json()) == (200, product)
    for missing in ("0" * 24, "not-an-id"):
        response = await client.get(f"/api/products/{missing}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_list_pages_newest_first_with_total(client):
    made = [await create(client, n) for n in range(5)]
    response = await client.get("/api/products/", params={"skip": 1, "limit": 2})
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "5"
    # compare times, not strings: pydantic drops a zero fraction ("...:05Z" vs "...:05.001Z")
    newest_first = sorted(
        made, key=lambda p: (datetime.fromisoformat(p["created_at"]), p["_id"]), reverse=True
    )
    assert [p["_id"] for p in response.json()] == [p["_id"] for p in newest_first[1:3]]


async def test_list_filters(client, leg):
    await create(client, 1, category="hats", tags=["wool"], price=5)
    await create(client, 2, category="hats", tags=["cotton"], price=15)
    await create(client, 3, category="socks", tags=["wool"], price=25)

    async def skus(**params) -> list[str]:
        response = await client.get("/api/products/", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(response.json()))
        return sorted(p["sku"] for p in response.json())

    assert await skus(category="hats") == ["SKU-1", "SKU-2"]
    assert await skus(tag="wool") == ["SKU-1", "SKU-3"]
    assert await skus(category="hats", tag="wool") == ["SKU-1"]
    assert await skus(**{"category[$ne]": "hats"}) == ["SKU-1", "SKU-2", "SKU-3"]  # ignored
    if leg != "mongo-fake":  # mongomock cannot compare Decimal128 (real mongo leg runs this)
        assert await skus(min_price=10) == ["SKU-2", "SKU-3"]
        assert await skus(min_price="5.00", max_price="15") == ["SKU-1", "SKU-2"]
        assert await skus(category="hats", max_price=14.99) == ["SKU-1"]
        assert await skus(min_price=20, max_price=10) == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"skip": -1}, {"min_price": -1}, {"max_price": "1.234"}],
)
async def test_list_rejects_bad_query(client, params):
    assert (await client.get("/api/products/", params=params)).status_code == 422


async def test_patch_changes_only_what_is_sent(client, clock):
    product = await create(client, description="Old", category="hats", tags=["a"])
    clock.advance()  # the PATCH lands later, even within the same millisecond of real time
    response = await client.patch(f"/api/products/{product['_id']}", json={"price": 12.5})
    assert response.status_code == 200
    patched = response.json()
    assert exact(response)["price"] == Decimal("12.5")
    assert (patched["description"], patched["category"], patched["tags"]) == ("Old", "hats", ["a"])
    assert patched["created_at"] == product["created_at"]
    assert datetime.fromisoformat(patched["updated_at"]) > datetime.fromisoformat(
        product["updated_at"]
    )
    response = await client.patch(
        f"/api/products/{product['_id']}", json={"description": None, "category": None}
    )
    assert (response.json()["description"], response.json()["category"]) == (None, None)
    assert (await client.get(f"/api/products/{product['_id']}")).json() == response.json()


async def test_a_patch_that_changes_nothing_keeps_updated_at(client):
    product = await create(client)
    for change in ({}, {"name": "Product 1", "price": 9.99}):
        response = await client.patch(f"/api/products/{product['_id']}", json=change)
        assert (response.status_code, response.json()) == (200, product)


async def test_patch_errors(client):
    first, second = await create(client, 1), await create(client, 2)
    url = f"/api/products/{second['_id']}"
    response = await client.patch(url, json={"sku": first["sku"]})
    assert (response.status_code, response.json()["detail"]) == (409, "sku already exists")
    assert (await client.get(url)).json() == second
    assert (await client.patch(f"/api/products/{'0' * 24}", json={"name": "x"})).status_code == 404
    for bad in ({"price": 1.001}, {"name": None}, {"price": None}, {"sku": {"$ne": 1}}):
        assert (await client.patch(url, json=bad)).status_code == 422


async def test_delete_then_404(client):
    product = await create(client)
    response = await client.delete(f"/api/products/{product['_id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert (await client.get(f"/api/products/{product['_id']}")).status_code == 404
    assert (await client.delete(f"/api/products/{product['_id']}")).status_code == 404


async def test_search_ranks_with_a_score(client, leg):
    needs_real_mongo(leg, "$text queries")
    await create(client, 1, name="Plain mug", description="a lantern for the camp")
    await create(client, 2, name="Camping light", tags=["lantern"])
    await create(client, 3, name="Lantern deluxe")
    response = await client.get("/api/products/search", params={"q": "lantern"})
    assert response.status_code == 200
    hits = response.json()
    assert [h["sku"] for h in hits] == ["SKU-3", "SKU-2", "SKU-1"]
    assert hits[0]["score"] > hits[1]["score"] > hits[2]["score"] > 0
    assert exact(response)[0]["price"] == Decimal("9.99")
    response = await client.get("/api/products/search", params={"q": "lantern", "limit": 1})
    assert [h["sku"] for h in response.json()] == ["SKU-3"]


@pytest.mark.parametrize("q", ['"', "AND OR (", "*", "NEAR(", '-"x'])
async def test_search_syntax_in_the_query_is_never_a_500(client, leg, q):
    needs_real_mongo(leg, "$text queries")
    await create(client, 1, name="Lamp and shade")
    response = await client.get("/api/products/search", params={"q": q})
    assert response.status_code == 200
    assert isinstance(response.json(), list)


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x", "limit": 101}, {"q": "x", "skip": -1}]
)
async def test_search_rejects_bad_query(client, params):
    assert (await client.get("/api/products/search", params=params)).status_code == 422


def bulk_items(n: int, **fields) -> list[dict]:
    return [body(i, **fields) for i in range(n)]


async def test_bulk_upsert_counts_and_is_idempotent(client, leg):
    needs_real_mongo(leg, "bulk_write with update pipelines")
    response = await client.post("/api/products/bulk", json={"products": bulk_items(3)})
    assert (response.status_code, response.json()) == (
        200,
        {"matched": 0, "modified": 0, "upserted": 3},
    )
    response = await client.post("/api/products/bulk", json={"products": bulk_items(3)})
    assert response.json() == {"matched": 3, "modified": 0, "upserted": 0}
    items = bulk_items(4)
    items[0]["price"] = 1.5
    response = await client.post("/api/products/bulk", json={"products": items})
    assert response.json() == {"matched": 3, "modified": 1, "upserted": 1}
    assert await count(client) == 4


async def test_bulk_with_a_bad_item_is_422_naming_it_and_writes_nothing(client):
    items = bulk_items(5)
    items[3]["price"] = 1.234
    response = await client.post("/api/products/bulk", json={"products": items})
    assert response.status_code == 422
    assert ["body", "products", 3, "price"] in [e["loc"] for e in response.json()["detail"]]
    assert await count(client) == 0


async def test_bulk_with_a_repeated_sku_is_422_naming_both(client):
    items = [*bulk_items(3), body(1, name="again")]
    response = await client.post("/api/products/bulk", json={"products": items})
    assert response.status_code == 422
    assert response.json()["detail"] == "products[3]: sku SKU-1 repeats products[1]"
    assert await count(client) == 0


async def test_bulk_over_the_limit_is_422_with_a_clear_message(client):
    items = [{"sku": f"S{i}", "name": "n", "price": 1} for i in range(10_001)]
    response = await client.post("/api/products/bulk", json={"products": items})
    assert response.status_code == 422
    assert "at most 10000 items" in response.text
    assert await count(client) == 0


async def test_bulk_empty_and_malformed(client):
    response = await client.post("/api/products/bulk", json={"products": []})
    assert response.json() == {"matched": 0, "modified": 0, "upserted": 0}
    assert (await client.post("/api/products/bulk", json=[body()])).status_code == 422


async def test_inventory_get_set_adjust(client):
    product = await create(client)
    url = f"/api/inventory/{product['_id']}"
    response = await client.get(url)
    assert (response.status_code, response.json()) == (
        200,
        {"product_id": product["_id"], "quantity": 0},
    )
    response = await client.put(url, json={"quantity": 5})
    assert (response.status_code, response.json()["quantity"]) == (200, 5)
    response = await client.post(f"{url}/adjust", json={"delta": -2})
    assert (response.status_code, response.json()["quantity"]) == (200, 3)
    response = await client.post(f"{url}/adjust", json={"delta": -4})
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert (await client.get(url)).json()["quantity"] == 3
    response = await client.post(f"{url}/adjust", json={"delta": 7})
    assert response.json()["quantity"] == 10


async def test_inventory_404_and_422(client):
    product = await create(client)
    url = f"/api/inventory/{product['_id']}"
    for missing in (f"/api/inventory/{'0' * 24}", "/api/inventory/bogus"):
        assert (await client.get(missing)).status_code == 404
        assert (await client.put(missing, json={"quantity": 1})).status_code == 404
        assert (await client.post(f"{missing}/adjust", json={"delta": 1})).status_code == 404
    for bad in ({"quantity": -1}, {"quantity": 1.5}, {"quantity": "3"}, {"quantity": {"$gt": 1}}):
        assert (await client.put(url, json=bad)).status_code == 422
    for bad in ({"delta": 0.5}, {"delta": None}, {}, {"delta": 1, "x": 1}):
        assert (await client.post(f"{url}/adjust", json=bad)).status_code == 422


async def test_deleting_a_product_drops_its_stock(client):
    product = await create(client)
    await client.put(f"/api/inventory/{product['_id']}", json={"quantity": 4})
    await client.delete(f"/api/products/{product['_id']}")
    assert (await client.get(f"/api/inventory/{product['_id']}")).status_code == 404


async def test_openapi_declares_the_error_responses(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {"409", "422"} <= set(paths["/api/products/"]["post"]["responses"])
    assert "404" in paths["/api/products/{product_id}"]["get"]["responses"]
    assert "422" in paths["/api/products/bulk"]["post"]["responses"]
    assert "409" in paths["/api/inventory/{product_id}/adjust"]["post"]["responses"]
    assert "/api/products/search" in paths


async def test_a_repeated_tag_is_kept_once_on_create_patch_and_bulk(client, leg):
    """Tags are a set in the order first sent, on every store (SQLite's upsert once answered
    409 `duplicate` for a repeated tag on an existing sku)."""
    body = {"sku": "TAG-1", "name": "Mug", "price": 1, "tags": ["b", "a", "b", "a"]}
    created = await client.post("/api/products/", json=body)
    assert (created.status_code, created.json()["tags"]) == (201, ["b", "a"])
    product_id = created.json()["_id"]
    patched = await client.patch(f"/api/products/{product_id}", json={"tags": ["c", "c"]})
    assert (patched.status_code, patched.json()["tags"]) == (200, ["c"])
    needs_real_mongo(leg, "bulk_write with update pipelines")
    for _ in range(2):  # an insert, then an update of the same sku
        bulk = await client.post(
            "/api/products/bulk", json={"products": [body | {"sku": "TAG-2"}, body]}
        )
        assert bulk.status_code == 200, bulk.text
    listed = (await client.get("/api/products/", params={"tag": "a"})).json()
    assert sorted((p["sku"], tuple(p["tags"])) for p in listed) == [
        ("TAG-1", ("b", "a")),
        ("TAG-2", ("b", "a")),
    ]
