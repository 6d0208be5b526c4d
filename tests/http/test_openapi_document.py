"""The OpenAPI document tells the truth: ids, summaries, tags, info, formats, headers."""

from importlib.metadata import version

import jsonschema_rs
import pytest

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings, make_storage


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    settings = make_settings("memory", tmp_path_factory.mktemp("doc"))
    app = create_app(settings, build_container(settings, make_storage("memory", settings)))
    return app.openapi()


def operations(document):
    for path, items in document["paths"].items():
        for method, operation in items.items():
            yield path, method, operation


def test_info_names_the_package_version_and_a_license(document):
    info = document["info"]
    assert info["version"] == version("storefront")
    assert info["license"]["name"] and len(info["description"]) > 200


def test_every_tag_is_described(document):
    described = {t["name"] for t in document["tags"] if t.get("description")}
    used = {tag for _, _, op in operations(document) for tag in op.get("tags", [])}
    assert used <= described


def test_operation_ids_read_as_verbs_and_every_operation_has_a_summary(document):
    ids = {op["operationId"] for _, _, op in operations(document)}
    assert {"create_user", "list_users", "get_user", "update_user", "place_order"} <= ids
    assert {"get_liveness", "purge_inactive_users", "report_top_customers"} <= ids
    for path, method, op in operations(document):
        assert "_api_" not in op["operationId"], (method, path)
        assert op.get("summary"), (method, path)


def test_every_201_documents_location_and_links_to_the_created_resource(document):
    created = [(p, m, op) for p, m, op in operations(document) if "201" in op["responses"]]
    assert {op["operationId"] for _, _, op in created} == {
        "create_user",
        "create_product",
        "place_order",
    }
    for _, _, op in created:
        response = op["responses"]["201"]
        assert "Location" in response["headers"]
        assert response["links"]
        for link in response["links"].values():
            assert link["parameters"]  # the id taken from $response.body#/_id


def test_every_error_of_every_route_is_the_one_error_schema(document):
    assert "HTTPValidationError" not in str(document)
    for path, method, op in operations(document):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and "content" in response:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    error = document["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"detail", "code"}


def test_timestamps_are_date_time(document):
    schemas = document["components"]["schemas"]
    for name in ("UserOut", "ProductOut", "OrderOut"):
        for field in ("created_at", "updated_at"):
            assert schemas[name]["properties"][field]["format"] == "date-time"


def test_headers_sent_are_documented(document):
    paths = document["paths"]
    for collection in ("users", "products", "orders"):
        listed = paths[f"/api/{collection}/"]["get"]["responses"]["200"]["headers"]
        assert {"X-Total-Count", "Link"} <= set(listed)
        names = {p["name"] for p in paths[f"/api/{collection}/"]["get"]["parameters"]}
        assert {"cursor", "skip", "limit"} <= names
    replay = paths["/api/orders/"]["post"]["responses"]["200"]["headers"]
    assert "Idempotent-Replayed" in replay
    got = paths["/api/users/{user_id}"]["get"]
    assert "ETag" in got["responses"]["200"]["headers"] and "304" in got["responses"]
    assert "412" in paths["/api/users/{user_id}"]["patch"]["responses"]


async def test_a_201_sends_the_location_it_documents(client):
    response = await client.post(
        "/api/users/", json={"email": "a@example.com", "username": "ada", "password": "password1"}
    )
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/users/{response.json()['_id']}"
    assert (await client.get(response.headers["Location"])).status_code == 200
    product = await client.post("/api/products/", json={"sku": "S-1", "name": "P", "price": 1})
    assert product.headers["Location"] == f"/api/products/{product.json()['_id']}"


def _check(document: dict, schema: dict, example, where: str) -> None:
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    root["components"] = document["components"]
    errors = [e.message for e in jsonschema_rs.validator_for(root).iter_errors(example)]
    assert not errors, (where, errors)


def test_every_schema_has_an_example_that_it_accepts(document):
    for name, schema in document["components"]["schemas"].items():
        assert "example" in schema, name
        _check(document, schema, schema["example"], name)


def test_every_route_example_fits_its_schema(document):
    for path, method, op in operations(document):
        for parameter in op.get("parameters", []):
            if parameter["name"] != "cursor":  # opaque: only the server makes one
                assert "example" in parameter, (method, path, parameter["name"])
                _check(document, parameter["schema"], parameter["example"], parameter["name"])
        bodies = [("request", op.get("requestBody", {})), *op["responses"].items()]
        for label, body in bodies:
            media = body.get("content", {}).get("application/json")
            if media is None:
                continue
            assert "example" in media, (method, path, label)
            _check(document, media["schema"], media["example"], f"{method} {path} {label}")


def _request_strings(document: dict, schema, seen: set[str]):
    """Every string schema reachable from a request schema (through $refs, once each)."""
    if isinstance(schema, list):
        for item in schema:
            yield from _request_strings(document, item, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/") and ref not in seen:
        seen.add(ref)
        yield from _request_strings(document, document["components"]["schemas"][ref[21:]], seen)
    if schema.get("type") == "string":
        yield schema
    for key in ("properties",):
        for value in schema.get(key, {}).values():
            yield from _request_strings(document, value, seen)
    for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        if key in schema:
            yield from _request_strings(document, schema[key], seen)


def test_request_text_says_it_holds_no_nul(document):
    """The server refuses NUL in every body, query and form string (test_input_rules): the
    document says so with a pattern on each one that has no narrower pattern or format."""
    free = []
    for path, method, op in operations(document):
        schemas = [p["schema"] for p in op.get("parameters", []) if p["in"] != "header"]
        schemas += [m["schema"] for m in op.get("requestBody", {}).get("content", {}).values()]
        for schema in schemas:
            for string in _request_strings(document, schema, set()):
                if "format" in string or "enum" in string:
                    continue
                assert "pattern" in string, (method, path, string)
                validator = jsonschema_rs.validator_for(string)
                assert not validator.is_valid("a\x00b"), (method, path, string)
                free.append(string)
    names = document["components"]["schemas"]
    assert names["UserCreate"]["properties"]["password"]["pattern"] == "^[^\\u0000]*$"
    assert names["AddressBody"]["properties"]["street"]["pattern"] == "^[^\\u0000]*$"
    assert len(free) > 30


def test_report_days_document_their_bounds(document):
    parameters = document["paths"]["/api/analytics/users/registrations"]["get"]["parameters"]
    for parameter in parameters:
        validator = jsonschema_rs.validator_for(parameter["schema"], validate_formats=True)
        accepted = {d: validator.is_valid(d) for d in ("1969-12-31", "1970-01-01", "2026-02-28")}
        accepted |= {d: validator.is_valid(d) for d in ("9998-12-31", "9999-01-01", "2026-13-01")}
        assert accepted == {
            "1969-12-31": False,
            "1970-01-01": True,
            "2026-02-28": True,
            "9998-12-31": True,
            "9999-01-01": False,
            "2026-13-01": False,
        }, parameter["name"]


async def test_report_days_outside_the_documented_pattern_are_422(client):
    url = "/api/analytics/users/registrations"
    answers = {}
    for start, end in [("1969-12-31", "1970-01-02"), ("1970-01-01", "1970-01-02")]:
        answers[start] = (await client.get(url, params={"start": start, "end": end})).status_code
    assert answers == {"1969-12-31": 422, "1970-01-01": 200}


async def test_an_idempotency_key_is_documented_as_printable_and_checked_so(client):
    doc = (await client.get("/openapi.json")).json()
    [header] = [
        p for p in doc["paths"]["/api/orders/"]["post"]["parameters"] if p["in"] == "header"
    ]
    validator = jsonschema_rs.validator_for(header["schema"])
    keys = {"key-1 ok": True, "caf\u00e9": True, "a\tb": False, "a\u00a0b": False}
    assert {key: validator.is_valid(key) for key in keys} == keys
    for key, printable in keys.items():
        response = await client.post(
            "/api/orders/",
            json={"items": [{"product_id": "0" * 24, "quantity": 1}]},
            headers={"Idempotency-Key": key.encode("latin-1")},
        )
        # a printable key reaches the order (whose product does not exist)
        code = "invalid_reference" if printable else "invalid"
        assert (response.status_code, response.json()["code"]) == (422, code), key


async def test_cross_field_and_empty_value_rules_are_in_the_document(client):
    """PATCH /me: a new password needs current_password (dependentRequired; 422
    current_password_required without it); an order's ids are ids (a pattern; anything else
    is a 422 validation error); an empty grant_type is the same as none (the pattern allows
    it, and so does the server)."""
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    me_body = doc["paths"]["/api/users/me"]["patch"]["requestBody"]["content"]
    assert me_body["application/json"]["schema"] == {"$ref": "#/components/schemas/MeUpdate"}
    assert schemas["MeUpdate"]["dependentRequired"] == {"password": ["current_password"]}
    response = await client.patch("/api/users/me", json={"password": "a new long password"})
    assert (response.status_code, response.json()["code"]) == (422, "current_password_required")

    line = schemas["OrderItemIn"]["properties"]["product_id"]
    assert line["pattern"] == "^[0-9a-f]{24}$"
    for product_id in ("x" * 24, "0" * 25, "ABCDEF" * 4):
        body = {"items": [{"product_id": product_id, "quantity": 1}]}
        response = await client.post("/api/orders/", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")

    grant = schemas["Body_login"]["properties"]["grant_type"]["anyOf"][0]
    assert jsonschema_rs.validator_for(grant).is_valid("")
    form = {"username": "admin", "password": "admin-password", "grant_type": ""}
    assert (await client.post("/api/auth/token", data=form)).status_code == 200
    form["grant_type"] = "client_credentials"
    assert (await client.post("/api/auth/token", data=form)).status_code == 422
