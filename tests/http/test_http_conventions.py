"""SPEC "Input rules and HTTP conventions": HEAD, Allow, slash-less collections, repeated
parameters and the one error shape, walking every route of the app's OpenAPI document on
every HTTP leg (a new route is covered without editing this file)."""

import logging
import re

import pytest

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_storage
from tests.http.conftest import open_client
from tests.http.test_input_rules import search_runs

UNKNOWN = "0" * 24
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# values for required query parameters, so a GET reaches its handler
REQUIRED = {"q": "mug", "start": "2026-01-01", "end": "2026-01-31"}


async def operations(client) -> dict[str, dict]:
    """The OpenAPI paths: {path: {method: operation}}."""
    return (await client.get("/openapi.json")).json()["paths"]


def concrete(path: str) -> str:
    """A path template with every {parameter} set to a well-formed unknown id."""
    parts = path.split("/")
    return "/".join(UNKNOWN if p.startswith("{") else p for p in parts)


def required_query(operation: dict) -> dict:
    return {
        p["name"]: REQUIRED[p["name"]]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


async def test_every_get_route_answers_head_with_the_get_headers_and_no_body(client, leg):
    table = {}
    for path, ops in (await operations(client)).items():
        if "get" not in ops or (path.endswith("/search") and not search_runs(leg)):
            continue
        url, params = concrete(path), required_query(ops["get"])
        get = await client.get(url, params=params)
        head = await client.head(url, params=params)
        table[path] = (head.status_code, head.content, head.headers["content-type"])
        assert table[path] == (get.status_code, b"", get.headers["content-type"]), path
        assert int(head.headers["content-length"]) > 0  # the GET's length (it may vary: /health)
    assert {"/health/live", "/api/users/", "/api/orders/{order_id}"} <= set(table)
    for path in ("/health/live", "/health", "/docs", "/openapi.json"):
        assert (await client.head(path)).status_code == 200


def served_at(paths: dict[str, dict], url: str) -> set[str]:
    """Every method some path template matching `url` serves; a `{..._id}` segment is an id
    (24 lowercase hex digits), so `/api/products/search` is not `/api/products/{product_id}`."""
    served: set[str] = set()
    for template, ops in paths.items():
        pattern = re.sub(r"\{[^}]+\}", "[0-9a-f]{24}", template)
        if re.fullmatch(pattern, url):
            served |= {m.upper() for m in ops}
    return served


async def test_405_lists_every_method_the_path_serves(client):
    paths = await operations(client)
    table = {}
    for path in paths:
        url = concrete(path)
        served = served_at(paths, url)
        allow = ", ".join(sorted(served | ({"HEAD"} if "GET" in served else set())))
        for method in set(METHODS) - served:
            response = await client.request(method, url)
            body = response.json()
            table[(path, method)] = (response.status_code, response.headers.get("allow"))
            assert table[(path, method)] == (405, allow), (path, method)
            assert body == {"detail": "Method Not Allowed", "code": "method_not_allowed"}
    assert table[("/api/users/{user_id}", "PUT")] == (405, "DELETE, GET, HEAD, PATCH")
    # a fixed path next to an `{id}` one is its own resource (RFC 9110 §15.5.6): its Allow
    # lists its own methods, never the id route's
    assert table[("/api/users/me", "DELETE")] == (405, "GET, HEAD, PATCH")
    assert table[("/api/products/search", "PATCH")] == (405, "GET, HEAD")
    assert table[("/api/products/bulk", "DELETE")] == (405, "POST")


async def test_options_without_cors_is_405_with_the_paths_own_allow(client):
    for url, allow in {
        "/api/users/me": "GET, HEAD, PATCH",
        "/api/products/search": "GET, HEAD",
        "/api/products/bulk": "POST",
        f"/api/products/{UNKNOWN}": "DELETE, GET, HEAD, PATCH",
    }.items():
        response = await client.options(url)
        assert (response.status_code, response.headers.get("allow")) == (405, allow), url


async def test_every_path_parameter_is_an_id_and_the_router_matches_nothing_else(client):
    """The document says every path parameter is `^[0-9a-f]{24}$`; the router agrees: a
    segment that is not an id (`me`, upper case, one digit more) is a 404 on every method."""
    paths = await operations(client)
    table = {}
    for path, ops in paths.items():
        for operation in ops.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    table[(path, parameter["name"])] = parameter["schema"].get("pattern")
        if "{" not in path:
            continue
        for segment in ("ME", "ABCDEF" * 4, UNKNOWN + "0", "not-an-id"):
            url = re.sub(r"\{[^}]+\}", segment, path)
            for method in {m.upper() for m in ops}:
                response = await client.request(method, url, json={})
                body = response.json()
                assert (response.status_code, body["code"]) == (404, "not_found"), (method, url)
    assert set(table.values()) == {"^[0-9a-f]{24}$"}
    assert ("/api/orders/{order_id}/status", "order_id") in table


async def test_collection_paths_work_without_their_trailing_slash(client):
    collections = [p for p in await operations(client) if len(p) > 1 and p.endswith("/")]
    assert {"/api/users/", "/api/products/", "/api/orders/"} <= set(collections)
    body = {"email": "ada@example.com", "username": "ada", "password": "long enough"}
    response = await client.post("/api/users", json=body)  # no slash: no 307, the real thing
    assert response.status_code == 201, response.text
    for path in collections:
        with_slash = await client.get(path)
        without = await client.get(path.rstrip("/"))
        assert (without.status_code, without.json()) == (200, with_slash.json()), path
        assert without.headers.get("x-total-count") == with_slash.headers.get("x-total-count")


async def test_a_scalar_query_parameter_sent_twice_is_422(client):
    table = {}
    for path, ops in (await operations(client)).items():
        for method, operation in ops.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                name = parameter["name"]
                query = {**required_query(operation), name: "1"}
                pairs = [*query.items(), (name, "2")]
                response = await client.request(method, concrete(path), params=pairs)
                body = response.json()
                table[(path, method, name)] = response.status_code
                assert response.status_code == 422, (path, method, name, body)
                assert body["code"] == "validation_error"
                assert {"type": "multiple_values", "loc": ["query", name]} in [
                    {"type": p["type"], "loc": p["loc"]} for p in body["detail"]
                ]
    assert ("/api/admin/inactive-users", "delete", "days") in table


async def test_every_error_status_has_detail_and_code(client):
    """400 (Host), 404 (route, id), 405, 409, 413, 415 and 422 (at most 20 problems, no
    input echoed) share `{"detail", "code"}`."""
    user = {"email": "ada@example.com", "username": "ada", "password": "long enough"}
    await client.post("/api/users/", json=user)
    secret = "s3cret-" + "x" * 5000
    many = {
        "products": [{"sku": "A", "name": "n", "price": 1, f"k{n}": secret} for n in range(500)]
    }
    cases = {
        400: await client.get("/health/live", headers={"host": "rebinding.attacker.example"}),
        404: await client.get("/no/such/route"),
        405: await client.put("/health/live"),
        409: await client.post("/api/users/", json=user),
        413: await client.post(
            "/api/users/",
            content=b"x" * (1024 * 1024 + 1),
            headers={"content-type": "application/json"},
        ),
        415: await client.post(
            "/api/users/", content=b"{}", headers={"content-type": "text/plain"}
        ),
        422: await client.post("/api/products/bulk", json=many),
    }
    cases[4040] = await client.get(f"/api/users/{UNKNOWN}")
    codes = {}
    for status, response in cases.items():
        body = response.json()
        assert set(body) == {"detail", "code"}, (status, body)
        codes[status] = (response.status_code, body["code"])
        assert len(response.content) < 8000, status  # never echoes the input
        assert "s3cret" not in response.text
    assert codes == {
        400: (400, "invalid_host"),
        404: (404, "not_found"),
        405: (405, "method_not_allowed"),
        409: (409, "duplicate"),
        413: (413, "content_too_large"),
        415: (415, "unsupported_media_type"),
        422: (422, "validation_error"),
        4040: (404, "not_found"),
    }
    assert len(cases[422].json()["detail"]) == 20


async def test_a_body_over_the_limit_is_413_while_it_streams(client):
    """No Content-Length (chunked): counted as it arrives; the bulk route allows 32 MiB."""

    async def chunks(total: int):
        for _ in range(total // 65536):
            yield b" " * 65536

    response = await client.post(
        "/api/users/", content=chunks(2 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "content_too_large")
    two_mib_bulk = b'{"products": [' + b" " * (2 * 1024 * 1024) + b"]}"
    response = await client.post(
        "/api/products/bulk", content=two_mib_bulk, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (
        200,
        {"matched": 0, "modified": 0, "upserted": 0},
    )


@pytest.mark.parametrize("leg", ["sqlite"])
async def test_a_500_is_the_error_shape_and_one_traceback_logged_once(leg, settings, caplog):
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    caplog.set_level(logging.INFO)
    async for client in open_client(app):
        response = await client.get("/boom")
        assert (response.status_code, response.json()) == (
            500,
            {"detail": "Internal server error", "code": "internal"},
        )
        assert "secret" not in response.text
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1
    assert "RuntimeError: secret internals" in caplog.text
    assert caplog.text.count("Traceback") <= 1


async def test_hosts_outside_allowed_hosts_are_refused(leg, settings):
    settings = settings.model_copy(update={"allowed_hosts": ["api.example.com", "*.example.org"]})
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    async for client in open_client(app):
        table = {}
        for host in (
            "api.example.com",
            "api.example.com:8443",
            "a.b.example.org",
            "localhost",
            "example.org.evil.com",
        ):
            table[host] = (await client.get("/health/live", headers={"host": host})).status_code
        assert table == {
            "api.example.com": 200,
            "api.example.com:8443": 200,
            "a.b.example.org": 200,
            "localhost": 400,
            "example.org.evil.com": 400,
        }


@pytest.mark.parametrize("allowed", [["*"], ["localhost", "evil"]])
async def test_a_request_with_two_host_headers_is_400(leg, settings, allowed):
    """RFC 9112 §3.2: more than one Host header line is a 400, even when any host is allowed."""
    settings = settings.model_copy(update={"allowed_hosts": allowed})
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    async for client in open_client(app):
        one = await client.get("/health/live", headers={"host": "localhost"})
        two = await client.get("/health/live", headers=[("host", "localhost"), ("host", "evil")])
    assert one.status_code == 200
    assert (two.status_code, two.json()["code"]) == (400, "invalid_host")
    assert two.json()["detail"] == "More than one Host header"


@pytest.mark.parametrize("leg", ["memory"])
async def test_a_form_route_keeps_form_bodies(leg, settings):
    """The OAuth2 password flow posts a form: StorefrontRoute leaves form routes to FastAPI."""
    pytest.importorskip("python_multipart", reason="form parsing arrives with the token route")
    from typing import Annotated

    from fastapi import APIRouter, Form

    from entrypoints.http.routing import StorefrontRoute

    router = APIRouter(route_class=StorefrontRoute)

    @router.post("/form")
    async def form(username: Annotated[str, Form()]) -> dict:
        return {"username": username}

    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    app.include_router(router)
    async for client in open_client(app):
        response = await client.post("/form", data={"username": "ada"})
        assert (response.status_code, response.json()) == (200, {"username": "ada"})


@pytest.mark.parametrize("suffix", ["%0A", "%0D", "%0D%0A", "%20", "/"])
async def test_an_existing_id_with_anything_after_it_names_nothing(client, suffix):
    """Python's `$` also matches before a final newline; the route must not: `<id>%0A` is a
    404 on every method and changes nothing (one resource, one URL)."""
    made = await client.post(
        "/api/users/", json={"email": "nl@example.com", "username": "nlnl", "password": "pw123456"}
    )
    assert made.status_code == 201, made.text
    url = f"/api/users/{made.json()['_id']}"
    for method, body in (("GET", None), ("PATCH", {"full_name": "X"}), ("DELETE", None)):
        response = await client.request(method, url + suffix, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    assert (await client.get(url)).json() == made.json()
