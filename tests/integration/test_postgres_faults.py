"""Real-server faults on PostgreSQL, without ever stopping the machine's server.

Connections are killed with pg_terminate_backend (chosen by the application_name each test
gives its pool), the network is broken by a TCP proxy between the service and the server, and
slow statements are made by holding a table lock or by pg_sleep. Timings are printed (-s).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from domain.errors import StoreTimeoutError, UnavailableError
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import make_settings
from tests.http.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    FIRST_ADMIN,
    bearer,
    open_client,
)
from tests.tcp_proxy import TcpProxy

UNAVAILABLE = {"detail": "Database connection unavailable", "code": "unavailable"}
TIMED_OUT = {"detail": "Database operation timed out", "code": "timeout"}
COMMAND_TIMEOUT_S = ACQUIRE_TIMEOUT_S = CONNECT_TIMEOUT_S = 1.0


def via(url: str, port: int) -> str:
    """`url` pointed at 127.0.0.1:`port` (the proxy), same user and database."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    return parts._replace(
        netloc=f"{auth}@127.0.0.1:{port}" if auth else f"127.0.0.1:{port}"
    ).geturl()


def report(what: str, seconds: float) -> None:
    print(f"\n[postgres faults] {what}: {seconds * 1000:.0f} ms")


@pytest.fixture
def pg_settings(tmp_path, postgres_url, postgres_schema) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        values = {
            "postgres_url": postgres_url,
            "postgres_schema": postgres_schema,
            "postgres_application_name": f"storefront-faults-{postgres_schema}",
            "postgres_min_pool_size": 2,
            "postgres_max_pool_size": 4,
            "postgres_command_timeout_s": COMMAND_TIMEOUT_S,
            "postgres_acquire_timeout_s": ACQUIRE_TIMEOUT_S,
            "postgres_connect_timeout_s": CONNECT_TIMEOUT_S,
        }
        return make_settings("postgres", tmp_path, **(values | overrides))

    return make


@pytest.fixture
async def admin(postgres_url) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, beside the service's pool."""
    conn = await asyncpg.connect(postgres_url)
    yield conn
    await conn.close()


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    import os

    target = urlsplit(os.environ.get("POSTGRES_URL", "postgresql://127.0.0.1:5432"))
    p = await TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    yield p
    await p.close()


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, logged in as its first admin when the server answers at start-up
    (else anonymous: nobody can log in without a store)."""
    app = create_app(settings.model_copy(update=FIRST_ADMIN))
    async for client in open_client(app):
        response = await client.post(
            "/api/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
        if response.status_code == 200:
            client.headers.update(bearer(response.json()["access_token"]))
        yield client


@asynccontextmanager
async def table_locked(postgres_url: str, schema: str) -> AsyncIterator[None]:
    """Hold an ACCESS EXCLUSIVE lock on users, so every statement on it waits."""
    conn = await asyncpg.connect(postgres_url)
    try:
        async with conn.transaction():
            await conn.execute(f'LOCK TABLE "{schema}".users IN ACCESS EXCLUSIVE MODE')
            yield
    finally:
        await conn.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> float:
    """Seconds until `check()` is true; fails after `within` seconds."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within, f"not true within {within} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def create_user(client: httpx.AsyncClient, n: int) -> None:
    body = {"email": f"user{n}@example.com", "username": f"user{n}", "password": "12345678"}
    response = await client.post("/api/users/", json=body)
    assert response.status_code == 201, response.text


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def backends(admin: asyncpg.Connection, app_name: str, waiting: bool = False) -> int:
    return await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        " AND (NOT $2 OR wait_event_type = 'Lock')",
        app_name,
        waiting,
    )


async def kill(admin: asyncpg.Connection, app_name: str) -> int:
    """pg_terminate_backend on every backend of the service's pool; how many were killed."""
    rows = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        app_name,
    )
    return sum(1 for (killed,) in rows if killed)


async def test_killed_connections_answer_503_and_the_next_requests_succeed(
    pg_settings, admin, postgres_url, postgres_schema
):
    settings = pg_settings(postgres_command_timeout_s=30.0, postgres_acquire_timeout_s=5.0)
    app_name = settings.postgres_application_name
    async with serve(settings) as client:
        await create_user(client, 1)

        # four requests waiting on the server, then their backends are killed
        async with table_locked(postgres_url, postgres_schema):
            requests = [asyncio.create_task(client.get("/api/users/")) for _ in range(4)]
            await eventually(lambda: _equals(backends(admin, app_name, waiting=True), 4), 5)
            started = time.monotonic()
            killed = await kill(admin, app_name)
            responses = await asyncio.gather(*requests)
            report("4 in-flight requests killed -> all answered", time.monotonic() - started)
        assert killed == 4
        assert [r.status_code for r in responses] == [503] * 4
        assert all(r.json() == UNAVAILABLE for r in responses)

        # the next ones succeed: the pool replaces the dead connections, no restart
        response, seconds = await timed(client.get("/api/users/"))
        report("first request after the kill", seconds)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "2"  # user1 and the first admin
        await create_user(client, 2)
        assert (await client.get("/health/ready")).status_code == 200

        # idle pooled connections killed: a request sent at that very moment may still meet
        # its backend dying (503, as for any request in flight); the next ones succeed
        assert await backends(admin, app_name) >= 1
        await kill(admin, app_name)
        assert (await client.get("/api/users/")).status_code in {200, 503}
        for _ in range(4):
            response = await client.get("/api/users/")
            assert response.status_code == 200
            assert response.headers["X-Total-Count"] == "3"
        assert (await client.get("/health/ready")).status_code == 200
        await create_user(client, 3)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_a_cut_network_answers_503_at_once_then_recovers(pg_settings, proxy, postgres_url):
    settings = pg_settings(postgres_url=via(postgres_url, proxy.port))
    async with serve(settings) as client:
        await create_user(client, 1)

        proxy.cut()
        for call in (
            client.get("/api/users/"),
            client.post(
                "/api/users/", json={"email": "x@y.zz", "username": "xyz", "password": "x" * 8}
            ),
            client.get("/health/ready"),
            client.get("/api/users/"),
        ):
            response, seconds = await timed(call)
            report(f"cut: {response.request.method} {response.request.url.path}", seconds)
            assert response.status_code == 503
            assert response.json() == UNAVAILABLE
            assert seconds < ACQUIRE_TIMEOUT_S + 0.5

        proxy.restore()
        seconds = await eventually(lambda: _ok(client, "/api/users/"), 10)
        report("cut: recovered after restore", seconds)
        assert (await client.get("/health/ready")).status_code == 200
        await create_user(client, 2)


async def test_a_black_holed_network_answers_within_the_timeouts_then_recovers(
    pg_settings, proxy, postgres_url
):
    settings = pg_settings(postgres_url=via(postgres_url, proxy.port))
    async with serve(settings) as client:
        await create_user(client, 1)

        proxy.stall()
        # the command timeout (server side + 0.5 s client side), or the acquire/connect timeout
        bound = COMMAND_TIMEOUT_S + 0.5 + 0.5
        for path in ("/api/users/", "/api/users/", "/health/ready", "/api/users/"):
            response, seconds = await timed(client.get(path))
            report(f"stall: GET {path} -> {response.status_code}", seconds)
            assert response.status_code in {503, 504}
            assert response.json() in (UNAVAILABLE, TIMED_OUT)
            assert seconds < bound
            if path == "/health/ready":
                assert response.status_code == 503

        proxy.restore()
        seconds = await eventually(lambda: _ok(client, "/api/users/"), 10)
        report("stall: recovered after restore", seconds)
        assert (await client.get("/health/ready")).status_code == 200
        await create_user(client, 2)


async def test_the_service_starts_with_the_server_unreachable_and_recovers_by_itself(
    pg_settings, proxy, postgres_url
):
    proxy.cut()
    settings = pg_settings(postgres_url=via(postgres_url, proxy.port))
    started = time.monotonic()
    async with serve(settings) as client:
        report("start-up with the server unreachable", time.monotonic() - started)
        assert (await client.get("/health/ready")).status_code == 503
        # no login without a store: the client is anonymous; sign-up reads the store first
        sign_up = {"email": "a@b.co", "username": "abc", "password": "12345678"}
        assert (await client.post("/api/users/", json=sign_up)).status_code == 503

        proxy.restore()
        seconds = await eventually(lambda: _ok(client, "/health/ready"), 10)
        report("unreachable at start: ready after restore", seconds)
        await create_user(client, 1)  # the schema was migrated when the pool opened


async def _ok(client: httpx.AsyncClient, path: str) -> bool:
    return (await client.get(path)).status_code == 200


async def test_a_slow_data_route_answers_504(pg_settings, postgres_url, postgres_schema):
    async with serve(pg_settings()) as client:
        await create_user(client, 1)
        async with table_locked(postgres_url, postgres_schema):
            response, seconds = await timed(client.get("/api/users/"))
            report("statement waiting on a lock -> 504", seconds)
        assert response.status_code == 504
        assert response.json() == TIMED_OUT
        assert COMMAND_TIMEOUT_S - 0.1 < seconds < COMMAND_TIMEOUT_S + 0.5
        assert (await client.get("/api/users/")).status_code == 200


@pytest.fixture
async def db(pg_settings):
    """The adapter's database object itself, for statements no route makes."""
    container = build_container(pg_settings())
    await container.init_resources()
    yield await container.storage.db()
    await container.shutdown_resources()


async def test_a_statement_past_the_command_timeout_is_a_store_timeout(db):
    async with db.connection() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")

    started = time.monotonic()
    with pytest.raises(StoreTimeoutError):
        async with db.connection() as conn:
            await conn.execute("SELECT pg_sleep(5)")
    seconds = time.monotonic() - started
    report("pg_sleep(5) cancelled by statement_timeout", seconds)
    assert seconds < COMMAND_TIMEOUT_S + 0.3
    async with db.connection() as conn:  # the server cancelled it: the connection is kept
        assert await conn.fetchval("SELECT pg_backend_pid()") == pid


async def test_the_client_side_timeout_backs_up_a_server_that_does_not_cancel(db):
    started = time.monotonic()
    with pytest.raises(StoreTimeoutError):
        async with db.transaction() as conn:
            await conn.execute("SET LOCAL statement_timeout = 0")
            await conn.execute("SELECT pg_sleep(5)")
    seconds = time.monotonic() - started
    report("pg_sleep(5) with statement_timeout off -> client timeout", seconds)
    assert COMMAND_TIMEOUT_S < seconds < COMMAND_TIMEOUT_S + 1.0
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT 1") == 1


async def test_an_exhausted_pool_is_unavailable_past_the_acquire_timeout(db):
    held = [await (await db.pool()).acquire() for _ in range(db.options.max_size)]
    try:
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            async with db.connection():
                pass
        seconds = time.monotonic() - started
        report("pool exhausted -> unavailable", seconds)
        assert ACQUIRE_TIMEOUT_S - 0.1 < seconds < ACQUIRE_TIMEOUT_S + 0.5
    finally:
        for conn in held:
            await (await db.pool()).release(conn)


async def test_a_failed_statement_leaves_the_pooled_connection_clean(pg_settings):
    """The issue's case: a value the driver cannot encode (skip past int8, which the HTTP
    layer now refuses first) failed after the statement was parsed and left the server in an
    implicit transaction; the next harmless request on that pooled connection failed too.
    One connection in the pool, so the next request gets the same one."""
    from domain.pagination import PageRequest
    from domain.users import UserFilter
    from entrypoints.container import provide

    settings = pg_settings(postgres_min_pool_size=1, postgres_max_pool_size=1)
    container = build_container(settings)
    await container.init_resources()
    try:
        page = object.__new__(PageRequest)  # past the domain's bound, as before it existed
        object.__setattr__(page, "skip", 10**20)
        object.__setattr__(page, "limit", 20)
        search = await provide(container.storage.product_search)
        users = await provide(container.storage.users)
        for _ in range(2):
            with pytest.raises(RuntimeError, match="DataError"):
                await search.search("mug", page)
            harmless = await users.list(UserFilter(), PageRequest(0, 1))
            assert (harmless.items, harmless.total) == ([], 0)
    finally:
        await container.shutdown_resources()
