"""The users resource over HTTP, on every leg that runs here."""

from datetime import datetime

import pytest

PASSWORD = "correct horse battery"


def body(n: int = 1, **fields) -> dict:
    return {"email": f"user{n}@example.com", "username": f"user{n}", "password": PASSWORD} | fields


async def create(client, n: int = 1, **fields) -> dict:
    response = await client.post("/api/users/", json=body(n, **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def count(client) -> int:
    """Users in the store besides the first admin the client is logged in as."""
    return int((await client.get("/api/users/")).headers["X-Total-Count"]) - 1


async def test_create_echoes_fields_and_never_the_password(client):
    address = {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701"}
    user = await create(
        client, full_name="Ada", role="admin", tags=["vip"], address=address, is_active=False
    )
    assert len(user["_id"]) == 24
    assert user["email"] == "user1@example.com"
    assert user["username"] == "user1"
    assert (user["full_name"], user["role"], user["tags"], user["is_active"]) == (
        "Ada",
        "admin",
        ["vip"],
        False,
    )
    assert user["address"] == address | {"country": "USA"}
    assert user["created_at"] == user["updated_at"]
    assert "password" not in user and "password_hash" not in user
    assert PASSWORD not in str(user) and "argon2" not in str(user)


async def test_defaults(client):
    user = await create(client)
    assert (user["role"], user["is_active"], user["tags"], user["address"]) == (
        "user",
        True,
        [],
        None,
    )


@pytest.mark.parametrize("field", ["email", "username"])
async def test_duplicate_is_409_naming_the_field(client, field):
    await create(client, 1)
    clash = body(2) | {field: body(1)[field]}
    response = await client.post("/api/users/", json=clash)
    assert response.status_code == 409
    assert response.json() == {"detail": f"{field} already exists", "code": "duplicate"}
    assert await count(client) == 1


async def test_email_is_compared_case_insensitively(client):
    await create(client, 1)
    response = await client.post("/api/users/", json=body(2, email="USER1@Example.com"))
    assert response.status_code == 409


@pytest.mark.parametrize(
    "bad",
    [
        {"email": "not-an-email"},
        {"email": {"$ne": None}},
        {"username": "ab"},
        {"username": "x" * 51},
        {"password": "short"},
        {"full_name": "x" * 101},
        {"role": "superuser"},
        {"is_active": {"$ne": True}},
        {"tags": "vip"},
        {"address": {"city": "Nowhere"}},
        {"unexpected": 1},
    ],
)
async def test_invalid_create_is_422_and_writes_nothing(client, bad):
    response = await client.post("/api/users/", json=body(1) | bad)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert PASSWORD not in response.text
    assert await count(client) == 0


async def test_a_missing_field_error_does_not_echo_the_password(client):
    response = await client.post("/api/users/", json={"password": PASSWORD})
    assert response.status_code == 422
    assert PASSWORD not in response.text


async def test_get_by_id_and_404s(client):
    user = await create(client)
    response = await client.get(f"/api/users/{user['_id']}")
    assert response.status_code == 200
    assert response.json() == user
    for missing in ("0" * 24, "not-an-id", "{'$ne': None}"):
        response = await client.get(f"/api/users/{missing}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_list_pagination_newest_first_with_total(client):
    made = [await create(client, n) for n in range(5)]
    response = await client.get("/api/users/", params={"skip": 1, "limit": 2})
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "6"  # and the first admin, the oldest
    # by time, not text: a timestamp on a whole second is sent without a fraction ("...:33Z")
    newest_first = sorted(
        made, key=lambda u: (datetime.fromisoformat(u["created_at"]), u["_id"]), reverse=True
    )
    assert [u["_id"] for u in response.json()] == [u["_id"] for u in newest_first[1:3]]


async def test_list_filters_and_operator_injection(client):
    await create(client, 1, role="admin")
    await create(client, 2, is_active=False)
    response = await client.get("/api/users/", params={"role": "admin"})
    assert [u["username"] for u in response.json()] == ["user1", "admin"]
    response = await client.get("/api/users/", params={"is_active": "false"})
    assert [u["username"] for u in response.json()] == ["user2"]
    # an unknown parameter such as role[$ne] is ignored, never obeyed as an operator
    response = await client.get("/api/users/", params={"role[$ne]": "admin"})
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    response = await client.get("/api/users/", params={"role": '{"$ne": "admin"}'})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"skip": -1}, {"is_active": "maybe"}]
)
async def test_list_rejects_bad_query(client, params):
    assert (await client.get("/api/users/", params=params)).status_code == 422


async def test_patch_changes_only_what_is_sent(client, clock):
    user = await create(client, full_name="Ada", tags=["a"])
    clock.advance()  # the PATCH lands later, even within the same millisecond of real time
    response = await client.patch(f"/api/users/{user['_id']}", json={"role": "moderator"})
    assert response.status_code == 200
    patched = response.json()
    assert patched["role"] == "moderator"
    assert (patched["full_name"], patched["tags"], patched["email"]) == (
        "Ada",
        ["a"],
        user["email"],
    )
    assert patched["created_at"] == user["created_at"]
    assert patched["updated_at"] > user["updated_at"]
    assert (await client.get(f"/api/users/{user['_id']}")).json() == patched


async def test_patch_null_clears_optional_fields_only(client):
    address = {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "1"}
    user = await create(client, full_name="Ada", address=address)
    response = await client.patch(
        f"/api/users/{user['_id']}", json={"full_name": None, "address": None}
    )
    assert response.status_code == 200
    assert (response.json()["full_name"], response.json()["address"]) == (None, None)
    response = await client.patch(f"/api/users/{user['_id']}", json={"email": None})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


async def test_a_patch_that_changes_nothing_is_200_and_keeps_updated_at(client):
    user = await create(client, full_name="Ada")
    for change in ({}, {"full_name": "Ada", "role": "user"}):
        response = await client.patch(f"/api/users/{user['_id']}", json=change)
        assert response.status_code == 200
        assert response.json() == user


async def test_patch_password_is_never_returned(client):
    user = await create(client)
    response = await client.patch(
        f"/api/users/{user['_id']}", json={"password": "another long secret"}
    )
    assert response.status_code == 200
    assert "another long secret" not in response.text and "password" not in response.json()


async def test_patch_errors(client):
    first, second = await create(client, 1), await create(client, 2)
    response = await client.patch(f"/api/users/{second['_id']}", json={"email": first["email"]})
    assert response.status_code == 409
    assert response.json()["detail"] == "email already exists"
    assert (await client.get(f"/api/users/{second['_id']}")).json() == second
    assert (await client.patch(f"/api/users/{'0' * 24}", json={"role": "user"})).status_code == 404
    assert (
        await client.patch(f"/api/users/{second['_id']}", json={"role": "x"})
    ).status_code == 422
    response = await client.patch(f"/api/users/{second['_id']}", json={"username": {"$ne": 1}})
    assert response.status_code == 422


async def test_delete_then_404(client):
    user = await create(client)
    response = await client.delete(f"/api/users/{user['_id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/users/{user['_id']}")).status_code == 404
    assert (await client.delete(f"/api/users/{user['_id']}")).status_code == 404
