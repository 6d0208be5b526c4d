"""Analytics and maintenance over HTTP, with a clock the tests move (a provider override)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from dependency_injector import providers

from domain.ids import new_id
from domain.orders import OrderStatus
from domain.products import Product
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings, make_storage, needs_real_mongo
from tests.http.conftest import minted_token, open_client
from tests.orders_support import make_order, skip_without_transactions, write_orders

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
BOOT = datetime(2020, 1, 1, tzinfo=UTC)  # when the app starts: the first admin's sign-up


class MovableClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(BOOT)


@pytest.fixture
def container(leg, settings, clock):
    container = build_container(settings, make_storage(leg, settings))
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
async def client(settings, container):
    """Logged in as the first admin (who signed up at BOOT, before every day asked about)."""
    async for c in open_client(create_app(settings, container), as_admin=True):
        yield c


async def create(client, clock, n: int, at: datetime, **fields) -> dict:
    clock.moment = at
    body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": "long enough"}
    response = await client.post("/api/users/", json=body | fields)
    assert response.status_code == 201, response.text
    return response.json()


async def registrations(client, start: str, end: str):
    return await client.get(
        "/api/analytics/users/registrations", params={"start": start, "end": end}
    )


async def test_reports_on_an_empty_store(client):
    response = await client.get("/api/analytics/users/by-role")
    first_admin = {"role": "admin", "total_users": 1, "active_users": 1, "inactive_users": 0}
    assert (response.status_code, response.json()) == (200, [first_admin])
    response = await registrations(client, "2026-01-01", "2026-12-31")
    assert (response.status_code, response.json()) == (200, [])


async def test_users_by_role(client, clock):
    await create(client, clock, 1, T0, role="moderator")
    await create(client, clock, 2, T0, role="admin", is_active=False)
    await create(client, clock, 3, T0)
    await create(client, clock, 4, T0, is_active=False)
    response = await client.get("/api/analytics/users/by-role")
    assert response.status_code == 200
    assert response.json() == [
        {"role": "admin", "total_users": 2, "active_users": 1, "inactive_users": 1},
        {"role": "user", "total_users": 2, "active_users": 1, "inactive_users": 1},
        {"role": "moderator", "total_users": 1, "active_users": 1, "inactive_users": 0},
    ]


async def test_registrations_per_utc_day_at_midnight(client, clock):
    await create(client, clock, 1, T0 - MS)  # 2026-02-28T23:59:59.999Z
    await create(client, clock, 2, T0)  # 2026-03-01T00:00:00.000Z
    await create(client, clock, 3, T0 + timedelta(days=1) - MS)
    await create(client, clock, 4, T0 + timedelta(days=2, hours=5))
    response = await registrations(client, "2026-03-01", "2026-03-03")
    assert response.status_code == 200
    assert response.json() == [
        {"date": "2026-03-01", "registrations": 2},
        {"date": "2026-03-03", "registrations": 1},
    ]
    response = await registrations(client, "2026-02-28", "2026-02-28")
    assert response.json() == [{"date": "2026-02-28", "registrations": 1}]
    # a leap year, 366 days with both ends included, is the longest range
    assert (await registrations(client, "2024-01-01", "2024-12-31")).status_code == 200


@pytest.mark.parametrize(
    ("start", "end", "detail"),
    [
        ("2026-03-02", "2026-03-01", "start must be on or before end"),
        ("2024-01-01", "2025-01-01", "at most 366 days"),
    ],
)
async def test_bad_ranges_are_422_with_a_domain_code(client, start, end, detail):
    response = await registrations(client, start, end)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2026-03-01"},
        {"end": "2026-03-01"},
        {"start": "2026-13-01", "end": "2026-12-31"},
        {"start": "yesterday", "end": "2026-03-01"},
        {"start[$ne]": "x", "end": "2026-03-01"},
        {"start": '{"$gte": ""}', "end": "2026-03-01"},
    ],
)
async def test_missing_or_malformed_dates_are_422(client, params):
    response = await client.get("/api/analytics/users/registrations", params=params)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_purge_deletes_old_inactive_users_and_keeps_the_cutoff(client, clock):
    old_inactive = await create(client, clock, 1, T0, is_active=False)
    old_active = await create(client, clock, 2, T0)
    at_cutoff = await create(client, clock, 3, T0 + MS, is_active=False)
    recent = await create(client, clock, 4, T0 + timedelta(days=300), is_active=False)

    clock.moment = T0 + MS + timedelta(days=365)  # at_cutoff is exactly 365 days old
    response = await client.delete("/api/admin/inactive-users", params={"days": 365})
    assert (response.status_code, response.json()) == (200, {"deleted": 1})
    assert (await client.get(f"/api/users/{old_inactive['_id']}")).status_code == 404
    for kept in (old_active, at_cutoff, recent):
        assert (await client.get(f"/api/users/{kept['_id']}")).status_code == 200

    clock.moment += MS  # now at_cutoff is older; days defaults to 365
    response = await client.delete("/api/admin/inactive-users")
    assert (response.status_code, response.json()) == (200, {"deleted": 1})
    response = await client.delete("/api/admin/inactive-users", params={"days": 1})
    assert (response.status_code, response.json()) == (200, {"deleted": 1})
    remaining = [u["username"] for u in (await client.get("/api/users/")).json()]
    assert remaining == [old_active["username"], "admin"]  # the first admin is active


async def test_a_user_updated_recently_is_not_purged(client, clock):
    user = await create(client, clock, 1, T0)
    clock.moment = T0 + timedelta(days=400)
    response = await client.patch(f"/api/users/{user['_id']}", json={"is_active": False})
    assert response.status_code == 200
    clock.moment = T0 + timedelta(days=401)
    response = await client.delete("/api/admin/inactive-users", params={"days": 365})
    assert response.json() == {"deleted": 0}


async def test_purge_day_count_is_bounded_and_the_largest_deletes_nothing_newer(client, clock):
    await create(client, clock, 1, T0, is_active=False)
    response = await client.delete("/api/admin/inactive-users", params={"days": 10**12})
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    response = await client.delete("/api/admin/inactive-users", params={"days": 36_500})
    assert (response.status_code, response.json()) == (200, {"deleted": 0})


@pytest.mark.parametrize("days", ["0", "-1", "1.5", "abc", "", '{"$gt": 0}'])
async def test_purge_days_must_be_a_whole_number_of_at_least_one(client, clock, days):
    await create(client, clock, 1, T0 - timedelta(days=1000), is_active=False)
    clock.moment = T0
    response = await client.delete("/api/admin/inactive-users", params={"days": days})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert int((await client.get("/api/users/")).headers["X-Total-Count"]) == 2  # + the admin


# --- top customers ---------------------------------------------------------------------------


async def top_customers(client, **params):
    return await client.get("/api/analytics/customers/top", params=params)


def stored_order(user_id: str, price: str, quantity: int = 1, status=OrderStatus.PAID):
    product = Product(new_id(), "SKU-1", "Product", Decimal(price), T0, T0)
    return make_order(user_id, [(product, quantity)], status=status)


async def test_top_customers_of_an_empty_store(client):
    response = await top_customers(client)
    assert (response.status_code, response.json()) == (200, [])


async def test_top_customers_row_shape_and_exact_money(client, clock, container, leg):
    """One customer, so mongomock runs the whole pipeline too ($sort has nothing to compare)."""
    alice = await create(client, clock, 1, T0)
    await create(client, clock, 2, T0)  # no orders: no row
    await write_orders(
        container,
        leg,
        [
            stored_order(alice["_id"], "0.10", 1),
            stored_order(alice["_id"], "0.10", 2, status=OrderStatus.DELIVERED),
            stored_order(alice["_id"], "99.99", 1, status=OrderStatus.CANCELLED),
        ],
    )
    response = await top_customers(client)
    assert response.status_code == 200
    assert response.json() == [
        {
            "_id": alice["_id"],
            "username": "user1",
            "email": "u1@example.com",
            "order_count": 2,
            "total_spent": 0.3,
        }
    ]
    assert '"total_spent":0.3}' in response.text  # a JSON number with the exact digits


async def test_top_customers_rank_and_limit(client, clock, container, leg):
    needs_real_mongo(leg, "$sort on Decimal128 totals (two or more customers to rank)")
    a, b, c, d = [await create(client, clock, n, T0) for n in range(1, 5)]
    orders = [stored_order(a["_id"], "5.00") for _ in range(2)]
    orders += [stored_order(b["_id"], "1.00"), stored_order(b["_id"], "9.50")]
    orders += [stored_order(c["_id"], "50.00"), stored_order(d["_id"], "50.00")]
    await write_orders(container, leg, orders)
    response = await top_customers(client, limit=3)
    assert response.status_code == 200
    c_d = sorted([c["_id"], d["_id"]])
    assert [(r["_id"], r["order_count"], r["total_spent"]) for r in response.json()] == [
        (b["_id"], 2, 10.5),
        (a["_id"], 2, 10),
        (c_d[0], 1, 50),
    ]
    assert len((await top_customers(client)).json()) == 4  # limit defaults to 10


async def test_top_customers_from_orders_placed_and_cancelled_over_http(client, clock, leg):
    skip_without_transactions(leg)
    buyer = await create(client, clock, 1, T0)
    product = (
        await client.post("/api/products/", json={"sku": "LAMP", "name": "Lamp", "price": 12.5})
    ).json()
    await client.put(f"/api/inventory/{product['_id']}", json={"quantity": 10})
    placed = []
    for quantity in (1, 2, 3):
        body = {
            "user_id": buyer["_id"],
            "items": [{"product_id": product["_id"], "quantity": quantity}],
        }
        response = await client.post("/api/orders/", json=body)
        assert response.status_code == 201, response.text
        placed.append(response.json())
    response = await client.post(
        f"/api/orders/{placed[2]['_id']}/status", json={"status": "cancelled"}
    )
    assert response.status_code == 200, response.text
    rows = (await top_customers(client)).json()
    assert [(r["_id"], r["order_count"], r["total_spent"]) for r in rows] == [
        (buyer["_id"], 2, 37.5)
    ]
    # purged: inactive and unchanged for over a year; the report drops the user, not the orders
    await client.patch(f"/api/users/{buyer['_id']}", json={"is_active": False})
    clock.moment = T0 + timedelta(days=400)
    assert (await client.delete("/api/admin/inactive-users")).json() == {"deleted": 1}
    assert (await top_customers(client)).json() == []
    assert (await client.get(f"/api/orders/{placed[0]['_id']}")).status_code == 200


@pytest.mark.parametrize("limit", ["0", "-1", "101", "1.5", "abc", "", '{"$gt": 0}'])
async def test_top_customers_limit_must_be_1_to_100(client, limit):
    response = await client.get("/api/analytics/customers/top", params={"limit": limit})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


@pytest.mark.parametrize("limit", [1, 100])
async def test_top_customers_limit_bounds_are_200(client, limit):
    response = await top_customers(client, limit=limit)
    assert (response.status_code, response.json()) == (200, [])


async def test_openapi_declares_the_routes_and_their_errors(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    by_role = paths["/api/analytics/users/by-role"]["get"]["responses"]
    assert {"200", "503", "504"} <= by_role.keys()
    regs = paths["/api/analytics/users/registrations"]["get"]
    assert {"200", "422", "503", "504"} <= regs["responses"].keys()
    assert {p["name"]: p["required"] for p in regs["parameters"]} == {"start": True, "end": True}
    purge = paths["/api/admin/inactive-users"]["delete"]
    assert {"200", "422", "503", "504"} <= purge["responses"].keys()
    (days,) = purge["parameters"]
    assert (days["name"], days["schema"]["minimum"], days["schema"]["default"]) == ("days", 1, 365)
    top = paths["/api/analytics/customers/top"]["get"]
    assert {"200", "422", "503", "504"} <= top["responses"].keys()
    (limit,) = top["parameters"]
    schema = limit["schema"]
    assert (limit["name"], schema["minimum"], schema["maximum"], schema["default"]) == (
        "limit",
        1,
        100,
        10,
    )


@pytest.fixture
async def down_client(tmp_path):
    """The real Mongo adapter pointed at a port where nothing listens."""
    settings = make_settings(
        "mongo",
        tmp_path,
        mongodb_url="mongodb://127.0.0.1:9/?connectTimeoutMS=200",
        mongodb_server_selection_timeout_ms=300,
    )
    container = build_container(settings)
    # no login without a store: a token the app signed, whose user read then meets the outage
    token = minted_token(container)
    async for client in open_client(create_app(settings, container), token=token):
        yield client


async def test_reports_and_purge_are_503_when_the_store_is_down(down_client):
    unavailable = {"detail": "Database connection unavailable", "code": "unavailable"}
    for response in (
        await down_client.get("/api/analytics/users/by-role"),
        await registrations(down_client, "2026-01-01", "2026-01-31"),
        await top_customers(down_client),
        await down_client.delete("/api/admin/inactive-users", params={"days": 30}),
    ):
        assert (response.status_code, response.json()) == (503, unavailable)
