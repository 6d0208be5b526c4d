"""The app's lifespan runs pending-order expiry by itself (ORDER_PENDING_TTL_MINUTES)."""

import asyncio
from datetime import UTC, datetime, timedelta

from dependency_injector import providers

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_storage
from tests.http.conftest import open_client
from tests.orders_support import skip_without_transactions


class MovableClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


async def test_an_order_left_pending_past_its_ttl_is_cancelled_and_its_stock_returned(
    leg, settings
):
    skip_without_transactions(leg)
    settings = settings.model_copy(
        update={"order_pending_ttl_minutes": 60, "order_expiry_interval_s": 0.05}
    )
    clock = MovableClock()
    container = build_container(settings, make_storage(leg, settings))
    container.clock.override(providers.Object(clock))
    async for client in open_client(create_app(settings, container), as_admin=True):
        user = await client.post(
            "/api/users/",
            json={"email": "a@example.com", "username": "ada", "password": "long enough"},
        )
        product = await client.post("/api/products/", json={"sku": "A", "name": "A", "price": 1})
        pid = product.json()["_id"]
        await client.put(f"/api/inventory/{pid}", json={"quantity": 10})
        body = {"user_id": user.json()["_id"], "items": [{"product_id": pid, "quantity": 3}]}
        order = (await client.post("/api/orders/", json=body)).json()
        clock.moment += timedelta(minutes=59)
        await asyncio.sleep(0.2)
        assert (await client.get(f"/api/orders/{order['_id']}")).json()["status"] == "pending"
        clock.moment += timedelta(minutes=2)
        for _ in range(100):
            if (await client.get(f"/api/orders/{order['_id']}")).json()["status"] != "pending":
                break
            await asyncio.sleep(0.05)
        assert (await client.get(f"/api/orders/{order['_id']}")).json()["status"] == "cancelled"
        assert (await client.get(f"/api/inventory/{pid}")).json()["quantity"] == 10
