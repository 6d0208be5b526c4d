"""HTTP clients over httpx's ASGI transport, with the app's lifespan running."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_storage

HTTP_LEGS = ["memory", "sqlite", "mongo-fake", "postgres"]


async def open_client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client


@pytest.fixture(params=HTTP_LEGS)
def leg(request) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    return request.param


@pytest.fixture
async def client(leg, settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    async for c in open_client(app):
        yield c
