"""The OpenAPI document: API info, tag descriptions, operation ids and summaries, and what
FastAPI cannot infer from the routes (the `Location` of every 201, links between operations).
"""

import copy
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from domain.analytics import FIRST_REPORT_DAY, LAST_REPORT_DAY
from domain.ids import ID_PATTERN
from domain.money import MAX_AMOUNT
from entrypoints.http import examples
from entrypoints.http.middleware.ratelimit import EXEMPT_PATHS as RATE_LIMIT_EXEMPT
from entrypoints.http.schemas.patterns import char_class

DESCRIPTION = """\
Users, products, inventory, orders and analytics over swappable storage (MongoDB, PostgreSQL,
SQLite, memory): the same API, status codes and data on each.

* **Errors** are `{"detail": "...", "code": "..."}` with a stable machine `code`.
* **Money** is a JSON number with at most 2 decimal places (`multipleOf: 0.01`), exact:
  the server never rounds it through a binary float.
* **Timestamps** are ISO-8601 UTC with milliseconds (`2026-11-27T20:56:28.123Z`).
* **Lists** are newest first and paged by `limit` and either `skip` or the opaque `cursor`
  of the `Link: <...>; rel="next"` header (RFC 8288), which stays stable while items are
  added and removed; `X-Total-Count` counts every match.
* **Concurrency**: single resources carry a strong `ETag`; send it back in `If-None-Match`
  (304) or `If-Match` (412 `precondition_failed` when the resource changed since).
* **Retries**: `POST /api/orders/` takes an `Idempotency-Key`; a retry answers 200 with
  `Idempotent-Replayed: true` and the first order.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "health", "description": "Liveness, readiness and the store's latency."},
    {
        "name": "auth",
        "description": "OAuth2 password flow: bearer access tokens (JWT) and rotating refresh "
        "tokens.",
    },
    {"name": "users", "description": "Accounts: sign-up, profiles, roles."},
    {
        "name": "products",
        "description": "The catalog: products, relevance-ranked search, bulk upsert by sku.",
    },
    {"name": "inventory", "description": "Stock per product; never below zero."},
    {
        "name": "orders",
        "description": "Orders placed atomically against stock, idempotent retries, and the "
        "status machine pending → paid → shipped → delivered (or cancelled).",
    },
    {"name": "analytics", "description": "Reports computed inside the store."},
    {"name": "maintenance", "description": "Administration: purging inactive users."},
]

# operation ids are the route functions' names (`create_user`, `place_order`...), but for
# these, whose function names are too short to read well in a generated client
_OPERATION_IDS = {
    "health": "get_health",
    "live": "get_liveness",
    "ready": "get_readiness",
    "users_by_role": "report_users_by_role",
    "registrations": "report_registrations",
    "top_customers": "report_top_customers",
}

SUMMARIES = {
    "get_health": "Health summary with the store's latency",
    "get_liveness": "Liveness: 200 while the process runs",
    "get_readiness": "Readiness: 200 when the store answers, else 503",
    "login": "Log in: an access token and a refresh token",
    "refresh": "Trade a refresh token for a new pair",
    "logout": "Revoke a refresh token and its family",
    "get_me": "Get the caller's own user",
    "update_me": "Change the caller's own user",
    "create_user": "Create a user (sign up)",
    "list_users": "List users, newest first",
    "get_user": "Get a user",
    "update_user": "Change some fields of a user",
    "delete_user": "Delete a user",
    "create_product": "Create a product",
    "list_products": "List products, newest first",
    "search_products": "Search products by relevance",
    "bulk_upsert_products": "Upsert up to 10,000 products by sku in one round trip",
    "get_product": "Get a product",
    "update_product": "Change some fields of a product",
    "delete_product": "Delete a product and its stock",
    "get_stock": "Get a product's stock",
    "set_stock": "Set a product's stock",
    "adjust_stock": "Add to or take from a product's stock",
    "place_order": "Place an order",
    "list_orders": "List orders, newest first",
    "get_order": "Get an order",
    "change_order_status": "Move an order to another status",
    "report_users_by_role": "Users per role, active and inactive",
    "report_registrations": "Registrations per UTC day",
    "report_top_customers": "Top customers by orders and spending",
    "purge_inactive_users": "Delete users inactive for a number of days",
}

# create -> the operations that take the created resource's id (OpenAPI links; stateful
# testing tools and client generators follow them)
_LINKS = {
    "create_user": ("user_id", ["get_user", "update_user", "delete_user"]),
    "create_product": (
        "product_id",
        [
            "get_product",
            "update_product",
            "delete_product",
            "get_stock",
            "set_stock",
            "adjust_stock",
        ],
    ),
    "place_order": ("order_id", ["get_order", "change_order_status"]),
}
# a product with stock can be ordered: set_stock's answer names the product for an order
# of one (the chain create_product -> set_stock -> place_order -> get_order, ...)
_ORDER_ONE = {
    "operationId": "place_order",
    "requestBody": {"items": [{"product_id": "$response.body#/product_id", "quantity": 1}]},
}


def operation_id(route: APIRoute) -> str:
    """The operation id of a route: its function's name (`generate_unique_id_function`)."""
    return _OPERATION_IDS.get(route.name, route.name)


def package_version() -> str:
    try:
        return metadata("storefront")["Version"]
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def app_metadata() -> dict[str, Any]:
    """Keyword arguments of FastAPI(...) for the document's info and tags."""
    return {
        "title": "Storefront",
        "version": package_version(),
        "summary": "Users, products, inventory, orders and analytics over swappable storage.",
        "description": DESCRIPTION,
        "license_info": {"name": "MIT", "identifier": "MIT"},
        "openapi_tags": TAGS,
        "generate_unique_id_function": operation_id,
    }


def _example_of(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The example of a schema: its component's, or a list of one for an array of them."""
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]].get("example")
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        item = _example_of(document, schema["items"])
        return None if item is None else [item]
    return None


_PRICE_PARAMETERS = {"min_price", "max_price"}
_PRICE_SCHEMA = {"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT), "multipleOf": 0.01}


# Text the API accepts holds no NUL (U+0000): the server refuses it in every body, query and
# form field (entrypoints/http/json.py), so the document says so on every such string that
# has no narrower pattern or format of its own. (A lone surrogate is not Unicode text at all,
# so `type: string` already excludes it.)
NO_NUL_PATTERN = "^[^\\u0000]*$"
_NARROWER = ("pattern", "format", "enum", "const")


def _no_nul_strings(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add NO_NUL_PATTERN to every free-text string of a request schema (following $refs
    into the components once each)."""
    if isinstance(schema, list):
        for item in schema:
            _no_nul_strings(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _no_nul_strings(components.get(name), components, seen)
    if schema.get("type") == "string" and not any(key in schema for key in _NARROWER):
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("properties", "$defs"):
        for value in schema.get(key, {}).values():
            _no_nul_strings(value, components, seen)
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
        if key in schema:
            _no_nul_strings(schema[key], components, seen)


def _year_pattern(first: int, last: int) -> str:
    """A regular expression for the 4-digit years first..last (here 1970..9998)."""
    assert (first, last) == (1970, 9998), "rewrite _year_pattern for the new bounds"
    return r"(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"


# a report day: format `date` says it is a real calendar day, the pattern its bounds
# (FIRST_REPORT_DAY..LAST_REPORT_DAY; JSON Schema has no minimum for dates)
DAY_PATTERN = (
    "^"
    + _year_pattern(FIRST_REPORT_DAY.year, LAST_REPORT_DAY.year)
    + r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
)


# domain.orders.check_idempotency_key: printable characters only (str.isprintable)
# (over Latin-1: all a header value can carry)
_HEADER_PATTERNS = {"Idempotency-Key": f"^[{char_class(str.isprintable, 0x100)}]*$"}


def _parameter_bounds(operation: dict[str, Any]) -> None:
    """What the server checks of a parameter that its type alone does not say: a path
    parameter is an id, 24 lowercase hex digits (every one is `{name:id}`, entrypoints/http/
    paths.py: the router matches nothing else; tests/http/test_http_conventions.py checks
    each), days are in the reports' range, query text holds no NUL."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path":
            schema["pattern"] = f"^{ID_PATTERN}$"
        elif schema.get("format") == "date":
            schema["pattern"] = DAY_PATTERN
        elif parameter["in"] == "header" and parameter["name"] in _HEADER_PATTERNS:
            schema["pattern"] = _HEADER_PATTERNS[parameter["name"]]
        elif parameter["in"] == "query":
            _no_nul_strings(schema, {}, set())


def _no_null_parameters(operation: dict[str, Any]) -> None:
    """An optional query or header parameter is left out, never sent as null: its schema is
    the non-null branch alone (FastAPI writes `anyOf: [X, null]` for `X | None`)."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] in _PRICE_PARAMETERS:  # read as exact decimals, like a price
            parameter["schema"] = dict(_PRICE_SCHEMA)
            continue
        schema = parameter.get("schema", {})
        branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
        if "anyOf" in schema and len(branches) == 1:
            rest = {k: v for k, v in schema.items() if k not in {"anyOf", "default"}}
            parameter["schema"] = branches[0] | rest


def _add_examples(document: dict[str, Any], operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["name"] in examples.PARAMETERS:
            parameter["example"] = examples.PARAMETERS[parameter["name"]]
    bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
    for body in bodies:
        for media in body.get("content", {}).values():
            if "schema" in media:
                example = _example_of(document, media["schema"])
                if example is not None:
                    media["example"] = example


_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_ERROR = "#/components/schemas/ErrorBody"


def _one_error_schema(node: Any) -> None:
    """FastAPI's default 422 model (on routes that do not declare their 422) -> ErrorBody,
    the schema of every error the app sends."""
    if isinstance(node, dict):
        if node.get("$ref") == _FASTAPI_422:
            node["$ref"] = _ERROR
        for value in node.values():
            _one_error_schema(value)
    elif isinstance(node, list):
        for value in node:
            _one_error_schema(value)


# what RateLimitMiddleware sends over a limit (entrypoints/http/middleware/ratelimit.py), on
# every route but the exempt ones, when RATE_LIMIT_ENABLED
RATE_LIMITED: dict[str, Any] = {
    "description": "Too many requests (RATE_LIMIT_PER_MINUTE and the login/sign-up limits): "
    "retry after `Retry-After` seconds",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the request can succeed (RFC 9110 §10.2.3).",
            "schema": {"type": "integer", "minimum": 0},
        },
        "RateLimit-Policy": {
            "description": 'The policy exceeded, e.g. `"default";q=600;w=60`: its quota per '
            "window of seconds (draft-ietf-httpapi-ratelimit-headers).",
            "schema": {"type": "string", "pattern": '^"[a-z-]+";q=[0-9]+;w=[0-9]+$'},
        },
        "RateLimit": {
            "description": 'What is left of it, e.g. `"default";r=0;t=12`: nothing, for `t` '
            "more seconds.",
            "schema": {"type": "string", "pattern": '^"[a-z-]+";r=[0-9]+;t=[0-9]+$'},
        },
    },
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorBody"},
            "example": {
                "detail": "Too many requests: the limit is 600 per 60 seconds; retry in 12 s",
                "code": "rate_limited",
            },
        }
    },
}


def _refine(document: dict[str, Any]) -> None:
    _one_error_schema(document.get("paths", {}))
    schemas = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for name, schema in schemas.items():
        if name in examples.SCHEMAS:
            schema["example"] = examples.SCHEMAS[name]
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            if path not in RATE_LIMIT_EXEMPT:
                operation.setdefault("responses", {})["429"] = copy.deepcopy(RATE_LIMITED)
            op_id = operation.get("operationId")
            if op_id in SUMMARIES:
                operation["summary"] = SUMMARIES[op_id]
            _no_null_parameters(operation)
            _parameter_bounds(operation)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _no_nul_strings(media.get("schema"), schemas, seen)
            _add_examples(document, operation)
            if op_id == "set_stock":
                operation["responses"]["200"]["links"] = {"place_order": dict(_ORDER_ONE)}
            created = operation.get("responses", {}).get("201")
            if created is None:
                continue
            created.setdefault("headers", {})["Location"] = {
                "description": "The URL of the created resource.",
                "schema": {"type": "string", "format": "uri-reference"},
            }
            if op_id in _LINKS:
                parameter, targets = _LINKS[op_id]
                created["links"] = {
                    target: {
                        "operationId": target,
                        "parameters": {parameter: "$response.body#/_id"},
                    }
                    for target in targets
                }


def install(app: FastAPI) -> None:
    """Refine the document FastAPI generates, once, when it is first asked for."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _refine(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
