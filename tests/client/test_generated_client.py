"""A Python client generated from the live OpenAPI document (openapi-python-client) runs the
whole user journey: every call typed, every error parsed as the error model.

The client is generated once per module into a temporary directory (no warnings allowed) and
imported from there; its httpx client talks to the app through httpx's ASGI transport.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings, make_storage
from tests.http.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, FIRST_ADMIN

PACKAGE = "storefront_client"


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


@pytest.fixture
async def app(tmp):
    folder = tmp / f"db-{os.urandom(4).hex()}"
    folder.mkdir()
    settings = make_settings("sqlite", folder, **FIRST_ADMIN)
    application = create_app(settings, build_container(settings, make_storage("sqlite", settings)))
    async with LifespanManager(application) as manager:
        yield manager.app


def generate(document: bytes, where: Path) -> tuple[Path, str]:
    """Run the generator on `document`; the folder to import from and everything it printed."""
    source = where / "openapi.json"
    source.write_bytes(document)
    out = where / "client"
    bin_dir = Path(sys.executable).parent  # its post-hooks run ruff from this venv
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [bin_dir / "openapi-python-client", "generate", "--path", source, "--meta", "none",
         "--output-path", out / PACKAGE, "--overwrite"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed
    return out, printed


@pytest.fixture
async def sdk(app, tmp):
    """The generated package, imported from its temporary directory, an anonymous client for
    `app`, and `logged_in(username, password)` making an authenticated one."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as raw:
        document = (await raw.get("/openapi.json")).content
    folder, printed = generate(document, tmp)
    assert "warning" not in printed.lower(), printed
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        client = package.Client(base_url="http://localhost", raise_on_unexpected_status=True)
        client.set_async_httpx_client(
            httpx.AsyncClient(transport=transport, base_url="http://localhost")
        )

        async def logged_in(username: str, password: str):
            """An AuthenticatedClient of the generated package, after a typed log-in."""
            m = models(package)
            answer = await api(package, "auth.login").asyncio_detailed(
                client=client, body=m.BodyLogin(username=username, password=password)
            )
            assert isinstance(answer.parsed, m.TokenOut), answer.content
            token = answer.parsed.access_token
            authenticated = package.AuthenticatedClient(
                base_url="http://localhost", token=token, raise_on_unexpected_status=True
            )
            authenticated.set_async_httpx_client(
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://localhost",
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            return authenticated

        yield package, client, logged_in
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(package, path: str):
    return importlib.import_module(f"{package.__name__}.api.{path}")


def models(package):
    return importlib.import_module(f"{package.__name__}.models")


async def test_the_whole_journey_through_the_generated_client(sdk):
    package, anonymous, logged_in = sdk
    m = models(package)

    def expect(response, status: int, model):
        assert response.status_code == status, response.content
        assert isinstance(response.parsed, model), type(response.parsed)
        return response.parsed

    # sign up, log in
    signed = await api(package, "users.create_user").asyncio_detailed(
        client=anonymous,
        body=m.UserCreate(email="ada@example.com", username="ada", password="password1"),
    )
    user = expect(signed, 201, m.UserOut)
    assert signed.headers["Location"] == f"/api/users/{user.field_id}"
    assert user.created_at.tzinfo is not None  # a datetime, not a str
    client = await logged_in("ada", "password1")
    me = await api(package, "users.get_me").asyncio_detailed(client=client)
    assert expect(me, 200, m.UserOut).field_id == user.field_id
    admin = await logged_in(ADMIN_USERNAME, ADMIN_PASSWORD)

    # stock some products
    made = []
    for n, (name, price) in enumerate([("Walnut desk", 249.99), ("Oak chair", 89.5)]):
        created = await api(package, "products.create_product").asyncio_detailed(
            client=admin,
            body=m.ProductCreate(sku=f"SKU-{n}", name=name, price=price, tags=["wood"]),
        )
        product = expect(created, 201, m.ProductOut)
        stock = await api(package, "inventory.set_stock").asyncio_detailed(
            product.field_id, client=admin, body=m.StockSet(quantity=5)
        )
        assert expect(stock, 200, m.StockOut).quantity == 5
        made.append(product)

    # browse and search
    listed = await api(package, "products.list_products").asyncio_detailed(
        client=anonymous, limit=1
    )
    assert listed.status_code == 200 and len(listed.parsed) == 1
    assert isinstance(listed.parsed[0], m.ProductOut)
    assert listed.headers["X-Total-Count"] == "2" and 'rel="next"' in listed.headers["Link"]
    found = await api(package, "products.search_products").asyncio_detailed(
        client=client, q="walnut"
    )
    assert [hit.name for hit in found.parsed] == ["Walnut desk"]
    assert isinstance(found.parsed[0], m.SearchHitOut)

    # order with an Idempotency-Key, and its replay
    body = m.OrderCreate(
        user_id=user.field_id,
        items=[m.OrderItemIn(product_id=made[0].field_id, quantity=2)],
    )
    place = api(package, "orders.place_order")
    first = await place.asyncio_detailed(client=client, body=body, idempotency_key="k-1")
    order = expect(first, 201, m.OrderOut)
    assert order.total == 499.98 and order.status == m.OrderStatus.PENDING
    again = await place.asyncio_detailed(client=client, body=body, idempotency_key="k-1")
    assert expect(again, 200, m.OrderOut).field_id == order.field_id
    assert again.headers["Idempotent-Replayed"] == "true"

    # cancel it (with the ETag it was read at): the stock comes back
    read = await api(package, "orders.get_order").asyncio_detailed(order.field_id, client=client)
    cancelled = await api(package, "orders.change_order_status").asyncio_detailed(
        order.field_id,
        client=client,
        body=m.StatusChange(status=m.OrderStatus.CANCELLED),
        if_match=read.headers["ETag"],
    )
    assert expect(cancelled, 200, m.OrderOut).status == m.OrderStatus.CANCELLED
    stock = await api(package, "inventory.get_stock").asyncio_detailed(
        made[0].field_id, client=client
    )
    assert expect(stock, 200, m.StockOut).quantity == 5

    # analytics and maintenance, as the admin
    denied = await api(package, "analytics.report_users_by_role").asyncio_detailed(client=client)
    assert denied.status_code == 403 and isinstance(denied.parsed, m.ErrorBody)
    roles = await api(package, "analytics.report_users_by_role").asyncio_detailed(client=admin)
    assert roles.status_code == 200 and isinstance(roles.parsed[0], m.RoleCountOut)
    top = await api(package, "analytics.report_top_customers").asyncio_detailed(
        client=admin, limit=5
    )
    assert top.status_code == 200 and top.parsed == []  # the only order was cancelled
    purged = await api(package, "maintenance.purge_inactive_users").asyncio_detailed(
        client=admin, days=30
    )
    assert expect(purged, 200, m.PurgeOut).deleted == 0


async def test_every_error_parses_as_the_error_model(sdk):
    package, _, logged_in = sdk
    m = models(package)
    client = await logged_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    user = (
        await api(package, "users.create_user").asyncio_detailed(
            client=client,
            body=m.UserCreate(email="bob@example.com", username="bob", password="password1"),
        )
    ).parsed
    product = (
        await api(package, "products.create_product").asyncio_detailed(
            client=client, body=m.ProductCreate(sku="S-1", name="Lamp", price=10)
        )
    ).parsed
    place = api(package, "orders.place_order")
    cases = [
        # an order with quantity 0
        lambda: place.asyncio_detailed(
            client=client,
            body=m.OrderCreate(
                user_id=user.field_id,
                items=[m.OrderItemIn(product_id=product.field_id, quantity=0)],
            ),
        ),
        # an empty Idempotency-Key
        lambda: place.asyncio_detailed(
            client=client,
            body=m.OrderCreate(
                user_id=user.field_id,
                items=[m.OrderItemIn(product_id=product.field_id, quantity=1)],
            ),
            idempotency_key="",
        ),
        # top customers, limit=0
        lambda: api(package, "analytics.report_top_customers").asyncio_detailed(
            client=client, limit=0
        ),
        # a 2-character username
        lambda: api(package, "users.create_user").asyncio_detailed(
            client=client,
            body=m.UserCreate(email="cy@example.com", username="cy", password="password1"),
        ),
        # not enough stock (409), unknown id (404), stale ETag (412)
        lambda: place.asyncio_detailed(
            client=client,
            body=m.OrderCreate(
                user_id=user.field_id,
                items=[m.OrderItemIn(product_id=product.field_id, quantity=1)],
            ),
        ),
        lambda: api(package, "users.get_user").asyncio_detailed("0" * 24, client=client),
        lambda: api(package, "users.update_user").asyncio_detailed(
            user.field_id, client=client, body=m.UserUpdate(full_name="B"), if_match='"9"'
        ),
    ]
    statuses = []
    for call in cases:
        response = await call()
        assert isinstance(response.parsed, m.ErrorBody), (response.status_code, response.content)
        assert response.parsed.code and response.parsed.detail
        if response.status_code == 422 and response.parsed.code == "validation_error":
            problem = response.parsed.detail[0]  # typed: the model's list of problems
            assert isinstance(problem, m.ValidationProblem) and problem.loc
        statuses.append(response.status_code)
    assert statuses == [422, 422, 422, 422, 409, 404, 412]
