"""Shared fixtures: the storage legs every contract and HTTP test runs on."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import NoReturn
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from dependency_injector import containers, providers
from mongomock_motor import AsyncMongoMockClient

from entrypoints.container import Container, build_container, build_storage, provide
from entrypoints.settings import Settings

LEGS = ["memory", "sqlite", "mongo-fake", "mongo", "postgres"]
FAST_HASH = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}
# Rate limits have tests of their own (tests/http/test_rate_limits.py); elsewhere they are off
# so that a test may send as many requests as it needs.
NO_RATE_LIMITS = {"rate_limit_enabled": False}


MONGO_SKIP = "real MongoDB leg skipped"


def _mongo_unavailable(reason: str) -> NoReturn:
    """Skip the real-Mongo leg, or fail it where it must run (MONGODB_REQUIRED=1, as in CI)."""
    if os.environ.get("MONGODB_REQUIRED", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"MONGODB_REQUIRED is set but {reason}", pytrace=False)
    pytest.skip(f"{MONGO_SKIP}: {reason}")


def pytest_report_header(config) -> list[str]:
    where = (
        "MONGODB_URL"
        if os.environ.get("MONGODB_URL")
        else "testcontainers, if a Docker engine answers"
    )
    driver = os.environ.get("MONGODB_DRIVER", "pymongo")
    return [
        f"storage legs: {', '.join(LEGS)} (mongo-fake = mongomock-motor, a fake; "
        f"mongo via {where}, driver {driver})",
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test that runs on a real MongoDB `mongo`, so `pytest -m mongo` selects them."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_mongo_leg = callspec is not None and callspec.params.get("leg") == "mongo"
        if on_mongo_leg or "mongo_url" in item.fixturenames:
            item.add_marker(pytest.mark.mongo)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every real-Mongo skip at one place, so `-ra` prints its reason once, with a count."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and MONGO_SKIP in str(longrepr[2]):
        code = _mongo_unavailable.__code__
        report.longrepr = (code.co_filename, code.co_firstlineno, longrepr[2])
    return report


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """MONGODB_URL, else a disposable replica set through testcontainers, else a skip saying why.

    Session-scoped: the container starts once, and an unavailable server is decided once.
    """
    if url := os.environ.get("MONGODB_URL"):
        yield url
        return
    from tests.mongo_container import docker_problem, replica_set

    if problem := docker_problem():
        _mongo_unavailable(f"MONGODB_URL is not set and {problem}")
    with replica_set() as url:
        yield url


def make_settings(leg: str, tmp_path, **overrides) -> Settings:
    backend = {"mongo-fake": "mongo"}.get(leg, leg)
    values = {
        "storage_backend": backend,
        "sqlite_path": str(tmp_path / "store.db"),
        "mongodb_database": f"storefront_test_{uuid.uuid4().hex[:12]}",
        "mongodb_driver": "motor"
        if leg == "mongo-fake"
        else os.environ.get("MONGODB_DRIVER", "pymongo"),
        **FAST_HASH,
        **NO_RATE_LIMITS,
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


@pytest.fixture(params=LEGS)
def leg(request) -> str:
    if request.param == "mongo":
        request.getfixturevalue("mongo_url")
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    return request.param


@pytest.fixture
def settings(leg, tmp_path, request) -> Settings:
    overrides = {}
    if leg == "mongo":
        overrides["mongodb_url"] = request.getfixturevalue("mongo_url")
    if leg == "postgres":
        overrides |= postgres_overrides(request)
    return make_settings(leg, tmp_path, **overrides)


@pytest.fixture
async def container(leg, settings) -> AsyncIterator[Container]:
    """An application container on one leg, resources up; real-Mongo databases are dropped."""
    container = build_container(settings, make_storage(leg, settings))
    await container.init_resources()
    try:
        yield container
    finally:
        if leg == "mongo":
            store = await container.storage.store()
            await store.client.drop_database(settings.mongodb_database)
        await container.shutdown_resources()


@pytest.fixture
async def services(container):
    return await provide(container.services)


def needs_real_mongo(leg: str, what: str) -> None:
    """Skip on the mongo-fake leg a case mongomock cannot run; the real `mongo` leg runs it."""
    if leg == "mongo-fake":
        pytest.skip(f"mongomock cannot run {what}; covered on the real mongo leg")
