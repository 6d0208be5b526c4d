"""Pending-order expiry on every leg: `pending_before` (the port) and ExpirePendingOrders,
which cancels through ChangeOrderStatus's unit of work, so the stock comes back with it."""

from datetime import timedelta

import pytest

from application.orders import ChangeOrderStatus, ExpirePendingOrders
from domain.orders import OrderStatus
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

TTL = timedelta(minutes=60)


class Clock:
    def __init__(self, moment) -> None:
        self.moment = moment

    def now(self):
        return self.moment


async def test_pending_before_is_oldest_first_and_pending_only(container, leg):
    user = await add_user(container)
    product = await add_product(container, 1)
    old = [make_order(user.id, [(product, 1)], n) for n in range(3)]
    paid = make_order(user.id, [(product, 1)], 3, status=OrderStatus.PAID)
    recent = make_order(user.id, [(product, 1)], 3600)
    await write_orders(container, leg, [recent, paid, *reversed(old)])
    orders = await provide(container.storage.orders)
    cutoff = T0 + timedelta(seconds=100)
    assert [o.id for o in await orders.pending_before(cutoff, 10)] == [o.id for o in old]
    assert [o.id for o in await orders.pending_before(cutoff, 2)] == [o.id for o in old[:2]]
    assert await orders.pending_before(T0, 10) == []  # strictly before the cutoff


async def test_expiry_cancels_late_pending_orders_and_returns_their_stock(container, leg):
    skip_without_transactions(leg)
    user = await add_user(container)
    product = await add_product(container, 1, stock=100)
    late = make_order(user.id, [(product, 3)], 0)
    late_too = make_order(user.id, [(product, 4)], 1)
    paid = make_order(user.id, [(product, 5)], 2, status=OrderStatus.PAID)
    in_time = make_order(user.id, [(product, 6)], 1800)  # placed 30 minutes later
    await write_orders(container, leg, [late, late_too, paid, in_time])
    orders = await provide(container.storage.orders)
    clock = Clock(T0 + TTL + timedelta(seconds=5))
    change = ChangeOrderStatus(orders, await provide(container.storage.uow), clock)
    expire = ExpirePendingOrders(orders, change, clock, TTL)
    assert await expire.execute() == 2
    statuses = {o.id: (await orders.get(o.id)).status for o in (late, late_too, paid, in_time)}
    assert statuses == {
        late.id: OrderStatus.CANCELLED,
        late_too.id: OrderStatus.CANCELLED,
        paid.id: OrderStatus.PAID,
        in_time.id: OrderStatus.PENDING,
    }
    assert await stock_of(container, product.id) == 100 + 3 + 4
    assert await expire.execute() == 0  # nothing twice: no second release
    assert await stock_of(container, product.id) == 107


async def test_expiry_walks_past_one_batch(container, leg, monkeypatch):
    skip_without_transactions(leg)
    monkeypatch.setattr(ExpirePendingOrders, "BATCH", 2)
    user = await add_user(container)
    product = await add_product(container, 1, stock=10)
    await write_orders(container, leg, [make_order(user.id, [(product, 1)], n) for n in range(5)])
    orders = await provide(container.storage.orders)
    clock = Clock(T0 + TTL * 2)
    change = ChangeOrderStatus(orders, await provide(container.storage.uow), clock)
    assert await ExpirePendingOrders(orders, change, clock, TTL).execute() == 5
    assert await stock_of(container, product.id) == 15


def test_the_ttl_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        ExpirePendingOrders(None, None, None, timedelta(0))  # type: ignore[arg-type]
