"""`storefront create-indexes`: the selected store's schema, idempotently; a clear failure when
the store is down."""

import sqlite3

import pytest
from typer.testing import CliRunner

from adapters.mongo.indexes import INDEXES, TEXT_INDEX
from entrypoints.cli import app
from tests.cli.mongo import use_real_mongo
from tests.conftest import REAL_MONGO_LEGS

runner = CliRunner()


def test_sqlite_schema_is_created_and_a_rerun_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    monkeypatch.setenv("STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("SQLITE_PATH", str(path))
    first = runner.invoke(app, ["create-indexes"])
    assert first.exit_code == 0, first.output
    assert "schema up to date" in first.output
    again = runner.invoke(app, ["create-indexes"])
    assert again.exit_code == 0 and "applied now: none" in again.output
    indexes = {name for (name,) in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}  # fmt: skip
    assert {"users_created_id", "products_category_price", "orders_status_created"} <= indexes


def test_memory_has_nothing_to_create(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "memory")
    result = runner.invoke(app, ["create-indexes"])
    assert result.exit_code == 0 and "nothing to create" in result.output


def test_an_unreachable_mongo_is_exit_1_with_the_reason(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "mongo")
    monkeypatch.setenv("MONGODB_URL", "mongodb://127.0.0.1:9/?connectTimeoutMS=200")
    monkeypatch.setenv("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "200")
    result = runner.invoke(app, ["create-indexes"])
    assert result.exit_code == 1
    assert "Database connection unavailable" in result.output


@pytest.fixture(params=list(REAL_MONGO_LEGS))
def leg(request) -> str:
    return request.param


def test_mongo_indexes_are_created_and_a_rerun_changes_nothing(
    leg, request, monkeypatch, mongo_capabilities
):
    db = use_real_mongo(request, leg, monkeypatch)
    first = runner.invoke(app, ["create-indexes"])
    assert first.exit_code == 0, first.output
    assert f"mongo {db.name}: indexes ensured on users, products" in first.output
    names = {c: {i["name"] for i in db[c].list_indexes()} for c in INDEXES}
    for collection, models in INDEXES.items():
        expected = {m.document["name"] for m in models} | {"_id_"}
        if collection == "products" and mongo_capabilities.text_search:
            # the server refused the text index; the output says so and why
            expected.discard(TEXT_INDEX)
            assert "except the text index" in first.output
        assert names[collection] == expected
    again = runner.invoke(app, ["create-indexes"])
    assert again.exit_code == 0, again.output
    assert {c: {i["name"] for i in db[c].list_indexes()} for c in INDEXES} == names
