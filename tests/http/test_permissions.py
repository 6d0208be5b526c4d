"""SPEC.md's permission table, row by row, on every HTTP leg.

Each row is one parametrized test that makes the same request as each of the four callers
(anonymous, user, moderator, admin: in that order, each logged in through /api/auth/token) and
compares the four status codes with the table's cell, all at once. Rows whose request changes
something make a fresh target per caller, so one caller's success never decides the next
one's answer; a refused request must also leave the data as it was (checked where a refusal
could have written). Someone else's user or order is 404 to a user, as the SPEC demands.
"""

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import needs_real_mongo
from tests.orders_support import NO_TRANSACTIONS

ROLES = ("anonymous", "user", "moderator", "admin")
_serial = itertools.count()


def n() -> int:
    return next(_serial)


@dataclass
class World:
    callers: dict[str, httpx.AsyncClient]
    own: dict[str, str]  # role -> the caller's own user id (anonymous: alice's, someone's)
    admin: httpx.AsyncClient
    bob: str  # another plain user
    admin2: str  # another admin
    active: str  # an active product with stock
    inactive: str  # an inactive product with stock
    notes: dict[str, object] = field(default_factory=dict)

    async def product(self, **fields) -> str:
        i = n()
        body = {"sku": f"P-{i}", "name": f"Thing {i}", "price": 1.5} | fields
        response = await self.admin.post("/api/products/", json=body)
        assert response.status_code == 201, response.text
        product_id = response.json()["_id"]
        stock = await self.admin.put(f"/api/inventory/{product_id}", json={"quantity": 100})
        assert stock.status_code == 200, stock.text
        return product_id

    async def order(self, user_id: str, status: str = "pending") -> str:
        body = {"user_id": user_id, "items": [{"product_id": self.active, "quantity": 1}]}
        response = await self.admin.post("/api/orders/", json=body)
        assert response.status_code == 201, response.text
        order_id = response.json()["_id"]
        if status == "paid":
            moved = await self.admin.post(f"/api/orders/{order_id}/status", json={"status": status})
            assert moved.status_code == 200, moved.text
        return order_id

    async def user(self, role: str = "user") -> str:
        i = n()
        body = {"email": f"t{i}@example.com", "username": f"target{i}", "password": "p" * 10}
        response = await self.admin.post("/api/users/", json=body | {"role": role})
        assert response.status_code == 201, response.text
        return response.json()["_id"]


Act = Callable[[World, str], Awaitable[httpx.Response]]
Check = Callable[[World, str, httpx.Response], Awaitable[None] | None]


@dataclass(frozen=True)
class Row:
    action: str
    act: Act
    expected: tuple[int, int, int, int]  # anonymous, user, moderator, admin
    check: Check | None = None  # more than the status, per caller
    needs: str = ""  # "transactions" | "text" | "pipelines": what mongomock lacks


def sign_up(**fields) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        i = n()
        body = {"email": f"s{i}@example.com", "username": f"signup{i}", "password": "p" * 10}
        return await w.callers[role].post("/api/users/", json=body | fields)

    return act


def get(path: Callable[[World, str], str], **params) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        return await w.callers[role].get(path(w, role), params=params)

    return act


def patch_user(target: Callable[[World, str], Awaitable[str] | str], body: dict) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        user_id = target(w, role)
        if not isinstance(user_id, str):
            user_id = await user_id
        return await w.callers[role].patch(f"/api/users/{user_id}", json=body)

    return act


async def own_signup_role_is_user(w: World, role: str, response: httpx.Response) -> None:
    if response.status_code == 201:
        assert response.json()["role"] == "user" and response.json()["is_active"] is True


async def users_listed(w: World, role: str, response: httpx.Response) -> None:
    if response.status_code != 200:
        return
    ids = [u["_id"] for u in response.json()]
    if role == "user":
        assert ids == [w.own["user"]] and response.headers["X-Total-Count"] == "1"
    else:
        assert {w.own["user"], w.bob, w.admin2} <= set(ids)


async def only_active_for_users(w: World, role: str, response: httpx.Response) -> None:
    if response.status_code != 200:
        return
    body = response.json()
    ids = {(hit.get("product") or hit)["_id"] if "product" in hit else hit["_id"] for hit in body}
    if role in ("anonymous", "user"):
        assert w.active in ids and w.inactive not in ids
    else:
        assert {w.active, w.inactive} <= ids


async def unchanged_when_refused(w: World, role: str, response: httpx.Response) -> None:
    """A refused write left the target as it was (read back by the admin)."""
    target = w.notes.pop("target", None)
    if target is None or response.status_code < 400:
        return
    before, path = target
    assert (await w.admin.get(path)).json() == before


def remembering(path: Callable[[World, str], Awaitable[str]], act: Callable) -> Act:
    """Run `act` on a fresh target at `path`, first noting how the target looked."""

    async def run(w: World, role: str) -> httpx.Response:
        url = await path(w, role)
        w.notes["target"] = ((await w.admin.get(url)).json(), url)
        return await act(w.callers[role], url)

    return run


async def fresh_product(w: World, role: str) -> str:
    return f"/api/products/{await w.product()}"


async def fresh_stock(w: World, role: str) -> str:
    return f"/api/inventory/{await w.product()}"


async def fresh_bob(w: World, role: str) -> str:
    return f"/api/users/{await w.user()}"


def status_move(whose: str, status: str, to: str) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        owner = w.own[role] if whose == "own" else w.bob
        order_id = await w.order(owner, status)
        return await w.callers[role].post(f"/api/orders/{order_id}/status", json={"status": to})

    return act


def place(for_whom: str) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        body: dict = {"items": [{"product_id": w.active, "quantity": 1}]}
        if for_whom == "self-explicit":
            body["user_id"] = w.own[role]
        elif for_whom == "other":
            body["user_id"] = w.bob
        return await w.callers[role].post("/api/orders/", json=body)

    return act


async def orders_listed(w: World, role: str, response: httpx.Response) -> None:
    if response.status_code != 200:
        return
    owners = {o["user_id"] for o in response.json()}
    if role == "user":
        assert owners == {w.own["user"]}
    else:
        assert {w.own["user"], w.bob} <= owners


def read_order(whose: str) -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        order_id = await w.order(w.own[role] if whose == "own" else w.bob)
        return await w.callers[role].get(f"/api/orders/{order_id}")

    return act


def list_orders() -> Act:
    async def act(w: World, role: str) -> httpx.Response:
        await w.order(w.own["user"])
        await w.order(w.bob)
        return await w.callers[role].get("/api/orders/")

    return act


ROWS = [
    # -- users --------------------------------------------------------------------------------
    Row("sign up", sign_up(), (201, 201, 201, 201), own_signup_role_is_user),
    Row("sign up sending role", sign_up(role="admin"), (403, 403, 403, 201)),
    Row("sign up sending is_active", sign_up(is_active=True), (403, 403, 403, 201)),
    Row("list users", get(lambda w, r: "/api/users/"), (401, 200, 200, 200), users_listed),
    Row("read own user", get(lambda w, r: f"/api/users/{w.own[r]}"), (401, 200, 200, 200)),
    Row("read someone else", get(lambda w, r: f"/api/users/{w.bob}"), (401, 404, 200, 200)),
    Row("read /me", get(lambda w, r: "/api/users/me"), (401, 200, 200, 200)),
    Row(
        "patch own user",
        patch_user(lambda w, r: w.own[r], {"full_name": "Me"}),
        (401, 200, 200, 200),
    ),
    Row(
        "patch own role",
        # each sends the role it has: even a change to nothing needs the right to set roles
        lambda w, r: w.callers[r].patch(
            f"/api/users/{w.own[r]}", json={"role": "user" if r == "anonymous" else r}
        ),
        (401, 403, 403, 200),
    ),
    Row(
        "patch own is_active",
        patch_user(lambda w, r: w.own[r], {"is_active": True}),
        (401, 403, 200, 200),
    ),
    Row(
        "patch someone else",
        remembering(fresh_bob, lambda c, url: c.patch(url, json={"full_name": "Bob"})),
        (401, 404, 200, 200),
        unchanged_when_refused,
    ),
    Row(
        "patch someone else's role",
        remembering(fresh_bob, lambda c, url: c.patch(url, json={"role": "moderator"})),
        (401, 404, 403, 200),
        unchanged_when_refused,
    ),
    Row(
        "patch someone else's is_active",
        remembering(fresh_bob, lambda c, url: c.patch(url, json={"is_active": False})),
        (401, 404, 200, 200),
        unchanged_when_refused,
    ),
    Row(
        "patch an admin",
        patch_user(lambda w, r: w.admin2, {"full_name": "Boss"}),
        (401, 404, 403, 200),
    ),
    Row(
        "delete own user",
        lambda w, r: w.callers[r].delete(f"/api/users/{w.own[r]}"),
        (401, 204, 403, 204),
    ),
    Row(
        "delete someone else",
        remembering(fresh_bob, lambda c, url: c.delete(url)),
        (401, 404, 403, 204),
        unchanged_when_refused,
    ),
    # -- products and stock -------------------------------------------------------------------
    Row(
        "list products",
        get(lambda w, r: "/api/products/"),
        (200, 200, 200, 200),
        only_active_for_users,
    ),
    Row(
        "list inactive products",
        get(lambda w, r: "/api/products/", is_active="false"),
        (401, 403, 200, 200),
    ),
    Row(
        "search products",
        get(lambda w, r: "/api/products/search", q="thing"),
        (200, 200, 200, 200),
        only_active_for_users,
        needs="text",
    ),
    Row("read a product", get(lambda w, r: f"/api/products/{w.active}"), (200, 200, 200, 200)),
    Row(
        "read an inactive product",
        get(lambda w, r: f"/api/products/{w.inactive}"),
        (404, 404, 200, 200),
    ),
    Row("read stock", get(lambda w, r: f"/api/inventory/{w.active}"), (200, 200, 200, 200)),
    Row(
        "read an inactive product's stock",
        get(lambda w, r: f"/api/inventory/{w.inactive}"),
        (404, 404, 200, 200),
    ),
    Row(
        "create a product",
        lambda w, r: w.callers[r].post(
            "/api/products/", json={"sku": f"NEW-{n()}", "name": "New", "price": 2}
        ),
        (401, 403, 201, 201),
    ),
    Row(
        "patch a product",
        remembering(fresh_product, lambda c, url: c.patch(url, json={"price": 0.01})),
        (401, 403, 200, 200),
        unchanged_when_refused,
    ),
    Row(
        "delete a product",
        remembering(fresh_product, lambda c, url: c.delete(url)),
        (401, 403, 204, 204),
        unchanged_when_refused,
    ),
    Row(
        "bulk upsert products",
        lambda w, r: w.callers[r].post(
            "/api/products/bulk", json={"products": [{"sku": f"B-{n()}", "name": "B", "price": 1}]}
        ),
        (401, 403, 200, 200),
        needs="pipelines",
    ),
    Row(
        "set stock",
        remembering(fresh_stock, lambda c, url: c.put(url, json={"quantity": 0})),
        (401, 403, 200, 200),
        unchanged_when_refused,
    ),
    Row(
        "adjust stock",
        remembering(fresh_stock, lambda c, url: c.post(f"{url}/adjust", json={"delta": -5})),
        (401, 403, 200, 200),
        unchanged_when_refused,
    ),
    # -- orders -------------------------------------------------------------------------------
    Row("place an order (user_id omitted)", place("self"), (401, 201, 201, 201), needs="tx"),
    Row("place an order for oneself", place("self-explicit"), (401, 201, 201, 201), needs="tx"),
    Row("place an order for someone else", place("other"), (401, 403, 201, 201), needs="tx"),
    Row("list orders", list_orders(), (401, 200, 200, 200), orders_listed, needs="tx"),
    Row("read own order", read_order("own"), (401, 200, 200, 200), needs="tx"),
    Row("read someone else's order", read_order("other"), (401, 404, 200, 200), needs="tx"),
    Row(
        "cancel own pending order",
        status_move("own", "pending", "cancelled"),
        (401, 200, 200, 200),
        needs="tx",
    ),
    Row(
        "pay own pending order",
        status_move("own", "pending", "paid"),
        (401, 403, 200, 200),
        needs="tx",
    ),
    Row(
        "cancel own paid order",
        status_move("own", "paid", "cancelled"),
        (401, 403, 200, 200),
        needs="tx",
    ),
    Row(
        "cancel someone else's order",
        status_move("other", "pending", "cancelled"),
        (401, 404, 200, 200),
        needs="tx",
    ),
    # -- analytics and maintenance ------------------------------------------------------------
    Row("users by role", get(lambda w, r: "/api/analytics/users/by-role"), (401, 403, 200, 200)),
    Row(
        "registrations",
        get(
            lambda w, r: "/api/analytics/users/registrations", start="2026-01-01", end="2026-01-31"
        ),
        (401, 403, 200, 200),
    ),
    Row("top customers", get(lambda w, r: "/api/analytics/customers/top"), (401, 403, 200, 200)),
    Row(
        "purge inactive users",
        lambda w, r: w.callers[r].delete("/api/admin/inactive-users", params={"days": 30}),
        (401, 403, 403, 200),
    ),
]


@pytest.fixture
async def world(anon, client, login_as) -> World:
    alice_client, alice = await login_as("user", name="alice")
    mod_client, mod = await login_as("moderator", name="mod")
    me = (await client.get("/api/users/me")).json()
    w = World(
        callers={"anonymous": anon, "user": alice_client, "moderator": mod_client, "admin": client},
        own={"anonymous": alice["_id"], "user": alice["_id"], "moderator": mod["_id"]},
        admin=client,
        bob="",
        admin2="",
        active="",
        inactive="",
    )
    w.own["admin"] = me["_id"]
    w.bob, w.admin2 = await w.user(), await w.user("admin")
    w.active, w.inactive = await w.product(), await w.product(is_active=False)
    return w


@pytest.mark.parametrize("row", ROWS, ids=[row.action for row in ROWS])
async def test_permission_table(leg, world, row):
    if row.needs == "tx" and leg == "mongo-fake":
        pytest.skip(NO_TRANSACTIONS)
    if row.needs == "text":
        needs_real_mongo(leg, "$text queries")
    if row.needs == "pipelines":
        needs_real_mongo(leg, "bulk_write with update pipelines")
    got = []
    for role in ROLES:
        response = await row.act(world, role)
        got.append(response.status_code)
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), row.action
        if response.status_code == 403:
            assert response.json()["code"] == "forbidden", response.text
        if response.status_code == 404:
            assert response.json()["code"] == "not_found", response.text
        if row.check is not None:
            result = row.check(world, role, response)
            if result is not None:
                await result
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, row.expected, strict=True))
