"""The orders resource over HTTP."""

import asyncio

import pytest

from tests.orders_support import skip_without_transactions


@pytest.fixture(autouse=True)
def _needs_transactions(leg):
    skip_without_transactions(leg)


async def make_user(client, n=1) -> str:
    body = {"email": f"o{n}@example.com", "username": f"orderer{n}", "password": "password1"}
    return (await client.post("/api/users/", json=body)).json()["_id"]


async def make_product(client, n=1, price=9.99, stock=10, **fields) -> str:
    body = {"sku": f"SKU-{n}", "name": f"Product {n}", "price": price} | fields
    response = await client.post("/api/products/", json=body)
    assert response.status_code == 201, response.text
    product_id = response.json()["_id"]
    response = await client.put(f"/api/inventory/{product_id}", json={"quantity": stock})
    assert response.status_code == 200, response.text
    return product_id


async def stock(client, product_id) -> int:
    return (await client.get(f"/api/inventory/{product_id}")).json()["quantity"]


def order_body(user_id, *lines) -> dict:
    return {"user_id": user_id, "items": [{"product_id": p, "quantity": q} for p, q in lines]}


async def test_place_get_and_list(client):
    user = await make_user(client)
    dime, pen = await make_product(client, 1, price=0.10), await make_product(client, 2, price=2.5)
    response = await client.post(
        "/api/orders/", json=order_body(user, (dime, 2), (pen, 1), (dime, 1))
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["user_id"] == user and order["status"] == "pending"
    assert order["total"] == 2.8
    lines = {i["product_id"]: i for i in order["items"]}
    assert lines[dime] == {"product_id": dime, "name": "Product 1", "price": 0.1,
                           "quantity": 3, "subtotal": 0.3}  # fmt: skip
    assert await stock(client, dime) == 7
    assert (await client.get(f"/api/orders/{order['_id']}")).json() == order

    listed = await client.get("/api/orders/", params={"user_id": user, "status": "pending"})
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "1" and listed.json() == [order]
    listed = await client.get("/api/orders/", params={"status": "paid"})
    assert listed.headers["X-Total-Count"] == "0" and listed.json() == []
    listed = await client.get("/api/orders/", params={"user_id": "not-an-id"})
    assert listed.json() == []


async def test_not_found(client):
    for order_id in ("f" * 24, "nope"):
        assert (await client.get(f"/api/orders/{order_id}")).status_code == 404
        response = await client.post(f"/api/orders/{order_id}/status", json={"status": "paid"})
        assert response.status_code == 404


async def test_short_stock_is_409_naming_the_product(client):
    user = await make_user(client)
    p = await make_product(client, stock=1)
    response = await client.post("/api/orders/", json=order_body(user, (p, 2)))
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock" and p in response.json()["detail"]
    assert await stock(client, p) == 1


async def test_invalid_orders_are_422_and_change_nothing(client):
    user = await make_user(client)
    p = await make_product(client)
    off = await make_product(client, 2, is_active=False)
    bodies = [
        order_body("f" * 24, (p, 1)),
        order_body(user, (p, 1), ("e" * 24, 1)),
        order_body(user, (off, 1)),
        order_body(user, (p, 0)),
        order_body(user),
        {"user_id": {"$ne": None}, "items": [{"product_id": p, "quantity": 1}]},
        {"user_id": user, "items": [{"product_id": p, "quantity": 1, "price": 0}]},
        {"user_id": user},
    ]
    for body in bodies:
        response = await client.post("/api/orders/", json=body)
        assert response.status_code == 422, body
    assert await stock(client, p) == 10
    assert (await client.get("/api/orders/")).headers["X-Total-Count"] == "0"


async def test_idempotency_key(client):
    user = await make_user(client)
    p = await make_product(client)
    headers = {"Idempotency-Key": "retry-1"}
    first = await client.post("/api/orders/", json=order_body(user, (p, 2)), headers=headers)
    assert first.status_code == 201
    again = await client.post("/api/orders/", json=order_body(user, (p, 2)), headers=headers)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await stock(client, p) == 8
    other = await client.post("/api/orders/", json=order_body(user, (p, 3)), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    racing = await asyncio.gather(
        *(client.post("/api/orders/", json=order_body(user, (p, 1)),
                      headers={"Idempotency-Key": "race"}) for _ in range(5))
    )  # fmt: skip
    assert sorted(r.status_code for r in racing) == [200, 200, 200, 200, 201]
    assert len({r.json()["_id"] for r in racing}) == 1
    assert await stock(client, p) == 7
    long_key = {"Idempotency-Key": "k" * 256}
    response = await client.post("/api/orders/", json=order_body(user, (p, 1)), headers=long_key)
    assert response.status_code == 422


async def test_status_moves(client):
    user = await make_user(client)
    p = await make_product(client, stock=5)
    order = (await client.post("/api/orders/", json=order_body(user, (p, 2)))).json()
    url = f"/api/orders/{order['_id']}/status"
    paid = await client.post(url, json={"status": "paid"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert paid.json()["updated_at"] >= order["updated_at"]
    illegal = await client.post(url, json={"status": "delivered"})
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_status_change"
    assert (await client.post(url, json={"status": "lost"})).status_code == 422
    cancelled = await client.post(url, json={"status": "cancelled"})
    assert cancelled.status_code == 200
    assert await stock(client, p) == 5
    assert (await client.post(url, json={"status": "paid"})).status_code == 409
