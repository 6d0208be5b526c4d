"""`storefront create-indexes`: the selected store's schema, idempotently; a clear failure when
the store is down."""

import sqlite3

from typer.testing import CliRunner

from entrypoints.cli import app

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
