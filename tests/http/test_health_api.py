"""Health endpoints, and Mongo- and PostgreSQL-backed apps whose server is down."""

import time

import pytest

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.http.conftest import minted_token, open_client


async def test_health_when_the_store_answers(client):
    response = await client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "healthy"
    assert health["database"]["status"] == "up"
    assert health["database"]["latency_ms"] >= 0
    assert health["timestamp"].endswith("Z")
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/health/ready")).json() == {"status": "ready"}


UNAVAILABLE = {"detail": "Database connection unavailable", "code": "unavailable"}
# each real adapter pointed at a port where nothing listens, with short timeouts
DOWN = {
    "mongo": {
        "mongodb_url": "mongodb://127.0.0.1:9/?connectTimeoutMS=200",
        "mongodb_server_selection_timeout_ms": 300,
    },
    "postgres": {
        "postgres_url": "postgresql://postgres@127.0.0.1:9/storefront",
        "postgres_connect_timeout_s": 0.5,
        "postgres_acquire_timeout_s": 0.5,
    },
}


@pytest.fixture(params=sorted(DOWN))
async def down_client(request, tmp_path):
    settings = make_settings(request.param, tmp_path, **DOWN[request.param])
    container = build_container(settings)
    started = time.monotonic()
    # nobody can log in without a store: a token the app signed, whose user read then fails
    app = create_app(settings, container)
    async for client in open_client(app, token=minted_token(container)):
        assert time.monotonic() - started < 3, "start-up must not wait on a dead database"
        yield client


async def test_an_app_starts_with_its_database_down_and_answers_503(down_client):
    assert (await down_client.get("/health/live")).status_code == 200

    response = await down_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE

    health = (await down_client.get("/health")).json()
    assert (health["status"], health["database"]) == (
        "degraded",
        {"status": "down", "latency_ms": None},
    )

    started = time.monotonic()
    response = await down_client.get("/api/users/")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE

    response = await down_client.post(
        "/api/users/", json={"email": "a@b.co", "username": "abc", "password": "12345678"}
    )
    assert response.status_code == 503
    assert (await down_client.get(f"/api/users/{'0' * 24}")).status_code == 503


@pytest.mark.parametrize("leg", ["sqlite"])
async def test_sqlite_ready_reflects_a_database_that_cannot_write(leg, settings):
    """A read-only database (here: the writer connection set query_only) and a full disk
    (here: a free-space floor above what the disk has) make /health/ready 503; writes
    answer 503 too, never 500; readiness comes back with the store."""
    from entrypoints.container import build_container, provide
    from tests.conftest import make_storage

    container = build_container(settings, make_storage(leg, settings))
    async for client in open_client(create_app(settings, container)):
        assert (await client.get("/health/ready")).status_code == 200
        db = await provide(container.storage.db)
        await db._submit(lambda conn: conn.execute("PRAGMA query_only = ON"), transactional=False)
        response = await client.get("/health/ready")
        assert (response.status_code, response.json()) == (503, UNAVAILABLE)
        health = (await client.get("/health")).json()
        assert (health["status"], health["database"]["status"]) == ("degraded", "down")
        body = {"email": "a@example.com", "username": "ada", "password": "long enough"}
        response = await client.post("/api/users/", json=body)
        assert (response.status_code, response.json()) == (503, UNAVAILABLE)
        await db._submit(lambda conn: conn.execute("PRAGMA query_only = OFF"), transactional=False)
        assert (await client.get("/health/ready")).status_code == 200

    full = settings.model_copy(update={"sqlite_min_free_bytes": 2**62})
    async for client in open_client(create_app(full)):
        response = await client.get("/health/ready")
        assert (response.status_code, response.json()) == (503, UNAVAILABLE)
        assert (await client.get("/health/live")).status_code == 200
