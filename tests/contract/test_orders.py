"""The order ports' contract (OrderRepository, IdempotencyRepository, UnitOfWork), every leg."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.ids import new_id
from domain.inventory import InsufficientStockError
from domain.orders import IdempotencyRecord, OrderFilter, OrderStatus
from domain.pagination import PageRequest
from entrypoints.container import provide
from tests.orders_support import (
    T0,
    add_product,
    add_user,
    make_order,
    skip_without_transactions,
    stock_of,
    write_orders,
)


@pytest.fixture
async def orders(container):
    return await provide(container.storage.orders)


@pytest.fixture
async def uow(container, leg):
    skip_without_transactions(leg)
    return await provide(container.storage.uow)


async def test_orders_round_trip_with_exact_money(container, leg, orders):
    user = await add_user(container)
    dime = await add_product(container, 1, price="0.10")
    other = await add_product(container, 2, price="1234567.89")
    order = make_order(user.id, [(dime, 3), (other, 2)])
    await write_orders(container, leg, [order])
    loaded = await orders.get(order.id)
    assert loaded == order
    assert loaded.lines[0].subtotal == Decimal("0.30")
    assert loaded.total == Decimal("2469136.08")
    assert str(loaded.lines[0].price) == "0.10"
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert await orders.get(new_id()) is None
    assert await orders.get("nope") is None


async def test_list_newest_first_with_filters_and_total(container, leg, orders):
    a, b = await add_user(container, 1), await add_user(container, 2)
    p = await add_product(container, 1)
    made = [make_order(a.id if n % 2 else b.id, [(p, 1)], n) for n in range(6)]
    made[0] = replace(made[0], status=OrderStatus.PAID)
    await write_orders(container, leg, made)
    newest = sorted(made, key=lambda o: (o.created_at, o.id), reverse=True)

    page = await orders.list(OrderFilter(), PageRequest(1, 3))
    assert page.total == 6
    assert [o.id for o in page.items] == [o.id for o in newest[1:4]]
    page = await orders.list(OrderFilter(user_id=a.id), PageRequest())
    assert {o.id for o in page.items} == {o.id for o in made if o.user_id == a.id}
    assert page.total == 3
    page = await orders.list(OrderFilter(user_id=b.id, status=OrderStatus.PAID), PageRequest())
    assert [o.id for o in page.items] == [made[0].id]


async def test_commit_applies_every_write(container, uow, orders):
    user = await add_user(container)
    p1, p2 = await add_product(container, 1, stock=5), await add_product(container, 2, stock=5)
    order = make_order(user.id, [(p1, 2), (p2, 5)])
    async with uow() as unit:
        unit.stock.reserve(p1.id, 2)
        unit.stock.reserve(p2.id, 5)
        unit.orders.add(order)
        await unit.commit()
    assert (await stock_of(container, p1.id), await stock_of(container, p2.id)) == (3, 0)
    assert await orders.get(order.id) == order


async def test_leaving_without_commit_or_by_an_error_applies_nothing(container, uow, orders):
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = make_order(user.id, [(p, 1)])
    async with uow() as unit:
        unit.stock.reserve(p.id, 1)
        unit.orders.add(order)
    with pytest.raises(RuntimeError):
        async with uow() as unit:
            unit.stock.reserve(p.id, 1)
            unit.orders.add(order)
            raise RuntimeError("the use case failed before committing")
    assert await stock_of(container, p.id) == 5
    assert await orders.get(order.id) is None


async def test_short_stock_fails_the_whole_unit_naming_the_product(container, uow, orders):
    user = await add_user(container)
    p1, p2 = await add_product(container, 1, stock=5), await add_product(container, 2, stock=1)
    never_stocked = await add_product(container, 3)
    for short in (p2, never_stocked):
        order = make_order(user.id, [(p1, 2), (short, 2)])
        async with uow() as unit:
            unit.stock.reserve(p1.id, 2)
            unit.stock.reserve(short.id, 2)
            unit.orders.add(order)
            with pytest.raises(InsufficientStockError) as caught:
                await unit.commit()
        assert caught.value.product_id == short.id
        assert await orders.get(order.id) is None
    assert (await stock_of(container, p1.id), await stock_of(container, p2.id)) == (5, 1)


async def test_a_failure_after_the_decrement_leaves_stock_unchanged(container, uow, leg):
    """The order write fails (its id is taken) after the stock was decremented."""
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    first = make_order(user.id, [(p, 1)])
    await write_orders(container, leg, [first])
    async with uow() as unit:
        unit.stock.reserve(p.id, 3)
        unit.orders.add(replace(first, lines=first.lines))  # same id: the insert fails
        with pytest.raises(DuplicateError):
            await unit.commit()
    assert await stock_of(container, p.id) == 5


async def test_status_update_is_conditional_and_release_returns_stock(container, uow, orders):
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = make_order(user.id, [(p, 2)])
    async with uow() as unit:
        unit.stock.reserve(p.id, 2)
        unit.orders.add(order)
        await unit.commit()
    cancelled = order.moved_to(OrderStatus.CANCELLED, T0 + timedelta(hours=1))
    async with uow() as unit:
        unit.orders.update(cancelled, expected_status=OrderStatus.PENDING)
        unit.stock.release(p.id, 2)
        await unit.commit()
    assert await orders.get(order.id) == replace(cancelled, version=2)  # the write moved it on
    assert await stock_of(container, p.id) == 5
    async with uow() as unit:  # a second, racing cancel: the status moved meanwhile
        unit.orders.update(cancelled, expected_status=OrderStatus.PENDING)
        unit.stock.release(p.id, 2)
        with pytest.raises(ConcurrentChangeError):
            await unit.commit()
    assert await stock_of(container, p.id) == 5
    async with uow() as unit:
        unit.orders.update(make_order(user.id, [(p, 1)]), expected_status=OrderStatus.PENDING)
        with pytest.raises(NotFoundError):
            await unit.commit()


async def test_idempotency_records_are_unique_until_they_expire(container, uow):
    keys = await provide(container.storage.idempotency)
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = make_order(user.id, [(p, 1)])
    record = IdempotencyRecord("key-1", "hash-a", order.id, T0)
    async with uow() as unit:
        unit.idempotency.add(record, expired_before=T0 - timedelta(hours=24))
        unit.stock.reserve(p.id, 1)
        unit.orders.add(order)
        await unit.commit()
    assert await keys.find("key-1", not_before=T0 - timedelta(hours=24)) == record
    assert await keys.find("key-1", not_before=T0 + timedelta(seconds=1)) is None
    assert await keys.find("other", not_before=T0 - timedelta(hours=24)) is None

    later = T0 + timedelta(hours=1)
    twin = make_order(user.id, [(p, 1)])
    async with uow() as unit:
        unit.idempotency.add(
            IdempotencyRecord("key-1", "hash-a", twin.id, later), later - timedelta(hours=24)
        )
        unit.stock.reserve(p.id, 1)
        unit.orders.add(twin)
        with pytest.raises(DuplicateError) as caught:
            await unit.commit()
    assert caught.value.field == "idempotency_key"
    assert await stock_of(container, p.id) == 4

    much_later = T0 + timedelta(hours=25)  # the first record has expired: the key is free
    fresh = IdempotencyRecord("key-1", "hash-b", twin.id, much_later)
    async with uow() as unit:
        unit.idempotency.add(fresh, much_later - timedelta(hours=24))
        unit.orders.add(twin)
        await unit.commit()
    assert await keys.find("key-1", not_before=much_later - timedelta(hours=24)) == fresh
