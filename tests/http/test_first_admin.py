"""FIRST_ADMIN_* at start-up: created once, idempotent across restarts, on every HTTP leg."""

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_storage
from tests.http.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login, open_client


async def test_the_first_admin_is_created_once(leg, settings, client):
    admins = await client.get("/api/users/", params={"role": "admin"})
    assert [u["email"] for u in admins.json()] == [ADMIN_EMAIL]
    if leg in ("memory", "mongo-fake"):
        return  # these stores start empty on a restart: nothing to be idempotent about
    # a restart with the same email changes nothing, even with another username set
    again = settings.model_copy(update={"first_admin_username": "someone"})
    app = create_app(again, build_container(again, make_storage(leg, again)))
    async for restarted in open_client(app):
        tokens = await login(restarted, ADMIN_EMAIL, ADMIN_PASSWORD)
        restarted.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        admins = await restarted.get("/api/users/", params={"role": "admin"})
        assert [u["username"] for u in admins.json()] == ["admin"]
