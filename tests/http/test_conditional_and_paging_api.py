"""ETags, If-None-Match, If-Match (RFC 9110 §13) and cursor pages with Link (RFC 8288)."""

import asyncio
import random
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.orders_support import skip_without_transactions

USER = {"email": "ada@example.com", "username": "ada", "password": "password1"}


async def new_user(client, n: int = 1) -> dict:
    body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": "password1"}
    response = await client.post("/api/users/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def new_product(client, n: int = 1) -> dict:
    response = await client.post(
        "/api/products/", json={"sku": f"SKU-{n}", "name": f"P{n}", "price": 1.5, "category": "c"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def next_link(response) -> str | None:
    """The target of `Link: <...>; rel="next"`, as a path with its query."""
    link = response.headers.get("Link")
    if link is None:
        return None
    target, rel = link.split(";", 1)
    assert rel.strip() == 'rel="next"'
    url = urlsplit(target.strip().removeprefix("<").removesuffix(">"))
    return f"{url.path}?{url.query}"


@pytest.mark.parametrize("kind", ["users", "products"])
async def test_a_read_sends_a_strong_etag_and_if_none_match_gives_304(client, kind):
    made = await (new_user(client) if kind == "users" else new_product(client))
    url = f"/api/{kind}/{made['_id']}"
    first = await client.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"] == '"1"'
    cached = await client.get(url, headers={"If-None-Match": '"1"'})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["ETag"] == '"1"'
    assert (await client.get(url, headers={"If-None-Match": 'W/"1"'})).status_code == 304
    assert (await client.get(url, headers={"If-None-Match": "*"})).status_code == 304
    other = await client.get(url, headers={"If-None-Match": '"7", "8"'})
    assert other.status_code == 200 and other.json() == first.json()


async def test_a_patch_with_a_stale_if_match_is_412_and_changes_nothing(client):
    user = await new_user(client)
    url = f"/api/users/{user['_id']}"
    changed = await client.patch(url, json={"full_name": "Ada"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"2"'
    assert (await client.get(url)).headers["ETag"] == '"2"'
    stale = await client.patch(url, json={"full_name": "Bob"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert set(stale.json()) == {"detail", "code"}
    assert (await client.get(url)).json()["full_name"] == "Ada"
    weak = await client.patch(url, json={"full_name": "Bob"}, headers={"If-Match": 'W/"2"'})
    assert weak.status_code == 412  # If-Match uses the strong comparison
    listed = await client.patch(url, json={"full_name": "Cy"}, headers={"If-Match": '"9", "2"'})
    assert listed.status_code == 200 and listed.headers["ETag"] == '"3"'
    anyone = await client.patch(url, json={"full_name": "Di"}, headers={"If-Match": "*"})
    assert anyone.status_code == 200
    missing = await client.patch(
        "/api/users/" + "0" * 24, json={"full_name": "X"}, headers={"If-Match": '"1"'}
    )
    assert missing.status_code == 404  # preconditions are not evaluated on a 404 (§13.2.1)


async def test_two_racing_patches_with_the_same_etag_one_200_one_412(client):
    product = await new_product(client)
    url = f"/api/products/{product['_id']}"
    etag = (await client.get(url)).headers["ETag"]
    responses = await asyncio.gather(
        *(
            client.patch(url, json={"name": name}, headers={"If-Match": etag})
            for name in ("First", "Second")
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200)
    assert (await client.get(url)).json() == winner.json()


@pytest.mark.parametrize("kind", ["users", "products"])
async def test_a_delete_with_if_match(client, kind):
    made = await (new_user(client) if kind == "users" else new_product(client))
    url = f"/api/{kind}/{made['_id']}"
    stale = await client.delete(url, headers={"If-Match": '"2"'})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert (await client.get(url)).status_code == 200
    assert (await client.delete(url, headers={"If-Match": '"1"'})).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_an_order_status_change_with_if_match(client, leg):
    skip_without_transactions(leg)
    user = await new_user(client)
    product = await new_product(client)
    await client.put(f"/api/inventory/{product['_id']}", json={"quantity": 5})
    placed = await client.post(
        "/api/orders/",
        json={"user_id": user["_id"], "items": [{"product_id": product["_id"], "quantity": 1}]},
    )
    url = f"/api/orders/{placed.json()['_id']}"
    assert (await client.get(url)).headers["ETag"] == '"1"'
    assert (await client.get(url, headers={"If-None-Match": '"1"'})).status_code == 304
    paid = await client.post(f"{url}/status", json={"status": "paid"}, headers={"If-Match": '"1"'})
    assert paid.status_code == 200 and paid.headers["ETag"] == '"2"'
    late = await client.post(
        f"{url}/status", json={"status": "cancelled"}, headers={"If-Match": '"1"'}
    )
    assert late.status_code == 412
    assert (await client.get(url)).json()["status"] == "paid"


async def test_1000_products_paged_by_link_while_others_come_and_go(client, leg):
    """Every product there at the start and never deleted is seen exactly once."""
    if leg == "mongo-fake":
        pytest.skip("mongomock cannot run the bulk upsert that seeds this; contract covers it")
    rows = [{"sku": f"SKU-{n}", "name": f"P{n}", "price": 1} for n in range(1000)]
    seeded = await client.post("/api/products/bulk", json={"products": rows})
    assert seeded.status_code == 200 and seeded.json()["upserted"] == 1000
    first = await client.get("/api/products/", params={"limit": 1000})
    alive = {p["_id"] for p in first.json()}
    assert len(alive) == 1000
    rng = random.Random(15)
    deleted: set[str] = set()
    extra = iter(range(1000, 100_000))

    async def churn() -> None:
        for _ in range(4):
            response = await client.post(
                "/api/products/", json={"sku": f"SKU-{next(extra)}", "name": "New", "price": 2}
            )
            assert response.status_code == 201
            victim = rng.choice(sorted(alive))
            alive.discard(victim)
            deleted.add(victim)
            assert (await client.delete(f"/api/products/{victim}")).status_code == 204

    seen: list[str] = []
    url: str | None = "/api/products/?limit=40"
    pages = 0
    while url is not None:
        page, _ = await asyncio.gather(client.get(url), churn())
        assert page.status_code == 200, page.text
        seen.extend(p["_id"] for p in page.json())
        url = next_link(page)
        pages += 1
    assert len(seen) == len(set(seen)), "a product was seen twice"
    assert alive <= set(seen), f"{len(alive - set(seen))} products never deleted were skipped"
    assert len(deleted) >= 4 * 20 and pages >= 20


async def test_link_keeps_the_filters_drops_skip_and_ends_on_a_short_page(client):
    for n in range(5):
        await new_product(client, n)
    first = await client.get("/api/products/", params={"limit": 2, "skip": 1, "category": "c"})
    assert len(first.json()) == 2 and first.headers["X-Total-Count"] == "5"
    target = next_link(first)
    query = parse_qs(urlsplit(target).query)
    assert query["limit"] == ["2"] and query["category"] == ["c"] and "skip" not in query
    second = await client.get(target)
    assert second.headers["X-Total-Count"] == "5"
    everything = (await client.get("/api/products/")).json()
    assert [p["_id"] for p in second.json()] == [p["_id"] for p in everything[3:5]]
    assert "Link" not in (await client.get("/api/products/", params={"limit": 10})).headers
    skipping = await client.get(target + "&skip=1")
    assert [p["_id"] for p in skipping.json()] == [everything[4]["_id"]]


async def test_a_forged_or_foreign_cursor_is_422(client):
    await new_user(client, 1)
    await new_user(client, 2)
    page = await client.get("/api/users/", params={"limit": 1})
    cursor = parse_qs(urlsplit(next_link(page)).query)["cursor"][0]
    assert (await client.get("/api/users/", params={"cursor": cursor})).status_code == 200
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    edited = await client.get("/api/users/", params={"cursor": flipped})
    assert edited.status_code == 422 and edited.json()["code"] == "invalid_cursor"
    for malformed in ("not-a-cursor", cursor + "AAAA"):  # not even the documented shape
        assert (await client.get("/api/users/", params={"cursor": malformed})).status_code == 422
    foreign = await client.get("/api/orders/", params={"cursor": cursor})
    assert foreign.status_code == 422 and foreign.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
async def test_a_malformed_precondition_header_is_422(client, header):
    user = await new_user(client)
    url = f"/api/users/{user['_id']}"
    for value in ("1", "null", '"1" junk'):
        if header == "If-Match":
            response = await client.patch(url, json={"full_name": "X"}, headers={header: value})
        else:
            response = await client.get(url, headers={header: value})
        assert response.status_code == 422, value
    assert (await client.get(url)).json()["full_name"] is None


async def test_the_callers_own_user_answers_if_none_match_with_304(client):
    me = await client.get("/api/users/me")
    assert me.status_code == 200 and me.headers["ETag"]
    cached = await client.get("/api/users/me", headers={"If-None-Match": me.headers["ETag"]})
    assert (cached.status_code, cached.content) == (304, b"")
    assert cached.headers["ETag"] == me.headers["ETag"]
    fresh = await client.get("/api/users/me", headers={"If-None-Match": '"999"'})
    assert fresh.status_code == 200 and fresh.json() == me.json()
