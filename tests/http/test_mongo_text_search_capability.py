"""On a real MongoDB-protocol server: whether the server takes the text index decides what
search does. A server that refuses it (SecantusDB, measured by the probe) still serves every
other route: one warning at start-up, /health says search is unavailable, search is 501."""

import logging

import pytest

from entrypoints.container import build_container, provide
from entrypoints.http.app import create_app
from tests.conftest import REAL_MONGO_LEGS, make_storage, prepare_leg
from tests.http.conftest import open_client


@pytest.fixture(params=list(REAL_MONGO_LEGS))
def leg(request) -> str:
    return prepare_leg(request, request.param)


def text_index_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "text index" in r.getMessage()
    ]


async def test_search_follows_what_the_server_said_about_the_text_index(
    leg, settings, mongo_capabilities, caplog
):
    caplog.set_level(logging.WARNING)
    container = build_container(settings, make_storage(leg, settings))
    # a client without the search-skip hook: the 501 is what this test is about; logged in as
    # the first admin, who may create products
    async for client in open_client(create_app(settings, container), as_admin=True):
        health = (await client.get("/health")).json()
        search = await client.get("/api/products/search", params={"q": "lamp"})
        product = {"sku": "L-1", "name": "Red lamp", "price": 10}
        created = await client.post("/api/products/", json=product)
        assert created.status_code == 201, created.text
        listed = await client.get("/api/products/")
        assert [p["sku"] for p in listed.json()] == ["L-1"]
        message = await (await provide(container.storage.schema)).ensure()
        assert (await client.get("/health/ready")).status_code == 200

    assert health["status"] == "healthy" and health["database"]["status"] == "up"
    if mongo_capabilities.text_search is None:
        assert health["search"] == {"status": "available", "detail": None}
        assert (search.status_code, search.json()) == (200, [])
        assert text_index_warnings(caplog) == []
        assert "except the text index" not in message
        return
    assert search.status_code == 501
    body = search.json()
    assert body["code"] == "search_unsupported"
    assert "refused the text index on products" in body["detail"]
    assert health["search"] == {"status": "unavailable", "detail": body["detail"]}
    # one warning, though the indexes were ensured twice (start-up, then create-indexes)
    assert text_index_warnings(caplog) == [f"{body['detail']}; every other route works"]
    assert "except the text index" in message
