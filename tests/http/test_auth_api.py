"""Logging in, access tokens and refresh tokens over HTTP, on every HTTP leg."""

import asyncio
import time
import uuid

import jwt
import pytest

from tests.http.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_USERNAME, PASSWORD, bearer
from tests.orders_support import skip_without_transactions

INVALID_CREDENTIALS = {"detail": "Incorrect username or password", "code": "invalid_credentials"}


async def token_response(anon, username, password):
    return await anon.post("/api/auth/token", data={"username": username, "password": password})


def secret_of(app) -> bytes:
    return app.state.container.token_issuer().key


def claims(user_id: str, role: str = "user", **overrides) -> dict:
    now = int(time.time())
    values = {"sub": user_id, "role": role, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    return {k: v for k, v in (values | overrides).items() if v is not None}


async def me(anon, token: str):
    return await anon.get("/api/users/me", headers=bearer(token))


def assert_401(response, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_login_by_username_or_email_gives_a_bearer_pair(anon):
    for login in (ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_EMAIL.upper()):
        response = await token_response(anon, login, ADMIN_PASSWORD)
        assert response.status_code == 200, login
        body = response.json()
        assert body.keys() == {"access_token", "token_type", "expires_in", "refresh_token"}
        assert (body["token_type"], body["expires_in"]) == ("bearer", 15 * 60)
        assert response.headers["Cache-Control"] == "no-store"
        header = jwt.get_unverified_header(body["access_token"])
        assert header["alg"] == "HS256"
        payload = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert payload.keys() == {"sub", "role", "iat", "exp", "jti"}
        assert payload["role"] == "admin" and payload["exp"] - payload["iat"] == 900
        assert (await me(anon, body["access_token"])).json()["email"] == ADMIN_EMAIL


async def test_login_is_not_an_oracle(anon, client, login_as):
    _, user = await login_as("user", name="sleeper")
    await client.patch(f"/api/users/{user['_id']}", json={"is_active": False})
    for username, password in (
        ("nobody", PASSWORD),  # no such account
        ("nobody@example.com", PASSWORD),
        (ADMIN_USERNAME, "wrong password"),  # wrong password
        ("sleeper", PASSWORD),  # right password, deactivated
    ):
        response = await token_response(anon, username, password)
        assert_401(response, "invalid_credentials")
        assert response.json() == INVALID_CREDENTIALS
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_login_form_is_validated(anon):
    assert (await anon.post("/api/auth/token", data={"username": "x"})).status_code == 422
    assert (
        await anon.post("/api/auth/token", json={"username": "a", "password": "b"})
    ).status_code == 422
    response = await anon.post(
        "/api/auth/token",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "grant_type": "client"},
    )
    assert response.status_code == 422


async def test_no_token_on_a_locked_route_is_401_with_the_bearer_challenge(anon):
    response = await anon.get("/api/users/")
    assert_401(response, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "forge",
    ["expired", "tampered", "alg-none", "wrong-secret", "no-jti", "garbage", "not-bearer"],
)
async def test_bad_access_tokens_are_401(fastapi_app, anon, client, forge):
    admin_id = (await client.get("/api/users/me")).json()["_id"]
    secret = secret_of(fastapi_app)
    good = jwt.encode(claims(admin_id, "admin"), secret, algorithm="HS256")
    token = {
        "expired": jwt.encode(
            claims(admin_id, "admin", iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
            secret,
            algorithm="HS256",
        ),
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "alg-none": jwt.encode(claims(admin_id, "admin"), None, algorithm="none"),
        "wrong-secret": jwt.encode(claims(admin_id, "admin"), b"x" * 32, algorithm="HS256"),
        "no-jti": jwt.encode(claims(admin_id, "admin", jti=None), secret, algorithm="HS256"),
        "garbage": "not.a.jwt",
        "not-bearer": None,
    }[forge]
    assert (await me(anon, good)).status_code == 200  # the forger's template is valid
    if token is None:  # a Basic header is no bearer token: anonymous, so a locked route is 401
        response = await anon.get("/api/users/me", headers={"Authorization": "Basic YTpi"})
        assert_401(response, "not_authenticated")
        return
    assert_401(await me(anon, token))
    # a bad token is 401 on an open route too, never silently anonymous
    assert_401(await anon.get("/api/products/", headers=bearer(token)))


async def test_deleted_deactivated_and_demoted_users_lose_access_at_once(anon, client, login_as):
    boss_client, boss = await login_as("admin", name="boss")
    assert (await boss_client.get("/api/analytics/users/by-role")).status_code == 200
    # demoted: the same token, the role of now
    await client.patch(f"/api/users/{boss['_id']}", json={"role": "user"})
    response = await boss_client.get("/api/analytics/users/by-role")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert (await boss_client.get("/api/users/me")).json()["role"] == "user"
    # deactivated: 401
    await client.patch(f"/api/users/{boss['_id']}", json={"is_active": False})
    assert_401(await boss_client.get("/api/users/me"))
    # deleted: 401
    gone_client, gone = await login_as("user", name="gone")
    assert (await client.delete(f"/api/users/{gone['_id']}")).status_code == 204
    assert_401(await gone_client.get("/api/users/me"))


async def test_refresh_rotates_and_a_replay_revokes_the_family(anon):
    first = (await token_response(anon, ADMIN_USERNAME, ADMIN_PASSWORD)).json()
    other_login = (await token_response(anon, ADMIN_USERNAME, ADMIN_PASSWORD)).json()
    response = await anon.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await me(anon, second["access_token"])).status_code == 200
    # the rotated token, presented again (stolen?): 401, and its whole family dies
    replay = await anon.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_401(replay)
    dead = await anon.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_401(dead)
    # another login's family is untouched
    alive = await anon.post(
        "/api/auth/refresh", json={"refresh_token": other_login["refresh_token"]}
    )
    assert alive.status_code == 200


async def test_two_concurrent_refreshes_of_one_token_give_one_success(anon):
    pair = (await token_response(anon, ADMIN_USERNAME, ADMIN_PASSWORD)).json()
    responses = await asyncio.gather(
        *(
            anon.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
            for _ in range(2)
        )
    )
    # one wins; the other is refused, either by the conditional write (a true race) or, when
    # it arrives after the rotation, as a replay (which also revokes the family)
    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_unknown_or_malformed_refresh_tokens(anon):
    assert_401(await anon.post("/api/auth/refresh", json={"refresh_token": "made-up"}))
    assert (await anon.post("/api/auth/refresh", json={})).status_code == 422
    assert (
        await anon.post("/api/auth/refresh", json={"refresh_token": "x" * 513})
    ).status_code == 422


async def test_logout_revokes_the_refresh_token(anon):
    pair = (await token_response(anon, ADMIN_USERNAME, ADMIN_PASSWORD)).json()
    body = {"refresh_token": pair["refresh_token"]}
    assert (await anon.post("/api/auth/logout", json=body)).status_code == 204
    assert_401(await anon.post("/api/auth/refresh", json=body))
    # unknown tokens are 204 too: the answer says nothing about a token
    response = await anon.post("/api/auth/logout", json={"refresh_token": "made-up"})
    assert response.status_code == 204


async def test_own_password_change_needs_the_current_one_and_revokes_refresh_tokens(anon, login_as):
    user_client, user = await login_as("user", name="changer")
    pairs = [(await token_response(anon, "changer", PASSWORD)).json() for _ in range(2)]
    new = "a brand new password"
    response = await user_client.patch("/api/users/me", json={"password": new})
    assert (response.status_code, response.json()["code"]) == (422, "current_password_required")
    response = await user_client.patch(
        "/api/users/me", json={"password": new, "current_password": "not it"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert (await token_response(anon, "changer", PASSWORD)).status_code == 200  # unchanged
    pairs.append((await token_response(anon, "changer", PASSWORD)).json())
    response = await user_client.patch(
        f"/api/users/{user['_id']}", json={"password": new, "current_password": PASSWORD}
    )
    assert response.status_code == 200
    for pair in pairs:  # every refresh token of the account, every login
        body = {"refresh_token": pair["refresh_token"]}
        assert_401(await anon.post("/api/auth/refresh", json=body))
    assert_401(await token_response(anon, "changer", PASSWORD), "invalid_credentials")
    assert (await token_response(anon, "changer", new)).status_code == 200


async def test_an_admin_resets_a_password_without_the_current_one(anon, client, login_as):
    _, user = await login_as("user", name="forgetful")
    pair = (await token_response(anon, "forgetful", PASSWORD)).json()
    response = await client.patch(f"/api/users/{user['_id']}", json={"password": "reset by admin"})
    assert response.status_code == 200
    assert_401(await anon.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert (await token_response(anon, "forgetful", "reset by admin")).status_code == 200


async def test_sign_up_is_a_user_and_can_log_in(anon):
    body = {"email": "new@example.com", "username": "newbie", "password": PASSWORD}
    response = await anon.post("/api/users/", json=body)
    assert response.status_code == 201 and response.json()["role"] == "user"
    assert (await token_response(anon, "newbie", PASSWORD)).status_code == 200


async def test_idempotency_keys_are_scoped_to_the_caller(leg, client, login_as):
    skip_without_transactions(leg)
    product = await client.post("/api/products/", json={"sku": "K-1", "name": "K", "price": 1})
    product_id = product.json()["_id"]
    await client.put(f"/api/inventory/{product_id}", json={"quantity": 10})
    alice, _ = await login_as("user", name="alice")
    mallory, _ = await login_as("user", name="mallory")
    key = {"Idempotency-Key": "cart-1001"}
    # mallory pre-claims alice's key with another body: it must not touch alice's order
    body = {"items": [{"product_id": product_id, "quantity": 2}]}
    claimed = await mallory.post("/api/orders/", json=body, headers=key)
    assert claimed.status_code == 201
    mine = await alice.post(
        "/api/orders/", json={"items": [{"product_id": product_id, "quantity": 1}]}, headers=key
    )
    assert mine.status_code == 201
    assert mine.json()["_id"] != claimed.json()["_id"]
    again = await alice.post(
        "/api/orders/", json={"items": [{"product_id": product_id, "quantity": 1}]}, headers=key
    )
    assert (again.status_code, again.json()["_id"]) == (200, mine.json()["_id"])


async def test_a_deactivated_user_cannot_order(leg, client, login_as):
    skip_without_transactions(leg)
    product = await client.post("/api/products/", json={"sku": "D-1", "name": "D", "price": 1})
    product_id = product.json()["_id"]
    await client.put(f"/api/inventory/{product_id}", json={"quantity": 10})
    user_client, user = await login_as("user", name="paused")
    await client.patch(f"/api/users/{user['_id']}", json={"is_active": False})
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    assert_401(await user_client.post("/api/orders/", json=body))  # their token is dead
    response = await client.post("/api/orders/", json=body | {"user_id": user["_id"]})
    assert response.status_code == 422 and "deactivated" in response.json()["detail"]
    assert (await client.get(f"/api/inventory/{product_id}")).json()["quantity"] == 10


async def test_openapi_has_the_password_flow_and_a_lock_per_route(anon):
    spec = (await anon.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/auth/token"
    locked = {
        ("/api/users/", "get"),
        ("/api/users/{user_id}", "delete"),
        ("/api/products/", "post"),
        ("/api/orders/", "post"),
        ("/api/analytics/users/by-role", "get"),
        ("/api/admin/inactive-users", "delete"),
    }
    for path, method in locked:
        operation = spec["paths"][path][method]
        assert operation.get("security"), (path, method)
        assert "401" in operation["responses"], (path, method)
        assert "403" in operation["responses"] or method == "get", (path, method)
    assert "security" not in spec["paths"]["/api/auth/token"]["post"]
    assert "security" not in spec["paths"]["/health/live"]["get"]
