"""Rate limits: in process, and on the machine's Redis shared by two app instances, failing
open when Redis goes away (through a TCP proxy we cut; the machine's Redis is never stopped)."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import jsonschema_rs
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.http.middleware import ratelimit
from tests.conftest import make_settings, make_storage
from tests.http.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    FIRST_ADMIN,
    LIFESPAN_TIMEOUTS,
    bearer,
)
from tests.tcp_proxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/0"
MISSING = "0" * 24


@pytest.fixture
def leg() -> str:
    return "memory"


def limited_app(tmp_path, **overrides):
    values = {"rate_limit_enabled": True} | overrides
    settings = make_settings("memory", tmp_path, **values)
    return create_app(settings, build_container(settings, make_storage("memory", settings)))


async def serve(app, client=("127.0.0.1", 50000)) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, **LIFESPAN_TIMEOUTS) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


class Served:
    """Several apps (or clients) open at once, closed together."""

    def __init__(self) -> None:
        self._gens: list = []

    async def open(self, app, client=("127.0.0.1", 50000)) -> httpx.AsyncClient:
        gen = serve(app, client)
        self._gens.append(gen)
        return await gen.__anext__()

    async def close(self) -> None:
        for gen in reversed(self._gens):
            with pytest.raises(StopAsyncIteration):
                await gen.__anext__()


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    s = Served()
    yield s
    await s.close()


def assert_rate_limited(response: httpx.Response, policy: str, limit: int) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["code"] == "rate_limited" and body["detail"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={limit};w=60'
    assert re.fullmatch(rf'"{policy}";r=0;t=\d+', response.headers["ratelimit"])
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# --- in process -------------------------------------------------------------------------------


async def test_per_address_limit_then_429_with_the_ietf_headers(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_per_minute=5)
    http = await served.open(app)
    statuses = [(await http.get(f"/api/products/{MISSING}")).status_code for _ in range(5)]
    assert statuses == [404] * 5
    assert_rate_limited(await http.get("/api/products/"), "default", 5)


async def test_other_addresses_have_their_own_budget(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_per_minute=2)
    first = await served.open(app, client=("198.51.100.1", 1))
    for _ in range(2):
        assert (await first.get("/health")).status_code == 200
    assert (await first.get("/health")).status_code == 429
    other = await served.open(app, client=("198.51.100.2", 1))
    assert (await other.get("/health")).status_code == 200


async def test_a_spoofed_x_forwarded_for_does_not_buy_a_new_budget(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_per_minute=2)
    http = await served.open(app, client=("198.51.100.1", 1))
    codes = [
        (await http.get("/health", headers={"X-Forwarded-For": f"10.0.0.{n}"})).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


async def test_probes_and_metrics_are_not_limited(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_per_minute=1)
    http = await served.open(app)
    for _ in range(5):
        assert (await http.get("/health/live")).status_code == 200
        assert (await http.get("/metrics")).status_code == 200


async def test_our_429s_are_counted_under_one_route_label(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_per_minute=1)
    http = await served.open(app)
    await http.get(f"/api/products/{MISSING}")
    assert (await http.get(f"/api/products/{MISSING}")).status_code == 429
    text = (await http.get("/metrics")).text
    assert re.search(
        r'http_requests_total\{method="GET",route="<rate_limited>",status="429"\} '
        r"[1-9]",
        text,
    )
    assert re.search(r'storefront_rate_limited_total\{policy="default"\} [1-9]', text)


async def test_sign_up_is_limited_more_strictly_per_address(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_signup_per_minute=2)
    http = await served.open(app)
    codes = []
    for n in range(3):
        body = {"username": f"user{n}", "email": f"u{n}@example.com", "password": "pw-123456789"}
        codes.append((await http.post("/api/users/", json=body)).status_code)
    assert codes[:2] == [201, 201]
    assert codes[2] == 429
    assert_rate_limited(
        await http.post("/api/users", json={"username": "x", "email": "x@x.io"}), "signup", 2
    )
    assert (await http.get("/api/products/")).status_code == 200  # other routes still served


async def test_login_is_limited_per_address(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_login_per_minute=3)
    http = await served.open(app)
    for n in range(3):
        response = await http.post("/api/auth/token", data={"username": f"u{n}", "password": "x"})
        assert response.status_code != 429
    response = await http.post("/api/auth/token", data={"username": "u9", "password": "x"})
    assert_rate_limited(response, "login", 3)


async def test_login_is_limited_per_account_across_addresses(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_login_per_minute=3)
    codes = []
    for n in range(4):
        http = await served.open(app, client=(f"203.0.113.{n}", 1))
        response = await http.post(
            "/api/auth/token", data={"username": "Victim@Example.com", "password": f"guess{n}"}
        )
        codes.append(response.status_code)
    assert 429 not in codes[:3]
    assert codes[3] == 429
    assert response.headers["ratelimit-policy"] == '"login-account";q=3;w=60'
    other = await served.open(app, client=("203.0.113.50", 1))
    response = await other.post("/api/auth/token", data={"username": "someone", "password": "x"})
    assert response.status_code != 429


async def test_the_login_form_still_reaches_the_route_whole():
    """The middleware reads the form to find the account, then replays it to the app."""
    body = b"grant_type=password&username=Alice%40Example.com&password=p%C3%A4ss"
    chunks = [body[:10], body[10:30], body[30:]]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < 2}
        for n, chunk in enumerate(chunks)
    ]
    pending = list(messages)

    async def receive():
        return pending.pop(0)

    account, replay = await ratelimit._peek_form(receive, "username")
    assert account == "alice@example.com"
    assert [await replay() for _ in range(3)] == messages


async def test_a_huge_login_body_is_not_parsed_but_still_passed_on():
    big = b"username=" + b"a" * (ratelimit.LOGIN_BODY_PEEK_BYTES + 10)
    pending = [
        {"type": "http.request", "body": big, "more_body": True},
        {"type": "http.request", "body": b"&password=x", "more_body": False},
    ]
    expected = list(pending)

    async def receive():
        return pending.pop(0)

    account, replay = await ratelimit._peek_form(receive, "username")
    assert account is None
    assert [await replay(), await replay()] == expected


async def test_disabled_means_no_limit(tmp_path, served):
    app = limited_app(tmp_path, rate_limit_enabled=False, rate_limit_per_minute=1)
    http = await served.open(app)
    assert {(await http.get("/health")).status_code for _ in range(5)} == {200}


async def test_per_user_keys_come_from_the_identify_seam(tmp_path, served):
    """With a caller identified (the auth layer's job), the budget is the user's, wherever
    the requests come from."""
    from entrypoints.http import middleware

    settings = make_settings("memory", tmp_path, rate_limit_enabled=True, rate_limit_per_minute=2)
    app = create_app(settings, build_container(settings, make_storage("memory", settings)))

    def identify(scope):
        for name, value in scope["headers"]:
            if name == b"x-test-user":
                return value.decode()
        return None

    middleware.install(app, settings, app.state.container, identify=identify)
    a = await served.open(app, client=("198.51.100.1", 1))
    b = await served.open(app, client=("198.51.100.2", 1))
    user = {"X-Test-User": "u1"}
    assert (await a.get("/health", headers=user)).status_code == 200
    assert (await b.get("/health", headers=user)).status_code == 200
    assert (await a.get("/health", headers=user)).status_code == 429
    assert (await a.get("/health")).status_code == 200  # the address's own budget is untouched


async def logged_in_admin(tmp_path, served, **limits):
    """A rate-limited app with the first admin, a client from 198.51.100.1 and the admin's
    access token (its login is one request of that address's budget)."""
    settings = make_settings("memory", tmp_path, rate_limit_enabled=True, **limits, **FIRST_ADMIN)
    app = create_app(settings, build_container(settings, make_storage("memory", settings)))
    http = await served.open(app, client=("198.51.100.1", 1))
    form = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    return app, http, (await http.post("/api/auth/token", data=form)).json()["access_token"]


async def test_an_authenticated_caller_is_limited_per_user_wherever_it_comes_from(tmp_path, served):
    app, a, token = await logged_in_admin(tmp_path, served, rate_limit_per_minute=4)  # ip:A = 1
    b = await served.open(app, client=("198.51.100.2", 1))
    codes = [
        (await client.get("/api/users/me", headers=bearer(token))).status_code
        for client in (a, b, a, b)
    ]
    assert codes == [200] * 4  # the user's budget of 4, spent from two addresses
    assert_rate_limited(await b.get("/api/users/me", headers=bearer(token)), "default", 4)
    assert (await a.get("/health")).status_code == 200  # address A's own budget: 2 of 4
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await b.get("/health", headers=bad)).status_code == 200  # a bad token: by address


async def test_changing_ones_own_user_is_limited_like_a_login(tmp_path, served):
    """`current_password` cannot be guessed through PATCH faster than through the login."""
    _, http, token = await logged_in_admin(tmp_path, served, rate_limit_login_per_minute=3)
    me = (await http.get("/api/users/me", headers=bearer(token))).json()["_id"]
    guess = {"password": "new password 1", "current_password": "wrong guess"}
    codes = [
        (await http.patch(path, json=guess, headers=bearer(token))).status_code
        for path in ("/api/users/me", f"/api/users/{me}", "/api/users/me")
    ]
    assert codes == [403, 403, 403]
    response = await http.patch("/api/users/me", json=guess, headers=bearer(token))
    assert_rate_limited(response, "reauth", 3)
    assert (await http.get("/api/users/me", headers=bearer(token))).status_code == 200
    other = await http.post(
        "/api/users/", json={"email": "o@example.com", "username": "other", "password": "password1"}
    )
    assert other.status_code == 201  # the admin's PATCHes of other users stay on `default`
    for _ in range(4):
        changed = await http.patch(
            f"/api/users/{other.json()['_id']}", json={"full_name": "O"}, headers=bearer(token)
        )
        assert changed.status_code == 200


# --- on Redis ---------------------------------------------------------------------------------


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the machine's Redis; its keys are deleted after."""
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"storefront-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_two_instances_on_one_redis_share_one_counter(tmp_path, served, redis_prefix):
    settings = {
        "redis_url": REDIS_URL,
        "rate_limit_key_prefix": redis_prefix,
        "rate_limit_per_minute": 4,
    }
    one = await served.open(limited_app(tmp_path / "a", **settings))
    two = await served.open(limited_app(tmp_path / "b", **settings))
    codes = []
    for n in range(4):
        codes.append((await (one if n % 2 else two).get("/health")).status_code)
    assert codes == [200] * 4
    assert_rate_limited(await one.get("/health"), "default", 4)
    assert_rate_limited(await two.get("/health"), "default", 4)
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
    await client.aclose()
    assert keys, "the counters live in Redis under the configured prefix"


async def test_redis_going_away_fails_open_and_comes_back(
    tmp_path, served, redis_prefix, monkeypatch
):
    monkeypatch.setattr(ratelimit, "STORAGE_RETRY_SECONDS", 0.0)
    proxy = await TcpProxy("127.0.0.1", 6379).start()
    try:
        app = limited_app(
            tmp_path,
            redis_url=f"redis://127.0.0.1:{proxy.port}/0",
            rate_limit_key_prefix=redis_prefix,
            rate_limit_per_minute=3,
            log_format="json",
        )
        http = await served.open(app)
        assert (await http.get("/health")).status_code == 200  # counted in Redis: 1 of 3

        proxy.cut()  # Redis unreachable from now on
        codes = [(await http.get("/health")).status_code for _ in range(6)]
        assert codes == [200] * 6  # fail open: more than the limit, and never a 500

        proxy.restore()
        codes = [(await http.get("/health")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # enforced again, the count kept in Redis
    finally:
        await proxy.close()
    text = (await http.get("/metrics")).text
    assert re.search(r"storefront_rate_limit_storage_errors_total [1-9]", text)


async def test_redis_failure_is_logged_as_a_warning_once_per_period(
    tmp_path, served, redis_prefix, capsys
):
    from entrypoints.logs import configure_logging

    proxy = await TcpProxy("127.0.0.1", 6379).start()
    try:
        app = limited_app(
            tmp_path,
            redis_url=f"redis://127.0.0.1:{proxy.port}/0",
            rate_limit_key_prefix=redis_prefix,
        )
        configure_logging("INFO", "json")  # onto capsys's stdout, before the stack is built
        http = await served.open(app)
        assert (await http.get("/health")).status_code == 200
        proxy.cut()
        for _ in range(5):
            assert (await http.get("/health")).status_code == 200
    finally:
        await proxy.close()
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if "rate_limit_storage_unavailable" in line]
    assert len(warnings) == 1  # then Redis is left alone for STORAGE_RETRY_SECONDS
    assert '"level":"warning"' in warnings[0]


async def test_a_redis_url_of_another_scheme_is_refused_at_start_up(tmp_path):
    with pytest.raises(ValueError, match="REDIS_URL"):
        ratelimit.make_storage("http://127.0.0.1:6379", "x")


async def test_every_limited_route_documents_the_429_it_can_send(tmp_path, served):
    """The document names the 429 and its headers on every route the limits apply to (all
    but the exempt ones), and the 429 really sent fits what it says."""
    app = limited_app(tmp_path, rate_limit_per_minute=1)
    http = await served.open(app)
    paths = (await http.get("/openapi.json")).json()["paths"]
    documented = {
        (path, method): op["responses"].get("429")
        for path, ops in paths.items()
        for method, op in ops.items()
    }
    exempt = {key for key in documented if key[0] in ratelimit.EXEMPT_PATHS}
    assert exempt == {("/health/live", "get")}
    assert all(documented[key] is None for key in exempt)
    limited = {key: value for key, value in documented.items() if key not in exempt}
    assert len(limited) == 30 and all(limited.values())
    response = await http.get("/api/products/")
    assert response.status_code == 429, response.text
    headers = limited[("/api/products/", "get")]["headers"]
    assert set(headers) == {"Retry-After", "RateLimit-Policy", "RateLimit"}
    for name, spec in headers.items():
        value = response.headers[name]
        value = int(value) if spec["schema"]["type"] == "integer" else value
        assert jsonschema_rs.validator_for(spec["schema"]).is_valid(value), (name, value)
