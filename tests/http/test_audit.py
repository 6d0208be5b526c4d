"""The audit trail: one `audit` event per privileged change, with actor, action, target and
before -> after, tied to its request by request_id; on every HTTP leg."""

import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapters.audit import StructlogAuditLog
from application.audit import DISCARD
from entrypoints.container import build_container, provide
from entrypoints.http.app import create_app
from entrypoints.logs import configure_logging
from tests.conftest import make_storage
from tests.http.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    FIRST_ADMIN,
    LIFESPAN_TIMEOUTS,
    PASSWORD,
    bearer,
)

AUDITED = {
    "update_user",
    "delete_user",
    "purge_inactive_users",
    "update_product",
    "delete_product",
    "set_stock",
    "adjust_stock",
    "change_order_status",
}


class Trail:
    """The app's log lines (JSON) in memory; `events()` drains the audit ones."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def events(self, event: str = "audit") -> list[dict]:
        text = self.stream.getvalue()
        self.stream.seek(0)
        self.stream.truncate()
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == event]


@pytest.fixture
async def admin(leg, settings) -> AsyncIterator[tuple[httpx.AsyncClient, Trail, str]]:
    """(a client logged in as the first admin, the audit trail, the admin's user id)."""
    settings = settings.model_copy(update=FIRST_ADMIN)
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    trail = Trail()
    configure_logging("INFO", "json", stream=trail.stream)  # before the stack is built
    async with LifespanManager(app, **LIFESPAN_TIMEOUTS) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            form = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
            tokens = (await client.post("/api/auth/token", data=form)).json()
            client.headers.update(bearer(tokens["access_token"]))
            me = (await client.get("/api/users/me")).json()
            trail.events()
            yield client, trail, me["_id"]


def only(events: list[dict]) -> dict:
    assert len(events) == 1, events
    return events[0]


def check(event: dict, response: httpx.Response, actor: str, action: str, target: str) -> None:
    assert response.status_code < 300, response.text
    assert event["action"] == action
    assert event["target"] == target
    assert event["actor_id"] == actor and event["actor_role"] == "admin"
    assert event["request_id"] == response.headers["x-request-id"]
    assert event["logger"] == "storefront.audit" and event["level"] == "info"


async def make_user(client, name: str) -> str:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    response = await client.post("/api/users/", json=body)
    assert response.status_code == 201, response.text
    return response.json()["_id"]


async def make_product(client, sku: str, price: float = 9.99) -> str:
    response = await client.post("/api/products/", json={"sku": sku, "name": sku, "price": price})
    assert response.status_code == 201, response.text
    return response.json()["_id"]


async def test_role_change_deactivation_and_deletion_of_a_user(admin):
    client, trail, actor = admin
    user_id = await make_user(client, "carol")
    assert trail.events() == []  # creating a user is not a privileged change

    response = await client.patch(f"/api/users/{user_id}", json={"role": "moderator"})
    event = only(trail.events())
    check(event, response, actor, "user.role_change", f"user:{user_id}")
    assert (event["before"], event["after"]) == ({"role": "user"}, {"role": "moderator"})

    response = await client.patch(f"/api/users/{user_id}", json={"is_active": False})
    event = only(trail.events())
    check(event, response, actor, "user.deactivate", f"user:{user_id}")
    assert (event["before"], event["after"]) == ({"is_active": True}, {"is_active": False})

    response = await client.patch(f"/api/users/{user_id}", json={"full_name": "Carol"})
    assert response.status_code == 200 and trail.events() == []  # not a privileged field

    response = await client.delete(f"/api/users/{user_id}")
    event = only(trail.events())
    check(event, response, actor, "user.delete", f"user:{user_id}")
    assert (event["before"], event["after"]) == ({"exists": True}, {"exists": False})


async def test_a_change_that_changes_nothing_is_not_audited(admin):
    client, trail, _ = admin
    user_id = await make_user(client, "dave")
    response = await client.patch(f"/api/users/{user_id}", json={"role": "user"})
    assert response.status_code == 200
    assert trail.events() == []


async def test_a_refused_change_is_not_audited(admin):
    client, trail, _ = admin
    response = await client.patch(f"/api/users/{'0' * 24}", json={"role": "admin"})
    assert response.status_code == 404
    assert trail.events() == []


async def test_purge(admin):
    client, trail, actor = admin
    response = await client.delete("/api/admin/inactive-users", params={"days": 30})
    event = only(trail.events())
    check(event, response, actor, "users.purge", "users")
    assert event["before"] == {"inactive_for_days": 30}
    assert event["after"] == {"deleted": response.json()["deleted"]}


async def test_price_change_and_product_deletion(admin):
    client, trail, actor = admin
    product_id = await make_product(client, "AUD-1", 9.99)
    response = await client.patch(f"/api/products/{product_id}", json={"price": 12.25})
    event = only(trail.events())
    check(event, response, actor, "product.price_change", f"product:{product_id}")
    assert (event["before"], event["after"]) == ({"price": "9.99"}, {"price": "12.25"})

    response = await client.patch(f"/api/products/{product_id}", json={"name": "renamed"})
    assert response.status_code == 200 and trail.events() == []

    response = await client.delete(f"/api/products/{product_id}")
    event = only(trail.events())
    check(event, response, actor, "product.delete", f"product:{product_id}")


async def test_stock_set_and_adjust(admin):
    client, trail, actor = admin
    product_id = await make_product(client, "AUD-2")
    response = await client.put(f"/api/inventory/{product_id}", json={"quantity": 7})
    event = only(trail.events())
    check(event, response, actor, "stock.set", f"product:{product_id}")
    assert (event["before"], event["after"]) == ({"quantity": 0}, {"quantity": 7})

    response = await client.post(f"/api/inventory/{product_id}/adjust", json={"delta": -3})
    event = only(trail.events())
    check(event, response, actor, "stock.adjust", f"product:{product_id}")
    assert (event["before"], event["after"]) == ({"quantity": 7}, {"quantity": 4, "delta": -3})

    response = await client.post(f"/api/inventory/{product_id}/adjust", json={"delta": -10})
    assert response.status_code == 409 and trail.events() == []  # refused: nothing changed


async def test_order_status_change(admin, leg):
    if leg == "mongo-fake":
        pytest.skip("mongomock-motor has no transactions: orders run on the real mongo legs")
    client, trail, actor = admin
    product_id = await make_product(client, "AUD-3")
    await client.put(f"/api/inventory/{product_id}", json={"quantity": 5})
    trail.events()
    body = {"user_id": actor, "items": [{"product_id": product_id, "quantity": 2}]}
    order = await client.post("/api/orders/", json=body)
    assert order.status_code == 201, order.text
    assert trail.events() == []  # placing an order is not a privileged change
    order_id = order.json()["_id"]
    response = await client.post(f"/api/orders/{order_id}/status", json={"status": "paid"})
    event = only(trail.events())
    check(event, response, actor, "order.status_change", f"order:{order_id}")
    assert (event["before"], event["after"]) == ({"status": "pending"}, {"status": "paid"})


async def test_the_access_line_names_the_authenticated_caller(admin):
    client, trail, actor = admin
    await client.get("/api/users/me")
    (line,) = trail.events("request")
    assert line["user_id"] == actor
    await client.get("/health", headers={"Authorization": ""})
    (line,) = trail.events("request")
    assert line["user_id"] is None


async def test_the_container_gives_every_auditing_use_case_the_real_audit_log(container):
    services = await provide(container.services)
    for name in AUDITED:
        audit = getattr(services, name)._audit
        assert audit is not DISCARD and isinstance(audit, StructlogAuditLog), name
