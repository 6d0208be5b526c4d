"""Request ids, the access line, secrets kept out of logs, /metrics and who may read it."""

import io
import json
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.logs import configure_logging
from tests.conftest import make_settings, make_storage
from tests.http.conftest import LIFESPAN_TIMEOUTS

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
MISSING = "0" * 24


@pytest.fixture
def leg() -> str:
    return "memory"


async def serve(app, client=("127.0.0.1", 50000)) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, **LIFESPAN_TIMEOUTS) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def access_lines(text: str) -> list[dict]:
    return [line for line in json_lines(text) if line.get("event") == "request"]


class LogCapture(io.StringIO):
    """Where the app's log lines go in these tests; `readouterr().out` drains it."""

    def readouterr(self):
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return type("Captured", (), {"out": text})()


@pytest.fixture
def capsys() -> LogCapture:  # the app's log stream, not pytest's: set explicitly below
    return LogCapture()


@pytest.fixture
def json_app(tmp_path, capsys):
    def build(log_format="json", **overrides):
        settings = make_settings("memory", tmp_path, log_format=log_format, **overrides)
        app = create_app(settings, build_container(settings, make_storage("memory", settings)))
        configure_logging("INFO", log_format, stream=capsys)

        async def boom():
            logging.getLogger("storefront.test").warning("about to fail")
            raise RuntimeError("kaboom")

        app.add_api_route("/boom", boom)
        return app

    return build


@pytest.fixture
async def http(json_app) -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(json_app()):
        yield client


# --- request ids ------------------------------------------------------------------------------


async def test_a_well_formed_request_id_comes_back(http, capsys):
    response = await http.get("/health", headers={"X-Request-ID": "client-id.42:a/b+c=d@e_f"})
    assert response.headers["x-request-id"] == "client-id.42:a/b+c=d@e_f"
    (line,) = access_lines(capsys.readouterr().out)
    assert line["request_id"] == "client-id.42:a/b+c=d@e_f"


@pytest.mark.parametrize(
    "sent", ["", "x" * 129, "has space", 'quote"d', "new\\nline", "ünïcode", "semi;colon"]
)
async def test_a_malformed_request_id_is_replaced_by_a_new_one(http, sent):
    response = await http.get("/health", headers={"X-Request-ID": sent.encode("utf-8")})
    made = response.headers["x-request-id"]
    assert made != sent and re.fullmatch(r"[0-9a-f]{32}", made)


async def test_without_a_request_id_each_response_gets_its_own(http):
    ids = {(await http.get("/health/live")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"/api/products/{MISSING}", 404),
        ("GET", "/api/products/?limit=0", 422),
        ("DELETE", "/health", 405),
        ("GET", "/no/such/route", 404),
        ("GET", "/boom", 500),
    ],
)
async def test_errors_carry_the_request_id_too(http, capsys, method, path, status):
    response = await http.request(method, path, headers={"X-Request-ID": "err-1"})
    assert response.status_code == status
    assert response.headers["x-request-id"] == "err-1"
    (line,) = access_lines(capsys.readouterr().out)
    assert (line["status"], line["request_id"]) == (status, "err-1")


async def test_every_log_line_of_a_request_carries_its_id_and_trace(http, capsys):
    await http.get("/boom", headers={"X-Request-ID": "trace-me", "traceparent": TRACEPARENT})
    lines = [line for line in json_lines(capsys.readouterr().out) if line.get("logger") != "httpx"]
    events = {line["event"] for line in lines}
    assert "about to fail" in events and "request" in events
    assert any("unhandled error" in event for event in events)  # the 500 handler's own line
    for line in lines:
        assert line["request_id"] == "trace-me", line
        assert line["trace_id"] == TRACE_ID, line


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-" + "0" * 32 + "-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE_ID}-" + "0" * 16 + "-01",  # all-zero parent id
        f"ff-{TRACE_ID}-00f067aa0ba902b7-01",  # version ff is invalid
        f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01",  # upper-case hex
        "garbage",
    ],
)
async def test_an_invalid_traceparent_is_ignored(http, capsys, traceparent):
    response = await http.get("/health", headers={"traceparent": traceparent})
    assert response.status_code == 200
    (line,) = access_lines(capsys.readouterr().out)
    assert "trace_id" not in line


async def test_request_context_does_not_leak_into_the_next_request(http, capsys):
    await http.get("/health", headers={"X-Request-ID": "first", "traceparent": TRACEPARENT})
    await http.get("/health")
    first, second = access_lines(capsys.readouterr().out)
    assert first["trace_id"] == TRACE_ID
    assert "trace_id" not in second and second["request_id"] != "first"
    assert structlog.contextvars.get_contextvars() == {}


# --- the access line --------------------------------------------------------------------------


async def test_one_json_access_line_per_request_with_its_fields(http, capsys):
    await http.get(f"/api/products/{MISSING}", headers={"X-Request-ID": "rid-7"})
    (line,) = access_lines(capsys.readouterr().out)
    assert line["method"] == "GET"
    assert line["route"] == "/api/products/{product_id}"  # the template, not the raw path
    assert line["path"] == f"/api/products/{MISSING}"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 5000
    assert line["request_id"] == "rid-7"
    assert line["client"] == "127.0.0.1"
    assert "user_id" in line  # None until the caller is known (bound by the auth layer)
    assert line["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["timestamp"])


async def test_slash_less_and_head_requests_are_logged_under_their_route_template(http, capsys):
    """The conventions middleware serves `/api/products` as `/api/products/` and HEAD as GET on
    a copy of the scope; the access line still names the matched route, not <unmatched>."""
    await http.get("/api/products")
    await http.head("/api/products/")
    await http.head(f"/api/products/{MISSING}")
    lines = access_lines(capsys.readouterr().out)
    assert [(line["method"], line["route"]) for line in lines] == [
        ("GET", "/api/products/"),
        ("HEAD", "/api/products/"),
        ("HEAD", "/api/products/{product_id}"),
    ]


async def test_n_requests_give_n_access_lines(http, capsys):
    for _ in range(7):
        await http.get("/health/live")
    assert len(access_lines(capsys.readouterr().out)) == 7


async def test_uvicorns_access_logger_writes_nothing(http, capsys):
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    assert "HTTP/1.1" not in capsys.readouterr().out


async def test_the_console_format_is_human_readable(json_app, capsys):
    async for client in serve(json_app(log_format="console")):
        await client.get("/health", headers={"X-Request-ID": "console-1"})
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "console-1" in line and "request" in line)
    assert not line.startswith("{")
    assert "route=/health" in line and "status=200" in line


@pytest.mark.parametrize("log_format", ["json", "console"])
async def test_passwords_tokens_and_authorization_never_reach_the_log(json_app, capsys, log_format):
    async for http in serve(json_app(log_format=log_format)):
        await _send_secrets(http, capsys, log_format)


async def _send_secrets(http, capsys, log_format):
    secrets = ["Sup3r-Secret-Pw!", "eyJhbGciOiJIUzI1NiJ9.secret-bearer", "refresh-tok-123"]
    await http.post(
        "/api/users/",
        json={"username": "bob", "email": "bob@example.com", "password": secrets[0]},
        headers={"Authorization": f"Bearer {secrets[1]}"},
    )
    await http.post("/api/auth/token", data={"username": "bob", "password": secrets[0]})
    await http.post("/api/auth/refresh", json={"refresh_token": secrets[2]})
    await http.get("/boom", headers={"Authorization": f"Bearer {secrets[1]}"})
    structlog.get_logger().warning("careless", password=secrets[0], authorization=secrets[1])
    logging.getLogger("storefront.test").warning("careless", extra={"refresh_token": secrets[2]})
    out = capsys.readouterr().out
    assert out.count("[redacted]") >= 3
    assert "kaboom" in out  # the traceback is there, without the request's locals
    for secret in secrets:
        assert secret not in out


def test_redaction_reaches_one_level_into_nested_values(capsys):
    configure_logging("INFO", "json", stream=capsys)
    structlog.get_logger().info(
        "audit", before={"role": "user", "password_hash": "$argon2id$x"}, after={"role": "admin"}
    )
    (line,) = json_lines(capsys.readouterr().out)
    assert line["before"] == {"role": "user", "password_hash": "[redacted]"}
    assert line["after"] == {"role": "admin"}


# --- client address ---------------------------------------------------------------------------


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(json_app, capsys):
    app = json_app(forwarded_allow_ips="10.0.0.0/8")
    async for client in serve(app, client=("203.0.113.9", 4000)):
        await client.get("/health", headers={"X-Forwarded-For": "127.0.0.1"})
        assert (
            await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        ).status_code == 403
    lines = access_lines(capsys.readouterr().out)
    assert {line["client"] for line in lines} == {"203.0.113.9"}


async def test_x_forwarded_for_is_believed_from_a_trusted_proxy(json_app, capsys):
    app = json_app(forwarded_allow_ips="10.0.0.0/8")
    async for client in serve(app, client=("10.1.2.3", 4000)):
        # the right-most address that is not a trusted proxy is the client
        await client.get("/health", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.9.9.9"})
    (line,) = access_lines(capsys.readouterr().out)
    assert line["client"] == "198.51.100.7"


async def test_by_default_no_peer_is_trusted_as_a_proxy(json_app, capsys):
    async for client in serve(json_app(), client=("127.0.0.1", 4000)):
        await client.get("/health", headers={"X-Forwarded-For": "198.51.100.7"})
    (line,) = access_lines(capsys.readouterr().out)
    assert line["client"] == "127.0.0.1"


@pytest.mark.parametrize("field", ["forwarded_allow_ips", "metrics_allowed_cidrs"])
def test_a_malformed_network_setting_stops_start_up(tmp_path, field):
    settings = make_settings("memory", tmp_path, **{field: "10.0.0.0/8, not-an-ip"})
    with pytest.raises(ValueError, match="not-an-ip"):
        create_app(settings, build_container(settings, make_storage("memory", settings)))


# --- /metrics ---------------------------------------------------------------------------------


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    key = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_counters_move_with_requests(http):
    before = (await http.get("/metrics")).text
    for _ in range(3):
        await http.get(f"/api/products/{MISSING}")
    await http.get("/api/products/")
    after = await http.get("/metrics")
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain; version=")
    text = after.text
    route = {"method": "GET", "route": "/api/products/{product_id}", "status": "404"}
    assert (
        sample(text, "http_requests_total", **route)
        - sample(before, "http_requests_total", **route)
        == 3
    )
    assert (
        sample(text, "http_request_duration_seconds_count", **route)
        - sample(before, "http_request_duration_seconds_count", **route)
        == 3
    )
    gets = {"adapter": "memory", "operation": "products.get"}
    assert (
        sample(text, "storefront_store_operation_duration_seconds_count", **gets)
        - sample(before, "storefront_store_operation_duration_seconds_count", **gets)
        == 3
    )
    assert f"/api/products/{MISSING}" not in text  # raw paths never become labels
    assert "http_requests_in_flight" in text


async def test_unmatched_paths_share_one_label(http):
    for n in range(5):
        await http.get(f"/scan/{n}")
    text = (await http.get("/metrics")).text
    assert sample(text, "http_requests_total", method="GET", route="<unmatched>", status="404") >= 5
    assert "/scan/" not in text


async def test_metrics_are_refused_outside_the_allowed_networks(json_app):
    async for client in serve(json_app(), client=("192.0.2.1", 5000)):
        response = await client.get("/metrics")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert "http_requests_total" not in response.text
    async for client in serve(json_app(metrics_allowed_cidrs="192.0.2.0/24")):
        assert (await client.get("/metrics")).status_code == 403  # loopback no longer listed
    app = json_app(metrics_allowed_cidrs="192.0.2.0/24")
    async for client in serve(app, client=("192.0.2.1", 5000)):
        assert (await client.get("/metrics")).status_code == 200


async def test_metrics_are_read_only(http):
    response = await http.post("/metrics")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_metric_names_are_registered_once_in_the_default_registry():
    names = {metric.name for metric in REGISTRY.collect()}
    for name in (
        "http_requests",
        "http_request_duration_seconds",
        "http_requests_in_flight",
        "storefront_store_operation_duration_seconds",
        "storefront_store_pool_connections_in_use",
        "storefront_sqlite_commit_batch_size",
        "storefront_orders_placed",
        "storefront_orders_refused",
        "storefront_login_failures",
        "storefront_rate_limited",
    ):
        assert name in names
