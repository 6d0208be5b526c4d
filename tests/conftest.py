"""Shared fixtures: the storage legs every contract and HTTP test runs on."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from dependency_injector import containers, providers
from mongomock_motor import AsyncMongoMockClient

from entrypoints.container import Container, build_container, build_storage, provide
from entrypoints.settings import Settings

LEGS = ["memory", "sqlite", "mongo-fake", "mongo"]
FAST_HASH = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}


def _docker_mongo_url() -> str:
    """A disposable single-node replica set through testcontainers, or a skip saying why."""
    try:
        import docker  # shipped with testcontainers

        docker.from_env().ping()
    except Exception as exc:
        pytest.skip(
            "real MongoDB leg skipped: MONGODB_URL is not set and no Docker engine answers "
            f"for testcontainers ({type(exc).__name__}: {exc})"
        )
    from tests.mongo_container import start_replica_set

    return start_replica_set()


def pytest_report_header(config) -> str:
    where = (
        "MONGODB_URL"
        if os.environ.get("MONGODB_URL")
        else "testcontainers, if a Docker engine answers"
    )
    return (
        f"storage legs: {', '.join(LEGS)} (mongo-fake = mongomock-motor, a fake; mongo via {where})"
    )


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return os.environ.get("MONGODB_URL") or _docker_mongo_url()


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
    return request.param


@pytest.fixture
def settings(leg, tmp_path, request) -> Settings:
    overrides = {}
    if leg == "mongo":
        overrides["mongodb_url"] = request.getfixturevalue("mongo_url")
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
