"""`storefront import-products` and `storefront seed` through typer's CliRunner."""

import asyncio
import sqlite3
from decimal import Decimal

import asyncpg
import pytest
from typer.testing import CliRunner

from adapters.passwords import Argon2PasswordHasher, PrecomputedPasswordHasher
from entrypoints.cli import app
from entrypoints.seed import product_commands, user_commands
from tests.cli.mongo import use_real_mongo
from tests.conftest import FAST_HASH, REAL_MONGO_LEGS, is_real_mongo


def mongo_products(db, *fields: str) -> list[tuple]:
    """(sku, *fields) of every product by sku; Decimal128 prices as Decimal."""
    docs = db["products"].find({}, {"_id": 0}).sort("sku", 1)
    return [
        tuple(d[f].to_decimal() if f == "price" else d.get(f) for f in ("sku", *fields))
        for d in docs
    ]


runner = CliRunner()

JSONL = """\
{"sku": "A-1", "name": "Red lamp", "price": 19.99, "tags": ["home"]}
{"sku": "A-2", "name": "", "price": 1}
not json

{"sku": "A-3", "name": "Mug", "price": 1.234}
["a list"]
{"sku": "A-4", "name": "Kettle", "price": 0.10, "category": "kitchen"}
{"sku": "A-1", "name": "Red lamp v2", "price": 19.99}
"""

CSV = """\
sku,name,price,description,category,tags,is_active
C-1,Chair,10.50,A chair,home,home|office,true
C-2,Desk,abc,,,,
C-3,Table,5,,,,maybe
C-4,Stool,0.10,,,,no
"""


@pytest.fixture(params=["sqlite", "memory", "postgres", *REAL_MONGO_LEGS])
def leg(request) -> str:
    return request.param


@pytest.fixture
def store(leg, request, tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("STORAGE_BACKEND", leg)
    monkeypatch.setenv("SQLITE_PATH", str(db))
    for name, value in FAST_HASH.items():
        monkeypatch.setenv(name.upper(), str(value))
    if is_real_mongo(leg):
        return leg, use_real_mongo(request, leg, monkeypatch)
    if leg == "postgres":
        url, schema = (request.getfixturevalue(f) for f in ("postgres_url", "postgres_schema"))
        monkeypatch.setenv("POSTGRES_URL", url)
        monkeypatch.setenv("POSTGRES_SCHEMA", schema)
        return leg, (url, schema)
    return leg, db


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def pg_rows(where: tuple[str, str], sql: str) -> list[tuple]:
    url, schema = where

    async def fetch() -> list[tuple]:
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def test_import_jsonl_reports_every_bad_line_and_exits_1(store, tmp_path):
    backend, db = store
    path = tmp_path / "products.jsonl"
    path.write_text(JSONL)
    result = runner.invoke(app, ["import-products", str(path), "--batch-size", "2"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "line 2: rejected: name:" in out
    assert "line 3: rejected: invalid JSON" in out
    assert "line 5: rejected: price:" in out and "no more than 2 decimal places" in out
    assert "line 6: rejected: a row must be a JSON object" in out
    assert "line 4:" not in out  # the blank line is skipped, not rejected
    assert "read 7 rows" in out and "4 rejected" in out
    # the later A-1 row wins: it is an update of the first (a repeat flushes the batch)
    assert "2 inserted, 1 updated" in out
    if backend == "sqlite":
        assert rows(db, "SELECT sku, name, price_cents FROM products ORDER BY sku") == [
            ("A-1", "Red lamp v2", 1999),
            ("A-4", "Kettle", 10),
        ]
        again = runner.invoke(app, ["import-products", str(path)])
        assert again.exit_code == 1
        # A-1 goes back to "Red lamp" then to "v2" again: two updates; A-4 is unchanged
        assert "0 inserted, 2 updated, 1 unchanged, 4 rejected" in again.output
    if backend == "postgres":
        assert pg_rows(db, "SELECT sku, name, price FROM products ORDER BY sku") == [
            ("A-1", "Red lamp v2", Decimal("19.99")),
            ("A-4", "Kettle", Decimal("0.10")),
        ]
    if is_real_mongo(backend):
        assert mongo_products(db, "name", "price") == [
            ("A-1", "Red lamp v2", Decimal("19.99")),
            ("A-4", "Kettle", Decimal("0.10")),
        ]
        again = runner.invoke(app, ["import-products", str(path)])
        assert again.exit_code == 1
        assert "0 inserted, 2 updated, 1 unchanged, 4 rejected" in again.output


def test_import_csv(store, tmp_path):
    backend, db = store
    path = tmp_path / "products.csv"
    path.write_text(CSV)
    result = runner.invoke(app, ["import-products", str(path)])
    assert result.exit_code == 1, result.output
    assert "line 3: rejected: price:" in result.output
    assert "line 4: rejected: is_active:" in result.output
    assert "2 inserted" in result.output
    if backend == "sqlite":
        assert rows(db, "SELECT sku, price_cents, tags, is_active, category FROM products") == [
            ("C-1", 1050, '["home","office"]', 1, "home"),
            ("C-4", 10, "[]", 0, None),
        ]
    if backend == "postgres":
        sql = "SELECT sku, price, tags, is_active, category FROM products ORDER BY sku"
        assert pg_rows(db, sql) == [
            ("C-1", Decimal("10.50"), ["home", "office"], True, "home"),
            ("C-4", Decimal("0.10"), [], False, None),
        ]
    if is_real_mongo(backend):
        assert mongo_products(db, "price", "tags", "is_active", "category") == [
            ("C-1", Decimal("10.50"), ["home", "office"], True, "home"),
            ("C-4", Decimal("0.10"), [], False, None),
        ]


def test_a_clean_import_exits_0(store, tmp_path):
    path = tmp_path / "ok.ndjson"
    path.write_text('{"sku": "OK-1", "name": "Fine", "price": 1}\n')
    result = runner.invoke(app, ["import-products", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 inserted, 0 updated, 0 unchanged, 0 rejected" in result.output


def test_unusable_files_exit_2(store, tmp_path):
    unknown = tmp_path / "products.xml"
    unknown.write_text("<x/>")
    result = runner.invoke(app, ["import-products", str(unknown)])
    assert result.exit_code == 2 and "--format" in result.output
    headless = tmp_path / "bad.csv"
    headless.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["import-products", str(headless)])
    assert result.exit_code == 2 and "header row" in result.output
    assert runner.invoke(app, ["import-products", str(tmp_path / "missing.csv")]).exit_code == 2


def test_seed_is_deterministic_and_rerunnable(store):
    backend, db = store
    args = ["seed", "--users", "12", "--products", "1500", "--seed", "7"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "users: 12 created" in result.output
    assert "products: 1500 inserted" in result.output
    if backend == "sqlite":
        first = rows(db, "SELECT sku, name, price_cents, tags FROM products ORDER BY sku")
        hashes = rows(db, "SELECT DISTINCT password_hash FROM users")
        assert len(first) == 1500 and len(hashes) == 1  # one argon2id hash for every user
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        assert "users: 0 created, 12 already there" in again.output
        assert "0 inserted, 0 updated, 1500 unchanged" in again.output
        assert rows(db, "SELECT sku, name, price_cents, tags FROM products ORDER BY sku") == first
    if backend == "postgres":
        sql = "SELECT sku, name, price, tags FROM products ORDER BY sku"
        first = pg_rows(db, sql)
        hashes = pg_rows(db, "SELECT DISTINCT password_hash FROM users")
        assert len(first) == 1500 and len(hashes) == 1
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        assert "users: 0 created, 12 already there" in again.output
        assert "0 inserted, 0 updated, 1500 unchanged" in again.output
        assert pg_rows(db, sql) == first
    if is_real_mongo(backend):
        first = mongo_products(db, "name", "price", "tags")
        assert len(first) == 1500 and len(db["users"].distinct("password_hash")) == 1
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        assert "users: 0 created, 12 already there" in again.output
        assert "0 inserted, 0 updated, 1500 unchanged" in again.output
        assert mongo_products(db, "name", "price", "tags") == first


def test_seed_data_depends_only_on_the_seed():
    assert list(product_commands(3, 50)) == list(product_commands(3, 50))
    assert list(product_commands(3, 50)) != list(product_commands(4, 50))
    assert list(user_commands(3, 20)) == list(user_commands(3, 20))


def test_precomputed_hasher_hashes_once_and_still_verifies():
    real = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    hasher = PrecomputedPasswordHasher(real, "seeded-password")

    async def run():
        hashes = await asyncio.gather(*(hasher.hash("seeded-password") for _ in range(20)))
        assert len(set(hashes)) == 1
        assert await hasher.verify("seeded-password", hashes[0])
        assert not await hasher.verify("other-password", hashes[0])
        assert await hasher.hash("another one") != hashes[0]

    asyncio.run(run())
