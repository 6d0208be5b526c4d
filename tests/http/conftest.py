"""HTTP clients over httpx's ASGI transport, with the app's lifespan running."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dependency_injector import providers

from adapters.clock import SystemClock
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import LEGS, is_real_mongo, make_storage, prepare_leg
from tests.mongo_server import REAL_WIRE

HTTP_LEGS = LEGS


async def open_client(app, *, event_hooks=None) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", event_hooks=event_hooks
        ) as client:
            yield client


async def _skip_where_search_is_unsupported(response: httpx.Response) -> None:
    """On a real-Mongo leg whose server the probe found without $text: a 501
    search_unsupported answer ends the test as a skip with the probe's reason, so search tests
    need no Mongo-specific code (the 501 itself is tested with a client without this hook)."""
    reason = REAL_WIRE.capabilities.text_search if REAL_WIRE.capabilities else None
    if reason is None or response.status_code != 501:
        return
    await response.aread()
    if response.json().get("code") == "search_unsupported":
        pytest.skip(reason)


@pytest.fixture(params=HTTP_LEGS)
def leg(request) -> str:
    return prepare_leg(request, request.param)


class SteppingClock:
    """The system clock (millisecond precision, as every store keeps) plus an offset a test
    moves forward with `advance`: a later write gets a later timestamp without a sleep."""

    def __init__(self) -> None:
        self._system = SystemClock()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self._system.now() + self._offset

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> None:
        self._offset += delta


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
async def client(leg, settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on one leg; the app's clock is `clock`."""
    container = build_container(settings, make_storage(leg, settings))
    container.clock.override(providers.Object(clock))
    app = create_app(settings, container)
    hooks = {"response": [_skip_where_search_is_unsupported]} if is_real_mongo(leg) else None
    async for c in open_client(app, event_hooks=hooks):
        yield c
