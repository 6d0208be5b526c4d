"""HTTP clients over httpx's ASGI transport, with the app's lifespan running.

Clients log in like real ones: the app starts with FIRST_ADMIN_* set (so every leg also runs
the first-admin start-up step), and `client` is that admin with a bearer token obtained from
POST /api/auth/token. `anon` sends no token; `login_as` makes a user of any role and returns
a client logged in as them.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dependency_injector import providers
from pydantic import SecretStr

from adapters.clock import SystemClock
from domain.ids import new_id
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import LEGS, is_real_mongo, make_storage, prepare_leg
from tests.mongo_server import REAL_WIRE

HTTP_LEGS = LEGS
ADMIN_EMAIL, ADMIN_USERNAME, ADMIN_PASSWORD = "admin@example.com", "admin", "admin-password"
FIRST_ADMIN = {
    "first_admin_email": ADMIN_EMAIL,
    "first_admin_username": ADMIN_USERNAME,
    "first_admin_password": SecretStr(ADMIN_PASSWORD),
}
PASSWORD = "a long enough password"
# start-up creates indexes and the first admin; asgi-lifespan's 5 s default is too short on a
# loaded 2-core CI machine (seen: a Mongo-leg start-up timing out at 5 s under load 10)
LIFESPAN_TIMEOUTS = {"startup_timeout": 60, "shutdown_timeout": 60}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict:
    """The token response of POST /api/auth/token (the OAuth2 password form)."""
    response = await client.post(
        "/api/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def minted_token(container, user_id: str | None = None, role: str = "admin") -> str:
    """An access token signed by the container's issuer, for a user that may not exist (for
    tests where the store is down, so nobody can log in)."""
    return container.token_issuer().issue(user_id or new_id(), role).token


def _client(app, token: str | None = None, event_hooks=None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = bearer(token) if token else {}
    return httpx.AsyncClient(
        transport=transport, base_url="http://localhost", headers=headers, event_hooks=event_hooks
    )


async def open_client(
    app, *, as_admin: bool = False, token: str | None = None, event_hooks=None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` with its lifespan running; `as_admin`: logged in as the first admin
    (the app's settings must hold FIRST_ADMIN); `token`: that bearer token."""
    async with (
        LifespanManager(app, **LIFESPAN_TIMEOUTS) as manager,
        _client(manager.app, token, event_hooks) as client,
    ):
        if as_admin:
            tokens = await login(client, ADMIN_USERNAME, ADMIN_PASSWORD)
            client.headers.update(bearer(tokens["access_token"]))
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
def settings(settings):
    """The legs' settings, with the first admin to create at start-up."""
    return settings.model_copy(update=FIRST_ADMIN)


@pytest.fixture
def fastapi_app(leg, settings, clock):
    """The FastAPI application on one leg, its clock `clock` (container at `.state.container`)."""
    container = build_container(settings, make_storage(leg, settings))
    container.clock.override(providers.Object(clock))
    return create_app(settings, container)


@pytest.fixture
async def app(fastapi_app) -> AsyncIterator:
    """The app with its lifespan running (so the first admin exists), as ASGI."""
    async with LifespanManager(fastapi_app, **LIFESPAN_TIMEOUTS) as manager:
        yield manager.app


@pytest.fixture
def hooks(leg):
    return {"response": [_skip_where_search_is_unsupported]} if is_real_mongo(leg) else None


@pytest.fixture
async def anon(app, hooks) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no token."""
    async with _client(app, event_hooks=hooks) as client:
        yield client


@pytest.fixture
async def client(app, anon, hooks) -> AsyncIterator[httpx.AsyncClient]:
    """The first admin, logged in through POST /api/auth/token."""
    tokens = await login(anon, ADMIN_USERNAME, ADMIN_PASSWORD)
    async with _client(app, tokens["access_token"], hooks) as admin:
        yield admin


LoginAs = Callable[..., Awaitable[tuple[httpx.AsyncClient, dict]]]


@pytest.fixture
async def login_as(app, client, hooks) -> AsyncIterator[LoginAs]:
    """`await login_as("moderator", name="mod")` -> (a client logged in as a new user of that
    role, the user); the admin creates the user, the user logs in with the password form."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: str = "user", name: str | None = None, **fields) -> tuple:
        name = name or f"{role}{len(opened) + 1}"
        body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        response = await client.post("/api/users/", json=body | {"role": role} | fields)
        assert response.status_code == 201, response.text
        async with _client(app) as anonymous:
            tokens = await login(anonymous, name, PASSWORD)
        logged_in = _client(app, tokens["access_token"], hooks)
        opened.append(logged_in)
        return logged_in, response.json()

    yield make
    for c in opened:
        await c.aclose()
