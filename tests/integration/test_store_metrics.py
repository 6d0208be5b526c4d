"""Store metrics on every leg: ports timed through the container, pools, SQLite group commits,
orders placed and refused."""

import asyncio
import inspect
import typing
from types import SimpleNamespace

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY

from adapters.mongo.pool import PoolMonitor
from application import ports
from application.orders import PlaceOrderCommand
from domain.access import SYSTEM
from domain.errors import ValidationError
from domain.inventory import InsufficientStockError
from entrypoints import metrics
from entrypoints.container import build_container, provide
from entrypoints.http.app import create_app
from tests.conftest import REAL_MONGO_LEGS, make_settings, make_storage
from tests.http.conftest import LIFESPAN_TIMEOUTS
from tests.orders_support import add_product, add_user, skip_without_transactions

PORTS = {
    "users": ports.UserRepository,
    "products": ports.ProductRepository,
    "inventory": ports.InventoryRepository,
    "product_search": ports.ProductSearch,
    "orders": ports.OrderRepository,
    "idempotency": ports.IdempotencyRepository,
    "analytics": ports.AnalyticsReader,
    "ping": ports.StoragePing,
}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def protocol_methods(protocol: type) -> set[str]:
    return {
        name
        for name, member in vars(protocol).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


@pytest.mark.parametrize("port", sorted(PORTS))
async def test_every_port_method_is_timed(container, settings, port):
    timed = await provide(getattr(container.storage, port))
    operations = {op.split(".", 1)[1] for op in timed.timed_operations}
    assert protocol_methods(PORTS[port]) <= operations
    assert all(op.startswith(f"{port}.") for op in timed.timed_operations)


async def test_a_store_call_is_observed_under_its_adapter_and_operation(container, settings):
    adapter = settings.storage_backend.value
    labels = {"adapter": adapter, "operation": "users.get"}
    before = value("storefront_store_operation_duration_seconds_count", **labels)
    users = await provide(container.storage.users)
    for _ in range(3):
        assert await users.get("0" * 24) is None
    after = value("storefront_store_operation_duration_seconds_count", **labels)
    assert after - before == 3


async def test_a_unit_of_work_commit_is_timed(container, settings, leg):
    skip_without_transactions(leg)
    labels = {"adapter": settings.storage_backend.value, "operation": "uow.commit"}
    before = value("storefront_store_operation_duration_seconds_count", **labels)
    product = await add_product(container, 1, stock=5)
    async with (await provide(container.storage.uow))() as uow:
        uow.stock.reserve(product.id, 2)
        await uow.commit()
    assert value("storefront_store_operation_duration_seconds_count", **labels) - before == 1
    inventory = await provide(container.storage.inventory)
    assert await inventory.get(product.id) == 3  # the timed unit did its work


async def test_errors_are_timed_too_and_still_raised(container, settings):
    inventory = await provide(container.storage.inventory)
    labels = {"adapter": settings.storage_backend.value, "operation": "inventory.adjust"}
    before = value("storefront_store_operation_duration_seconds_count", **labels)
    product = await add_product(container, 2, stock=1)
    with pytest.raises(InsufficientStockError):
        await inventory.adjust(product.id, -5)
    assert value("storefront_store_operation_duration_seconds_count", **labels) - before == 1


async def test_orders_placed_and_refused_are_counted_by_reason(container, leg):
    skip_without_transactions(leg)
    services = await provide(container.services)
    place = metrics.CountedPlaceOrder(services.place_order)
    user = await add_user(container)
    product = await add_product(container, 3, stock=2)
    placed = value("storefront_orders_placed_total")
    short = value("storefront_orders_refused_total", reason="insufficient_stock")
    invalid = value("storefront_orders_refused_total", reason="invalid_reference")

    cmd = PlaceOrderCommand(user.id, ((product.id, 1),), idempotency_key="k-1")
    await place.execute(SYSTEM, cmd)
    replay = await place.execute(SYSTEM, cmd)  # a replay places nothing new
    assert replay.replayed
    with pytest.raises(InsufficientStockError):
        await place.execute(SYSTEM, PlaceOrderCommand(user.id, ((product.id, 5),)))
    with pytest.raises(ValidationError):
        await place.execute(SYSTEM, PlaceOrderCommand("0" * 24, ((product.id, 1),)))

    assert value("storefront_orders_placed_total") - placed == 1
    assert value("storefront_orders_refused_total", reason="insufficient_stock") - short == 1
    # an unknown user: the code the client gets, invalid_reference
    assert value("storefront_orders_refused_total", reason="invalid_reference") - invalid == 1


async def _served_app(settings, leg):
    app = create_app(settings, build_container(settings, make_storage(leg, settings)))
    manager = LifespanManager(app, **LIFESPAN_TIMEOUTS)
    await manager.__aenter__()
    transport = httpx.ASGITransport(app=manager.app)
    manager.served = app
    return manager, httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def test_the_app_counts_orders_through_its_services(tmp_path):
    settings = make_settings("memory", tmp_path)
    manager, http = await _served_app(settings, "memory")
    try:
        services = manager.served.state.services
        assert isinstance(services.place_order, metrics.CountedPlaceOrder)
        assert isinstance(services.login, metrics.CountedLogin)
        failures = value("storefront_login_failures_total", reason="invalid_credentials")
        response = await http.post("/api/auth/token", data={"username": "x", "password": "y"})
        assert response.status_code == 401
        after = value("storefront_login_failures_total", reason="invalid_credentials")
        assert after - failures == 1
    finally:
        await http.aclose()
        await manager.__aexit__(None, None, None)


async def test_sqlite_group_commit_sizes_are_observed(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    manager, http = await _served_app(settings, "sqlite")
    try:
        count = value("storefront_sqlite_commit_batch_size_count")
        total = value("storefront_sqlite_commit_batch_size_sum")
        bodies = [
            {"username": f"batch{n}", "email": f"b{n}@example.com", "password": "pw-123456789"}
            for n in range(12)
        ]
        responses = await asyncio.gather(*(http.post("/api/users/", json=b) for b in bodies))
        assert {r.status_code for r in responses} == {201}
        batches = value("storefront_sqlite_commit_batch_size_count") - count
        assert value("storefront_sqlite_commit_batch_size_sum") - total == 12
        assert 1 <= batches <= 12
    finally:
        await http.aclose()
        await manager.__aexit__(None, None, None)


async def test_postgres_pool_gauges(tmp_path, postgres_url, postgres_schema):
    settings = make_settings(
        "postgres",
        tmp_path,
        postgres_url=postgres_url,
        postgres_schema=postgres_schema,
        postgres_max_pool_size=4,
    )
    manager, http = await _served_app(settings, "postgres")
    try:
        text = (await http.get("/metrics")).text
        assert value("storefront_store_pool_max_connections", adapter="postgres") == 4
        assert value("storefront_store_pool_connections", adapter="postgres") >= 1
        in_use = value("storefront_store_pool_connections_in_use", adapter="postgres")
        # the pending-orders expiry task may hold a connection at this moment
        assert 0 <= in_use <= value("storefront_store_pool_connections", adapter="postgres")
        assert 'storefront_store_pool_connections_in_use{adapter="postgres"}' in text
    finally:
        await http.aclose()
        await manager.__aexit__(None, None, None)


def test_the_mongo_pool_monitor_counts_checked_out_and_open_connections():
    monitor = PoolMonitor(100)
    event = SimpleNamespace(options={})
    monitor.pool_created(event)
    monitor.pool_created(event)  # a second server of the replica set
    for _ in range(3):
        monitor.connection_created(event)
    monitor.connection_checked_out(event)
    monitor.connection_checked_out(event)
    monitor.connection_checked_in(event)
    monitor.connection_closed(event)
    assert monitor.stats() == (1, 2, 200)


def test_the_mongo_pool_monitor_implements_every_cmap_callback():
    from pymongo import monitoring

    abstract = {
        name
        for name, member in vars(monitoring.ConnectionPoolListener).items()
        if callable(member) and not name.startswith("_")
    }
    assert abstract <= set(vars(PoolMonitor))
    assert typing.get_type_hints(PoolMonitor.stats)["return"] == tuple[int, int, int]


@pytest.mark.parametrize("leg", REAL_MONGO_LEGS, indirect=True)
async def test_mongo_pool_stats_come_from_the_drivers_pool_events(container, settings):
    users = await provide(container.storage.users)
    assert await users.get("0" * 24) is None  # at least one connection checked out and back
    store = await provide(container.storage.store)
    in_use, size, maximum = store.pool_stats()
    assert size >= 1
    assert in_use == 0
    assert maximum == settings.mongodb_max_pool_size
