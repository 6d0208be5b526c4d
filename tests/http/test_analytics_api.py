"""Analytics and maintenance over HTTP, with a clock the tests move (a provider override)."""

from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings, make_storage
from tests.http.conftest import open_client

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


class MovableClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
async def client(leg, settings, clock):
    container = build_container(settings, make_storage(leg, settings))
    container.clock.override(providers.Object(clock))
    async for c in open_client(create_app(settings, container)):
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
    assert (response.status_code, response.json()) == (200, [])
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
        {"role": "user", "total_users": 2, "active_users": 1, "inactive_users": 1},
        {"role": "admin", "total_users": 1, "active_users": 0, "inactive_users": 1},
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
    assert [u["_id"] for u in (await client.get("/api/users/")).json()] == [old_active["_id"]]


async def test_a_user_updated_recently_is_not_purged(client, clock):
    user = await create(client, clock, 1, T0)
    clock.moment = T0 + timedelta(days=400)
    response = await client.patch(f"/api/users/{user['_id']}", json={"is_active": False})
    assert response.status_code == 200
    clock.moment = T0 + timedelta(days=401)
    response = await client.delete("/api/admin/inactive-users", params={"days": 365})
    assert response.json() == {"deleted": 0}


async def test_purge_with_a_huge_day_count_deletes_nothing(client, clock):
    await create(client, clock, 1, T0, is_active=False)
    response = await client.delete("/api/admin/inactive-users", params={"days": 10**12})
    assert (response.status_code, response.json()) == (200, {"deleted": 0})


@pytest.mark.parametrize("days", ["0", "-1", "1.5", "abc", "", '{"$gt": 0}'])
async def test_purge_days_must_be_a_whole_number_of_at_least_one(client, clock, days):
    await create(client, clock, 1, T0 - timedelta(days=1000), is_active=False)
    clock.moment = T0
    response = await client.delete("/api/admin/inactive-users", params={"days": days})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert int((await client.get("/api/users/")).headers["X-Total-Count"]) == 1


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


@pytest.fixture
async def down_client(tmp_path):
    """The real Mongo adapter pointed at a port where nothing listens."""
    settings = make_settings(
        "mongo",
        tmp_path,
        mongodb_url="mongodb://127.0.0.1:9/?connectTimeoutMS=200",
        mongodb_server_selection_timeout_ms=300,
    )
    async for client in open_client(create_app(settings)):
        yield client


async def test_reports_and_purge_are_503_when_the_store_is_down(down_client):
    unavailable = {"detail": "Database connection unavailable", "code": "unavailable"}
    for response in (
        await down_client.get("/api/analytics/users/by-role"),
        await registrations(down_client, "2026-01-01", "2026-01-31"),
        await down_client.delete("/api/admin/inactive-users", params={"days": 30}),
    ):
        assert (response.status_code, response.json()) == (503, unavailable)
