"""SPEC "Input rules and HTTP conventions": one test per kind of bad input, each walking every
route and field the kind applies to, on every HTTP leg, asserting one answer table that is the
same on every store (and never a 500).

The route lists come from the app's own OpenAPI document where they can (HEAD, Allow,
repeated parameters, error shape), so a new route is covered without editing this file.
"""

import json
import re
from decimal import Decimal

from domain.analytics import LAST_REPORT_DAY
from domain.inventory import MAX_QUANTITY
from domain.money import MAX_AMOUNT, MAX_ORDER_TOTAL
from domain.orders import MAX_LINE_QUANTITY
from domain.pagination import MAX_LIMIT, MAX_SKIP
from domain.users import MAX_PURGE_DAYS
from tests.conftest import is_real_mongo
from tests.mongo_server import REAL_WIRE
from tests.orders_support import skip_without_transactions

UNKNOWN = "0" * 24  # a well-formed id that names nothing
HUGE = 10**20  # past int64: what made SQLite and PostgreSQL answer 500


def search_runs(leg: str) -> bool:
    """False where the store has no text search: mongomock, and a real-wire MongoDB server
    the probe found without $text (its 501 is tested in test_mongo_text_search_capability)."""
    if leg == "mongo-fake":
        return False
    return not (
        is_real_mongo(leg) and REAL_WIRE.capabilities and REAL_WIRE.capabilities.text_search
    )


def raw(body: object) -> dict:
    """Request kwargs sending `body` as JSON text exactly (lone surrogates as \\u escapes)."""
    return {
        "content": json.dumps(body, ensure_ascii=True).encode(),
        "headers": {"content-type": "application/json"},
    }


def raw_text(text: str) -> dict:
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


async def seed(client) -> dict:
    """A user and an active product with stock; their ids."""
    user = await client.post(
        "/api/users/",
        json={"email": "ada@example.com", "username": "ada", "password": "long enough"},
    )
    product = await client.post(
        "/api/products/", json={"sku": "MUG-1", "name": "Mug", "price": 9.99, "tags": ["mug"]}
    )
    assert (user.status_code, product.status_code) == (201, 201), (user.text, product.text)
    product_id = product.json()["_id"]
    stock = await client.put(f"/api/inventory/{product_id}", json={"quantity": 50})
    assert stock.status_code == 200
    ids = {"user": user.json()["_id"], "product": product_id}
    ids["snapshot"] = await snapshot(client, ids)
    assert ids["snapshot"][1:] == ([("MUG-1", 9.99)], 0, 50)
    return ids


def user_body(**fields) -> dict:
    return {"email": "bob@example.com", "username": "bob", "password": "long enough"} | fields


def product_body(**fields) -> dict:
    return {"sku": "NEW-1", "name": "New", "price": 1} | fields


async def answers(client, cases: dict[str, tuple]) -> dict[str, int]:
    """Each case's status code, by case name; a 4xx must carry the error shape."""
    table = {}
    for name, (method, url, kwargs) in cases.items():
        response = await client.request(method, url, **kwargs)
        table[name] = response.status_code
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"detail", "code"}, (name, body)
    return table


async def snapshot(client, ids: dict) -> tuple:
    """What the store holds, as the API shows it (to compare before and after)."""
    users = (await client.get("/api/users/")).json()
    products = (await client.get("/api/products/")).json()
    orders = (await client.get("/api/orders/")).json()
    stock = (await client.get(f"/api/inventory/{ids['product']}")).json()
    return (
        sorted(u["username"] for u in users),
        sorted((p["sku"], p["price"]) for p in products),
        len(orders),
        stock["quantity"],
    )


async def store_unchanged(client, ids: dict) -> None:
    """Nothing any refused request sent was written."""
    assert await snapshot(client, ids) == ids["snapshot"]


LISTS = {
    "users": "/api/users/",
    "products": "/api/products/",
    "orders": "/api/orders/",
    "search": "/api/products/search?q=mug",
}
REGISTRATIONS = "/api/analytics/users/registrations"


def out_of_bounds_queries() -> dict[str, tuple]:
    """skip/limit on every list and search, money filters, report dates and limit, days."""
    cases: dict[str, tuple] = {}
    for name, url in LISTS.items():
        sep = "&" if "?" in url else "?"
        for label, value in (("huge", HUGE), ("over", MAX_SKIP + 1), ("negative", -1)):
            cases[f"{name} skip {label}"] = ("GET", f"{url}{sep}skip={value}", {})
        for label, value in (("huge", HUGE), ("zero", 0), ("over", MAX_LIMIT + 1)):
            cases[f"{name} limit {label}"] = ("GET", f"{url}{sep}limit={value}", {})
    for field in ("min_price", "max_price"):
        for value in (HUGE, -1, "1e400", "NaN", "0.001", str(MAX_AMOUNT + 1)):
            cases[f"{field}={value}"] = ("GET", f"/api/products/?{field}={value}", {})
    for start, end in (("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-02")):
        cases[f"registrations {start}"] = ("GET", f"{REGISTRATIONS}?start={start}&end={end}", {})
    for value in (0, MAX_PURGE_DAYS + 1, HUGE, -1):
        cases[f"purge days {value}"] = ("DELETE", f"/api/admin/inactive-users?days={value}", {})
    for value in (0, 101, HUGE):
        cases[f"top limit {value}"] = ("GET", f"/api/analytics/customers/top?limit={value}", {})
    return cases


def out_of_bounds_bodies(pid: str, uid: str) -> dict[str, tuple]:
    """Stock quantity and delta, order quantities, prices in create, patch and bulk."""
    cases: dict[str, tuple] = {}
    for value in (HUGE, -1, MAX_QUANTITY + 1, True, 1.5):
        cases[f"stock {value}"] = ("PUT", f"/api/inventory/{pid}", raw({"quantity": value}))
    for value in (HUGE, -HUGE, MAX_QUANTITY + 1, True):
        cases[f"delta {value}"] = ("POST", f"/api/inventory/{pid}/adjust", raw({"delta": value}))
    for value in (0, -1, MAX_LINE_QUANTITY + 1, HUGE, True, 1.5):
        body = {"user_id": uid, "items": [{"product_id": pid, "quantity": value}]}
        cases[f"order quantity {value}"] = ("POST", "/api/orders/", raw(body))
    for value in (-0.01, HUGE, float(MAX_AMOUNT) + 1):
        cases[f"create price {value}"] = ("POST", "/api/products/", raw(product_body(price=value)))
        cases[f"patch price {value}"] = ("PATCH", f"/api/products/{pid}", raw({"price": value}))
        bulk = {"products": [product_body(price=value)]}
        cases[f"bulk price {value}"] = ("POST", "/api/products/bulk", raw(bulk))
    return cases


async def test_integers_dates_and_amounts_out_of_bounds_are_422(client, leg):
    """skip/limit on every list and search, days, report dates and limit, money filters,
    stock quantity and delta, order quantities, prices in create, patch and bulk."""
    ids = await seed(client)
    cases = out_of_bounds_queries() | out_of_bounds_bodies(ids["product"], ids["user"])
    table = await answers(client, cases)
    assert table == dict.fromkeys(cases, 422)

    last = LAST_REPORT_DAY.isoformat()
    response = await client.get(f"{REGISTRATIONS}?start={last}&end={last}")
    assert (response.status_code, response.json()) == (200, [])
    response = await client.delete(f"/api/admin/inactive-users?days={MAX_PURGE_DAYS}")
    assert (response.status_code, response.json()) == (200, {"deleted": 0})
    await store_unchanged(client, ids)
    # the largest accepted skip answers an empty page, not a 500
    for name, url in LISTS.items():
        if name == "search" and not search_runs(leg):
            continue
        sep = "&" if "?" in url else "?"
        response = await client.get(f"{url}{sep}skip={MAX_SKIP}")
        assert (response.status_code, response.json()) == (200, []), url


FORBIDDEN_TEXT = {"NUL": "a\x00b", "lone surrogate": "a\ud800b"}


async def test_text_with_nul_or_a_lone_surrogate_is_422(client):
    """Every text field of every body (bulk items and nested address included), every text
    filter; the same 422 on every store, and nothing written."""
    ids = await seed(client)
    pid, uid = ids["product"], ids["user"]
    address = {"street": "1 Main", "city": "X", "state": "Y", "zip_code": "1"}
    cases: dict[str, tuple] = {}
    for kind, bad in FORBIDDEN_TEXT.items():
        bodies = {
            "user username": ("POST", "/api/users/", user_body(username=f"bo{bad}")),
            "user full_name": ("POST", "/api/users/", user_body(full_name=f"Ada{bad}")),
            "user password": ("POST", "/api/users/", user_body(password=f"long enough{bad}")),
            "user tags": ("POST", "/api/users/", user_body(tags=["ok", bad])),
            "user email": ("POST", "/api/users/", user_body(email=f"b{bad}@example.com")),
            "user address": (
                "POST",
                "/api/users/",
                user_body(address=address | {"city": bad}),
            ),
            "user patch full_name": ("PATCH", f"/api/users/{uid}", {"full_name": bad}),
            "user patch tags": ("PATCH", f"/api/users/{uid}", {"tags": [bad]}),
            "product name": ("POST", "/api/products/", product_body(name=bad)),
            "product description": ("POST", "/api/products/", product_body(description=bad)),
            "product category": ("POST", "/api/products/", product_body(category=bad)),
            "product tags": ("POST", "/api/products/", product_body(tags=[bad])),
            "product sku": ("POST", "/api/products/", product_body(sku=bad)),
            "product patch name": ("PATCH", f"/api/products/{pid}", {"name": bad}),
            "product patch tags": ("PATCH", f"/api/products/{pid}", {"tags": [bad]}),
            "bulk item name": (
                "POST",
                "/api/products/bulk",
                {"products": [product_body(), product_body(sku="NEW-2", name=bad)]},
            ),
            "bulk unknown key": (
                "POST",
                "/api/products/bulk",
                {"products": [product_body() | {bad: 1}]},
            ),
            "order user_id": (
                "POST",
                "/api/orders/",
                {"user_id": bad, "items": [{"product_id": pid, "quantity": 1}]},
            ),
            "order product_id": (
                "POST",
                "/api/orders/",
                {"user_id": uid, "items": [{"product_id": bad, "quantity": 1}]},
            ),
        }
        for name, (method, url, body) in bodies.items():
            cases[f"{kind}: {name}"] = (method, url, raw(body))
    # the OAuth2 token form (a form, not JSON) and the refresh token
    for name in ("username", "password"):
        form = {"username": "admin", "password": "x" * 10, name: "ad\x00min"}
        cases[f"NUL: token form {name}"] = ("POST", "/api/auth/token", {"data": form})
    for kind, bad in FORBIDDEN_TEXT.items():
        cases[f"{kind}: refresh_token"] = ("POST", "/api/auth/refresh", raw({"refresh_token": bad}))
    # filters: only NUL can arrive in a query (bytes that are not UTF-8 become U+FFFD)
    for name, url in {
        "search q": "/api/products/search?q=mug%00",
        "products category": "/api/products/?category=a%00",
        "products tag": "/api/products/?tag=a%00",
        "orders user_id": "/api/orders/?user_id=a%00",
        "users role": "/api/users/?role=a%00",
    }.items():
        cases[f"NUL: {name}"] = ("GET", url, {})
    table = await answers(client, cases)
    assert table == dict.fromkeys(cases, 422)
    await store_unchanged(client, ids)


async def test_usernames_are_nfkc_and_refuse_control_and_format_characters(client):
    await seed(client)
    cases = {
        "zero-width space": "ad\u200ba",
        "zero-width joiner": "ad\u200da",
        "bidi override": "\u202eada",
        "control": "ad\x07a",
    }
    table = {}
    for name, username in cases.items():
        response = await client.post("/api/users/", **raw(user_body(username=username)))
        table[name] = response.status_code
    assert table == dict.fromkeys(cases, 422)
    # full-width a, d, a (U+FF41...) is "ada" in NFKC: the same name, so a duplicate
    response = await client.post("/api/users/", json=user_body(username="\uff41\uff44\uff41"))
    assert (response.status_code, response.json()["code"]) == (409, "duplicate")
    response = await client.post("/api/users/", json=user_body(username="\uff42\uff4f\uff42"))
    assert (response.status_code, response.json()["username"]) == (201, "bob")


async def test_money_is_exact_in_and_out(client, leg):
    """Amounts are read without a float step and sent back with their exact digits; an
    order total over MAX_ORDER_TOTAL is a 422 on every store."""
    ids = await seed(client)
    pid, uid = ids["product"], ids["user"]
    refused = {
        "21 places": "12.50000000000000000001",
        "tiny exponent": "1e-400",
        "huge exponent": "1e400",
        "boolean": "true",
        "NaN": "NaN",
        "Infinity": "Infinity",
        "3 places": "0.001",
    }
    cases: dict[str, tuple] = {}
    for name, number in refused.items():
        body = f'{{"sku": "X-1", "name": "X", "price": {number}}}'
        cases[f"create {name}"] = ("POST", "/api/products/", raw_text(body))
        cases[f"patch {name}"] = (
            "PATCH",
            f"/api/products/{pid}",
            raw_text(f'{{"price": {number}}}'),
        )
        cases[f"bulk {name}"] = (
            "POST",
            "/api/products/bulk",
            raw_text(f'{{"products": [{body}]}}'),
        )
    table = await answers(client, cases)
    assert table == dict.fromkeys(cases, 422)
    await store_unchanged(client, ids)

    accepted = {"12.50": "12.5", "1e1": "10.0", "0": "0.0", "999999999.99": "999999999.99"}
    for n, (sent, shown) in enumerate(accepted.items()):
        body = f'{{"sku": "OK-{n}", "name": "X", "price": {sent}}}'
        response = await client.post("/api/products/", **raw_text(body))
        assert response.status_code == 201, response.text
        assert f'"price":{shown},' in response.text
        assert Decimal(str(response.json()["price"])) == Decimal(sent)

    # the largest order total every store holds, exact in the response; one cent more: 422
    big = await client.post("/api/products/", json=product_body(sku="BIG", price=999999999.99))
    big_id = big.json()["_id"]
    await client.put(f"/api/inventory/{big_id}", json={"quantity": 100})
    over = {"user_id": uid, "items": [{"product_id": big_id, "quantity": 11}]}
    response = await client.post("/api/orders/", json=over)
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    assert str(MAX_ORDER_TOTAL) in response.json()["detail"]
    assert (await client.get(f"/api/inventory/{big_id}")).json()["quantity"] == 100
    skip_without_transactions(leg)
    cent = await client.post("/api/products/", json=product_body(sku="CENT", price=0.09))
    lines = [
        {"product_id": big_id, "quantity": 10},
        {"product_id": cent.json()["_id"], "quantity": 1},
    ]
    await client.put(f"/api/inventory/{cent.json()['_id']}", json={"quantity": 1})
    response = await client.post("/api/orders/", json={"user_id": uid, "items": lines})
    assert response.status_code == 201, response.text
    assert '"total":9999999999.99,' in response.text
    assert Decimal(str(response.json()["total"])) == MAX_ORDER_TOTAL


async def test_booleans_are_json_booleans_only(client):
    """`is_active: 0`, `1` or `"true"` is a 422 on every body that takes a boolean (the
    document says `boolean`; a lax parser would read them as false/true)."""
    ids = await seed(client)
    table = {}
    for value in (0, 1, "true", "false", None):
        cases = {
            "create user": ("POST", "/api/users/", {"json": user_body(is_active=value)}),
            "patch user": ("PATCH", f"/api/users/{ids['user']}", {"json": {"is_active": value}}),
            "create product": ("POST", "/api/products/", {"json": product_body(is_active=value)}),
            "patch product": (
                "PATCH",
                f"/api/products/{ids['product']}",
                {"json": {"is_active": value}},
            ),
            "bulk": (
                "POST",
                "/api/products/bulk",
                {"json": {"products": [product_body(is_active=value)]}},
            ),
        }
        for name, status in (await answers(client, cases)).items():
            table[(name, value)] = status
    # null: only where the document says nullable (a create's `is_active`: the default)
    nullable = {("create user", None)}
    assert table == {key: 201 if key in nullable else 422 for key in table}
    for value in (True, False):
        response = await client.post(
            "/api/products/", json=product_body(sku=f"B-{value}", is_active=value)
        )
        assert (response.status_code, response.json()["is_active"]) == (201, value)


async def test_an_email_at_a_special_use_domain_is_422_as_the_document_says(client):
    """The server refuses addresses at special-use names (`.test`, `.local`...): the document's
    email pattern says so, and every address is checked against it here."""
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    pattern = schema["UserCreate"]["properties"]["email"]["pattern"]
    assert schema["UserUpdate"]["properties"]["email"]["pattern"] == pattern
    answers = {}
    for n, email in enumerate(
        ["ada@lab.test", "Ada@Lab.TEST", "a@b.local", "a@onion", "ada@example.com", "a@test.com"]
    ):
        response = await client.post("/api/users/", json=user_body(email=email, username=f"u{n}x"))
        answers[email] = (response.status_code, re.search(pattern, email) is not None)
    assert answers == {
        "ada@lab.test": (422, False),
        "Ada@Lab.TEST": (422, False),
        "a@b.local": (422, False),
        "a@onion": (422, False),
        "ada@example.com": (201, True),
        "a@test.com": (201, True),
    }
