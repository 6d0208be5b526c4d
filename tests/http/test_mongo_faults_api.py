"""Faults injected on the real wire with the server's `failCommand` failpoint (a test command:
probed, so a server without it skips these with its answer), on both drivers: what the
drivers retry by themselves, and what the app answers when they give up."""

import time

import pytest

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import REAL_MONGO_LEGS, make_storage, prepare_leg
from tests.http.conftest import open_client
from tests.mongo_server import needs_capability

APP_NAME = "storefront"  # the adapter's client names itself so; failpoints hit only the app


@pytest.fixture(params=list(REAL_MONGO_LEGS))
def leg(request) -> str:
    return prepare_leg(request, request.param)


@pytest.fixture
def failpoint(mongo_admin, mongo_capabilities):
    """arm(times=N, **data): fail the app's next N matching commands, as failCommand does."""
    needs_capability(mongo_capabilities, "failpoints")

    def arm(times: int = 1, **data) -> None:
        mongo_admin.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": times},
            data={"appName": APP_NAME, **data},
        )

    yield arm
    mongo_admin.admin.command("configureFailPoint", "failCommand", mode="off")


async def stocked_product(client, quantity: int) -> str:
    product = await client.post("/api/products/", json={"sku": "F-1", "name": "F", "price": 3})
    assert product.status_code == 201, product.text
    product_id = product.json()["_id"]
    await client.put(f"/api/inventory/{product_id}", json={"quantity": quantity})
    return product_id


async def a_user(client) -> str:
    body = {"email": "f@example.com", "username": "faulty", "password": "x" * 8}
    response = await client.post("/api/users/", json=body)
    assert response.status_code == 201, response.text
    return response.json()["_id"]


async def test_a_transient_commit_error_reruns_the_transaction_and_orders_once(client, failpoint):
    user_id, product_id = await a_user(client), await stocked_product(client, 5)
    failpoint(
        failCommands=["commitTransaction"],
        errorCode=112,  # WriteConflict
        errorLabels=["TransientTransactionError"],
    )
    order = {"user_id": user_id, "items": [{"product_id": product_id, "quantity": 2}]}
    placed = await client.post("/api/orders/", json=order)
    assert placed.status_code == 201, placed.text
    orders = (await client.get("/api/orders/", params={"user_id": user_id})).json()
    assert [o["_id"] for o in orders] == [placed.json()["_id"]]
    assert (await client.get(f"/api/inventory/{product_id}")).json()["quantity"] == 3


async def test_a_dropped_connection_on_a_read_is_retried_once_then_503(client, failpoint):
    user_id = await a_user(client)
    failpoint(failCommands=["find"], closeConnection=True)
    assert (await client.get(f"/api/users/{user_id}")).status_code == 200  # retryReads
    failpoint(times=2, failCommands=["find"], closeConnection=True)
    response = await client.get(f"/api/users/{user_id}")
    assert (response.status_code, response.json()) == (
        503,
        {"detail": "Database connection unavailable", "code": "unavailable"},
    )
    assert (await client.get(f"/api/users/{user_id}")).status_code == 200


async def test_an_operation_past_timeout_ms_is_504_and_the_next_one_works(leg, settings, failpoint):
    timed = settings.model_copy(update={"mongodb_timeout_ms": 300})
    app = create_app(timed, build_container(timed, make_storage(leg, timed)))
    async for client in open_client(app, as_admin=True):
        user_id = await a_user(client)
        failpoint(failCommands=["find"], blockConnection=True, blockTimeMS=2000)
        started = time.monotonic()
        response = await client.get(f"/api/users/{user_id}")
        assert (response.status_code, response.json()) == (
            504,
            {"detail": "Database operation timed out", "code": "timeout"},
        )
        assert time.monotonic() - started < 1.5
        assert (await client.get(f"/api/users/{user_id}")).status_code == 200


async def test_an_unknown_commit_result_retries_the_commit_and_orders_once(client, failpoint):
    user_id, product_id = await a_user(client), await stocked_product(client, 5)
    failpoint(
        failCommands=["commitTransaction"],
        errorCode=9001,  # SocketException
        errorLabels=["UnknownTransactionCommitResult"],
    )
    order = {"user_id": user_id, "items": [{"product_id": product_id, "quantity": 2}]}
    placed = await client.post("/api/orders/", json=order)
    assert placed.status_code == 201, placed.text
    orders = (await client.get("/api/orders/", params={"user_id": user_id})).json()
    assert [o["_id"] for o in orders] == [placed.json()["_id"]]
    assert (await client.get(f"/api/inventory/{product_id}")).json()["quantity"] == 3


async def test_a_transient_error_inside_the_transaction_reruns_it(client, failpoint):
    user_id, product_id = await a_user(client), await stocked_product(client, 5)
    failpoint(failCommands=["insert"], errorCode=112, errorLabels=["TransientTransactionError"])
    order = {"user_id": user_id, "items": [{"product_id": product_id, "quantity": 2}]}
    placed = await client.post("/api/orders/", json=order)
    assert placed.status_code == 201, placed.text
    assert (await client.get(f"/api/inventory/{product_id}")).json()["quantity"] == 3
