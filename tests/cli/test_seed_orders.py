"""`storefront seed --orders`: orders through PlaceOrder and ChangeOrderStatus, deterministic."""

import json
import sqlite3
from collections import Counter

import pytest
from typer.testing import CliRunner

from entrypoints.cli import app
from entrypoints.seed_orders import SEED_USERNAME, STATUS_PATHS, by_seed_number, order_plans
from tests.cli.mongo import use_real_mongo
from tests.conftest import FAST_HASH, REAL_MONGO_LEGS, is_real_mongo

runner = CliRunner()


@pytest.fixture(params=["sqlite", "memory", *REAL_MONGO_LEGS])
def leg(request) -> str:
    return request.param


@pytest.fixture
def store(leg, request, tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", leg)
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "cli.db"))
    for name, value in FAST_HASH.items():
        monkeypatch.setenv(name.upper(), str(value))
    if is_real_mongo(leg):
        return leg, use_real_mongo(request, leg, monkeypatch)
    return leg, tmp_path / "cli.db"


def mongo_facts(db) -> tuple[dict, int, int, tuple, set]:
    """What the sqlite assertions read, from MongoDB: orders by status, the quantity cancelled
    orders gave back, the stock left, the orders' content and the active skus."""
    by_status = {d["_id"]: d["n"] for d in db["orders"].aggregate(
        [{"$group": {"_id": "$status", "n": {"$sum": 1}}}])}  # fmt: skip
    returned = sum(
        line["quantity"]
        for order in db["orders"].find({"status": "cancelled"})
        for line in order["items"]
    )
    left = sum(d["quantity"] for d in db["inventory"].find())
    skus = {d["_id"]: d["sku"] for d in db["products"].find()}
    names = {d["_id"]: d["username"] for d in db["users"].find()}
    content = tuple(
        sorted(
            (
                names[o["user_id"]],
                o["status"],
                tuple(sorted((skus[i["product_id"]], i["quantity"]) for i in o["items"])),
            )
            for o in db["orders"].find()
        )
    )
    active = {d["sku"] for d in db["products"].find({"is_active": True})}
    return by_status, returned, left, content, active


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def content(db) -> tuple:
    """What the orders are, without ids or timestamps: (username, status, [(sku, qty)])."""
    skus = dict(rows(db, "SELECT id, sku FROM products"))
    names = dict(rows(db, "SELECT id, username FROM users"))
    return tuple(
        sorted(
            (
                names[user_id],
                status,
                tuple(sorted((skus[pid], q) for pid, _, _, q in json.loads(lines))),
            )
            for user_id, status, lines in rows(db, "SELECT user_id, status, lines FROM orders")
        )
    )


def test_seed_orders_places_and_moves_them(store):
    backend, db = store
    args = ["seed", "--users", "12", "--products", "20", "--orders", "60", "--seed", "7"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "orders: 60 placed (pending " in result.output
    if backend == "memory":
        return
    if is_real_mongo(backend):
        by_status, returned, left, orders, active = mongo_facts(db)
    else:
        by_status = dict(rows(db, "SELECT status, count(*) FROM orders GROUP BY status"))
        returned = sum(
            q
            for (lines,) in rows(db, "SELECT lines FROM orders WHERE status = 'cancelled'")
            for *_, q in json.loads(lines)
        )
        [(left,)] = rows(db, "SELECT sum(quantity) FROM inventory")
        orders = content(db)
        active = {sku for (sku,) in rows(db, "SELECT sku FROM products WHERE is_active = 1")}
    assert sum(by_status.values()) == 60
    assert by_status.keys() == {"pending", "paid", "shipped", "delivered", "cancelled"}
    for status, n in by_status.items():
        assert f"{status} {n}" in result.output
    # stock was added for every line first, then taken: what is left is what cancelling gave back
    assert left == returned
    # only seeded users and active products, 1-3 distinct lines of 1-3 each
    for username, _, lines in orders:
        assert SEED_USERNAME.fullmatch(username)
        assert 1 <= len(lines) <= 3 and len({sku for sku, _ in lines}) == len(lines)
        assert all(sku in active and 1 <= q <= 3 for sku, q in lines)


def test_the_same_seed_gives_the_same_orders(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "sqlite")
    for name, value in FAST_HASH.items():
        monkeypatch.setenv(name.upper(), str(value))
    seen = []
    for n in (1, 2):
        db = tmp_path / f"run{n}.db"
        monkeypatch.setenv("SQLITE_PATH", str(db))
        args = ["seed", "--users", "10", "--products", "8", "--orders", "40", "--seed", "3"]
        assert runner.invoke(app, args).exit_code == 0
        seen.append(content(db))
    assert seen[0] == seen[1]


def test_orders_alone_go_to_the_users_already_seeded(tmp_path, monkeypatch):
    """A second run lists the seeded users and products through ListUsers / ListProducts."""
    db = tmp_path / "cli.db"
    monkeypatch.setenv("STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("SQLITE_PATH", str(db))
    for name, value in FAST_HASH.items():
        monkeypatch.setenv(name.upper(), str(value))
    assert runner.invoke(app, ["seed", "--users", "5", "--products", "4"]).exit_code == 0
    result = runner.invoke(app, ["seed", "--orders", "15"])
    assert result.exit_code == 0, result.output
    assert "orders: 15 placed" in result.output
    assert rows(db, "SELECT count(*), count(DISTINCT user_id) <= 5 FROM orders") == [(15, 1)]


def test_orders_without_seeded_users_or_products_exit_2(store):
    result = runner.invoke(app, ["seed", "--orders", "5"])
    assert result.exit_code == 2
    assert "orders need seeded users and active seeded products" in result.output


def test_order_plans_depend_only_on_the_seed():
    plans = list(order_plans(5, 2000, users=30, products=10))
    assert plans == list(order_plans(5, 2000, users=30, products=10))
    assert plans != list(order_plans(6, 2000, users=30, products=10))
    assert {len(p.lines) for p in plans} == {1, 2, 3}
    assert all(0 <= p.user < 30 and all(0 <= i < 10 for i, _ in p.lines) for p in plans)
    paths = Counter(p.moves for p in plans)
    assert paths.keys() == {path for path, _ in STATUS_PATHS}
    cancelled = sum(n for path, n in paths.items() if path and path[-1].value == "cancelled")
    assert 0.10 < cancelled / len(plans) < 0.20  # about 15%
    # a store with a single product still gets orders (one line each)
    assert {len(p.lines) for p in order_plans(5, 50, users=1, products=1)} == {1}


def test_seeded_ids_are_ordered_by_seed_number():
    pairs = [("seed_user_10", "b"), ("alice", "x"), ("seed_user_9", "a"), ("seed_user_1", "c")]
    assert by_seed_number(pairs, SEED_USERNAME) == ["c", "a", "b"]
