"""Shared fixtures: the storage legs every contract and HTTP test runs on."""

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from dependency_injector import containers, providers
from mongomock_motor import AsyncMongoMockClient

from domain.errors import SearchUnsupportedError
from entrypoints.container import Container, build_container, build_storage, provide
from entrypoints.settings import Settings
from tests.mongo_server import (  # noqa: F401 (fixtures and a hook, registered from here)
    MONGO_SKIP,
    REAL_MONGO_DRIVERS,
    _mongo_unavailable,
    count_real_wire_outcome,
    fresh_database_name,
    mongo_admin,
    mongo_capabilities,
    mongo_database,
    mongo_server_choice,
    mongo_url,
    probed_without_text_search,
    pytest_terminal_summary,
)

# the real-wire MongoDB legs, one per driver: same server, same tests
REAL_MONGO_LEGS = REAL_MONGO_DRIVERS
LEGS = ["memory", "sqlite", "mongo-fake", *REAL_MONGO_LEGS, "postgres"]
FAST_HASH = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}
# On a loaded machine a 500-upsert bulk batch on the in-process server once outlasted the 10 s
# default socket timeout; the driver then retried the batch (retryable writes) while the first
# attempt still ran, and SecantusDB 0.7.0b3 ran the retry again instead of replaying the
# first attempt's result as mongod does (the retry waits on the session), so a seed reported
# "1000 unchanged" for 1000 new products. The real-wire legs give the server time instead.
REAL_WIRE_SOCKET_TIMEOUT_MS = 60_000
# mongo/postgres refuse to start without JWT_SECRET; sqlite/memory legs generate their own
TEST_JWT_SECRET = "test-only-jwt-secret-0123456789abcdef"

# Rate limits have tests of their own (tests/http/test_rate_limits.py); elsewhere they are off
# so that a test may send as many requests as it needs.
NO_RATE_LIMITS = {"rate_limit_enabled": False}


def is_real_mongo(leg: str) -> bool:
    """True on the legs that talk to a MongoDB server over a socket (not mongo-fake)."""
    return leg in REAL_MONGO_LEGS


def pytest_report_header(config) -> list[str]:
    return [
        f"storage legs: {', '.join(LEGS)} (mongo-fake = mongomock-motor, a fake; "
        f"{' and '.join(REAL_MONGO_LEGS)} = a real server over the wire, one leg per driver, "
        f"on {mongo_server_choice()})",
        postgres_header(),
    ]


def postgres_header() -> str:
    url = os.environ.get("POSTGRES_URL")
    ci = " (CI is set: an unreachable server fails the leg)" if os.environ.get("CI") else ""
    return f"postgres leg: {f'POSTGRES_URL={url}' if url else 'POSTGRES_URL is not set'}{ci}"


def postgres_unavailable(reason: str) -> None:
    """Skip with the reason; a failure when CI is set, since CI has a server and must run it."""
    if os.environ.get("CI"):
        pytest.fail(f"the postgres leg must run in CI, but {reason}", pytrace=False)
    pytest.skip(f"real PostgreSQL leg skipped: {reason}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database of this session's own on POSTGRES_URL's server, dropped at the end.

    Without the right to create databases, the tests use POSTGRES_URL's database as it is
    (each test still gets a schema of its own).
    """
    url = os.environ.get("POSTGRES_URL")
    if not url:
        postgres_unavailable("POSTGRES_URL is not set")
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except Exception as exc:
        postgres_unavailable(f"POSTGRES_URL does not answer ({type(exc).__name__}: {exc})")
    name = f"storefront_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.InsufficientPrivilegeError:
        name = ""
    finally:
        await admin.close()
    if not name:
        yield url
        return
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        admin = await asyncpg.connect(url, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def postgres_schema(postgres_url) -> AsyncIterator[str]:
    """A fresh schema name for one test; the adapter creates it, this drops it afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    admin = await asyncpg.connect(postgres_url, timeout=10)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await admin.close()


def postgres_overrides(request) -> dict:
    """Settings for a test on the postgres leg: its own schema, pool and application_name."""
    schema = request.getfixturevalue("postgres_schema")
    return {
        "postgres_url": request.getfixturevalue("postgres_url"),
        "postgres_schema": schema,
        "postgres_application_name": f"storefront-test-{schema}",
        "postgres_min_pool_size": 1,
        "postgres_max_pool_size": 4,
    }


def mongo_leg_of(item) -> str | None:
    """The real-Mongo leg an item runs on, or None."""
    callspec = getattr(item, "callspec", None)
    leg = callspec.params.get("leg") if callspec is not None else None
    return leg if isinstance(leg, str) and is_real_mongo(leg) else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test that runs on a real MongoDB `mongo`, so `pytest -m mongo` selects them."""
    for item in items:
        if mongo_leg_of(item) or "mongo_url" in item.fixturenames:
            item.add_marker(pytest.mark.mongo)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every real-Mongo skip at one place, so `-ra` prints its reason once, with a count;
    a test that hit SearchUnsupportedError on a server the probe found without text indexes is
    a skip with the probe's reason (any new search test gets this without Mongo-specific code);
    and count the real-wire outcomes per driver for the summary."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(SearchUnsupportedError):
        reason = probed_without_text_search(item)
        if reason is not None:
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1], f"Skipped: {reason}")
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and MONGO_SKIP in str(longrepr[2]):
        code = _mongo_unavailable.__code__
        report.longrepr = (code.co_filename, code.co_firstlineno, longrepr[2])
    count_real_wire_outcome(item, report)
    return report


def make_settings(leg: str, tmp_path, **overrides) -> Settings:
    backend = "mongo" if leg == "mongo-fake" or is_real_mongo(leg) else leg
    values = {
        "storage_backend": backend,
        "sqlite_path": str(tmp_path / "store.db"),
        "mongodb_database": fresh_database_name(),
        "mongodb_driver": REAL_MONGO_LEGS.get(leg, "motor"),  # mongo-fake is Motor-shaped
        **FAST_HASH,
        **NO_RATE_LIMITS,
        **({"jwt_secret": TEST_JWT_SECRET} if backend in ("mongo", "postgres") else {}),
        **overrides,
    }
    return Settings(_env_file=None, **values)


async def _fake_client():
    yield AsyncMongoMockClient(tz_aware=True)


def make_storage(leg: str, settings: Settings) -> containers.DeclarativeContainer:
    """The storage container for a leg; mongo-fake is the real adapter over mongomock-motor."""
    storage = build_storage(settings)
    if leg == "mongo-fake":
        storage.client.override(providers.Resource(_fake_client))
    return storage


def prepare_leg(request, leg: str) -> str:
    """Bring up what a leg needs (the session's servers); skip or fail when it cannot run."""
    if is_real_mongo(leg):
        request.getfixturevalue("mongo_url")
    if leg == "postgres":
        request.getfixturevalue("postgres_url")
    return leg


@pytest.fixture(params=LEGS)
def leg(request) -> str:
    return prepare_leg(request, request.param)


@pytest.fixture
def settings(leg, tmp_path, request) -> Settings:
    """Settings for one test on its leg; on a real-Mongo leg, a database of its own that is
    dropped when the test ends, whatever happened (set-up failures included)."""
    overrides = {}
    if is_real_mongo(leg):
        overrides["mongodb_url"] = request.getfixturevalue("mongo_url")
        overrides["mongodb_database"] = request.getfixturevalue("mongo_database")
        overrides["mongodb_socket_timeout_ms"] = REAL_WIRE_SOCKET_TIMEOUT_MS
    if leg == "postgres":
        overrides |= postgres_overrides(request)
    return make_settings(leg, tmp_path, **overrides)


@pytest.fixture
async def container(leg, settings) -> AsyncIterator[Container]:
    """An application container on one leg, resources up (its database is `settings`')."""
    container = build_container(settings, make_storage(leg, settings))
    try:
        await container.init_resources()
        yield container
    finally:
        await container.shutdown_resources()


@pytest.fixture
async def services(container):
    return await provide(container.services)


def needs_real_mongo(leg: str, what: str) -> None:
    """Skip on the mongo-fake leg a case mongomock cannot run; the real `mongo` leg runs it."""
    if leg == "mongo-fake":
        pytest.skip(f"mongomock cannot run {what}; covered on the real mongo leg")
