"""MongoDB: each report pipeline and the purge use an index (explain). Needs a real server:
mongomock has no `explain`, so these run on the `mongo` leg only (MONGODB_URL or
testcontainers) and are skipped with the reason printed elsewhere."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from bson import Decimal128, ObjectId

from adapters.mongo.analytics import (
    registrations_pipeline,
    top_customers_pipeline,
    users_by_role_pipeline,
)
from adapters.mongo.mapping import user_document
from domain.ids import new_id
from domain.users import Role, User
from entrypoints.container import build_container, provide
from tests.conftest import make_settings
from tests.mongo_server import needs_capability

pytestmark = pytest.mark.mongo


def seeded_user(n: int) -> User:
    """A valid user, unique by email and username, as the adapter would store it."""
    return User(
        id=new_id(),
        email=f"user{n}@example.com",
        username=f"user{n}",
        password_hash="not-a-real-hash",
        role=(Role.USER, Role.ADMIN, Role.MODERATOR)[n % 3],
        is_active=n % 10 == 0,  # 270 inactive users, 5 of them changed before June
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 7 if n > 5 else 1, 1, tzinfo=UTC),
    )


@pytest.fixture
async def store(mongo_url, mongo_database, tmp_path):
    """The adapter's store on a database of its own (dropped by `mongo_database` whatever
    happens)."""
    settings = make_settings(
        "mongo", tmp_path, mongodb_url=mongo_url, mongodb_database=mongo_database
    )
    container = build_container(settings)
    try:
        await container.init_resources()
        store = await provide(container.storage.store)
        await store.ensure_indexes()
        # many inactive users changed after the purge cutoff, a few before it: enough for the
        # planner's trial runs to tell the partial index from active_role_created
        await store.db["users"].insert_many(user_document(seeded_user(n)) for n in range(300))
        yield store
    finally:
        await container.shutdown_resources()


def _walk(node: Any, stages: list[str], indexes: list[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("stage"), str):
            stages.append(node["stage"])
        if isinstance(node.get("indexName"), str):
            indexes.append(node["indexName"])
        for value in node.values():
            _walk(value, stages, indexes)
    elif isinstance(node, list):
        for value in node:
            _walk(value, stages, indexes)


def _winning(explain: dict) -> tuple[list[str], list[str]]:
    """Stages and index names of the winning plans only (rejected plans are left out)."""
    stages: list[str] = []
    indexes: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "winningPlan":
                    _walk(value, stages, indexes)
                elif key != "rejectedPlans":
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(explain)
    return stages, indexes


async def _explain_aggregate(
    store, pipeline: list[dict], collection: str = "users"
) -> tuple[list[str], list[str]]:
    explain = await store.db.command("aggregate", collection, pipeline=pipeline, explain=True)
    return _winning(explain)


async def test_users_by_role_is_a_covered_scan_of_role_active(store, mongo_capabilities):
    needs_capability(mongo_capabilities, "covered_scan")
    stages, indexes = await _explain_aggregate(store, users_by_role_pipeline())
    assert "role_active" in indexes, (stages, indexes)
    assert "COLLSCAN" not in stages and "FETCH" not in stages, stages


async def test_registrations_match_uses_the_created_index(store):
    pipeline = registrations_pipeline(date(2026, 1, 1), date(2026, 12, 31))
    stages, indexes = await _explain_aggregate(store, pipeline)
    assert set(indexes) == {"created"}, (stages, indexes)
    assert "COLLSCAN" not in stages, stages


async def test_the_purge_uses_the_partial_index(store, mongo_capabilities):
    needs_capability(mongo_capabilities, "partial_index")
    query = {"is_active": False, "updated_at": {"$lt": datetime(2026, 6, 1, tzinfo=UTC)}}
    explain = await store.db.command(
        "explain",
        {"delete": "users", "deletes": [{"q": query, "limit": 0}]},
        verbosity="queryPlanner",
    )
    stages, indexes = _winning(explain)
    assert set(indexes) == {"inactive_updated"}, (stages, indexes)
    assert "COLLSCAN" not in stages, stages


async def test_top_customers_match_uses_the_status_user_total_index(store, mongo_capabilities):
    needs_capability(mongo_capabilities, "ne_index_bounds")
    users = [ObjectId() for _ in range(20)]
    statuses = ("pending", "paid", "shipped", "delivered", "cancelled")
    await store.db["orders"].insert_many(
        {
            "user_id": users[n % 20],
            "status": statuses[n % 5],
            "total": Decimal128(f"{n}.25"),
            "items": [],
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for n in range(300)
    )
    stages, indexes = await _explain_aggregate(store, top_customers_pipeline(10), "orders")
    assert "status_user_total" in indexes, (stages, indexes)
    assert "COLLSCAN" not in stages, stages
