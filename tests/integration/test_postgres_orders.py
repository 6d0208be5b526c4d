"""PostgreSQL's unit of work on the real server: lock order, bounded retries, all or nothing."""

import asyncio
import logging

import pytest
from asyncpg import exceptions as pg

import adapters.postgres.orders as pg_orders
from adapters.postgres.errors import TransactionConflictError
from entrypoints.container import build_container, provide
from tests.conftest import make_settings, make_storage, postgres_overrides
from tests.orders_support import add_product, add_user, make_order, stock_of


@pytest.fixture
def settings(request, tmp_path):
    return make_settings("postgres", tmp_path, **postgres_overrides(request))


@pytest.fixture
async def container(settings):
    container = build_container(settings, make_storage("postgres", settings))
    await container.init_resources()
    try:
        yield container
    finally:
        await container.shutdown_resources()


async def test_units_recorded_in_opposite_orders_lock_rows_by_product_id(container, caplog):
    """PlaceOrder sorts its lines already; the adapter does not count on it."""
    caplog.set_level(logging.INFO, logger="adapters.postgres")
    uow = await provide(container.storage.uow)
    user = await add_user(container)
    a, b = await add_product(container, 1, stock=100), await add_product(container, 2, stock=100)

    async def place(n: int) -> None:
        first, second = (a, b) if n % 2 else (b, a)
        async with uow() as unit:
            unit.stock.reserve(first.id, 1)
            unit.stock.reserve(second.id, 1)
            unit.orders.add(make_order(user.id, [(first, 1), (second, 1)], n))
            await unit.commit()

    await asyncio.wait_for(asyncio.gather(*(place(n) for n in range(60))), timeout=30)
    assert (await stock_of(container, a.id), await stock_of(container, b.id)) == (40, 40)
    assert not [r for r in caplog.records if "conflict" in r.getMessage()]  # no deadlock at all


def test_lock_order_sorts_only_the_stock_writes():
    from adapters.common.uow import AddOrder, Release, Reserve, UpdateOrder

    order = object()
    writes = [UpdateOrder(order, "paid"), Release("b", 1), Reserve("a", 1), AddOrder(order)]  # type: ignore[arg-type]
    assert pg_orders.lock_order(writes) == [writes[0], writes[2], writes[1], writes[3]]


async def test_deadlocks_and_serialization_failures_are_retried_a_bounded_number_of_times(
    container, monkeypatch
):
    uow = await provide(container.storage.uow)
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    real_apply = pg_orders._apply
    failures = [pg.DeadlockDetectedError, pg.SerializationError]
    attempts = []

    async def flaky(conn, writes):
        attempts.append(1)
        await real_apply(conn, writes)  # applied, then the transaction fails: rolled back
        if failures:
            raise failures.pop(0)("injected")

    monkeypatch.setattr(pg_orders, "_apply", flaky)
    order = make_order(user.id, [(p, 2)])
    async with uow() as unit:
        unit.stock.reserve(p.id, 2)
        unit.orders.add(order)
        await unit.commit()
    assert len(attempts) == 3
    assert await stock_of(container, p.id) == 3  # applied once, by the third attempt
    assert (await (await provide(container.storage.orders)).get(order.id)) == order

    async def always(conn, writes):
        attempts.append(1)
        await real_apply(conn, writes)
        raise pg.SerializationError("injected")

    monkeypatch.setattr(pg_orders, "_apply", always)
    attempts.clear()
    again = make_order(user.id, [(p, 1)])
    async with uow() as unit:
        unit.stock.reserve(p.id, 1)
        unit.orders.add(again)
        with pytest.raises(TransactionConflictError):  # a 409 in the end, nothing applied
            await unit.commit()
    assert len(attempts) == pg_orders.APPLY_ATTEMPTS
    assert await stock_of(container, p.id) == 3
    assert await (await provide(container.storage.orders)).get(again.id) is None
