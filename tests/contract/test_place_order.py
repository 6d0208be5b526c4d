"""PlaceOrder and ChangeOrderStatus on every leg that has transactions: rules, idempotency,
concurrency (no oversell, no deadlock, no half-applied order)."""

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from application.orders import PlaceOrderCommand
from domain.access import SYSTEM, Principal
from domain.errors import NotFoundError, ValidationError
from domain.inventory import InsufficientStockError
from domain.orders import (
    IdempotencyKeyReusedError,
    IllegalStatusChangeError,
    OrderFilter,
    OrderStatus,
)
from domain.pagination import PageRequest
from domain.users import Role
from entrypoints.container import provide
from tests.orders_support import add_product, add_user, skip_without_transactions, stock_of


@pytest.fixture(autouse=True)
def _needs_transactions(leg):
    skip_without_transactions(leg)


def place(user, *lines, key=None) -> PlaceOrderCommand:
    return PlaceOrderCommand(user.id, tuple((p.id, q) for p, q in lines), key)


async def test_place_captures_lines_merges_repeats_and_takes_stock(container, services):
    user = await add_user(container)
    dime = await add_product(container, 1, stock=10, price="0.10")
    pen = await add_product(container, 2, stock=10, price="2.50")
    placed = await services.place_order.execute(SYSTEM, place(user, (dime, 1), (pen, 2), (dime, 2)))
    order = placed.order
    assert not placed.replayed
    assert order.status is OrderStatus.PENDING
    assert [(li.product_id, li.name, li.price, li.quantity) for li in order.lines] == sorted(
        [(dime.id, "Product 1", Decimal("0.10"), 3), (pen.id, "Product 2", Decimal("2.50"), 2)]
    )
    assert order.total == Decimal("5.30")
    assert (await stock_of(container, dime.id), await stock_of(container, pen.id)) == (7, 8)
    assert await services.get_order.execute(SYSTEM, order.id) == order


async def test_unknown_user_or_product_or_inactive_product_is_invalid(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=10)
    off = await add_product(container, 2, stock=10, is_active=False)
    bad = [
        PlaceOrderCommand("f" * 24, ((p.id, 1),)),
        PlaceOrderCommand("not-an-id", ((p.id, 1),)),
        PlaceOrderCommand(user.id, ((p.id, 1), ("e" * 24, 1))),
        PlaceOrderCommand(user.id, ((off.id, 1),)),
        PlaceOrderCommand(user.id, ((p.id, 0),)),
        PlaceOrderCommand(user.id, ()),
    ]
    for cmd in bad:
        with pytest.raises(ValidationError):
            await services.place_order.execute(SYSTEM, cmd)
    assert await stock_of(container, p.id) == 10


async def test_short_stock_is_409_naming_the_product_and_changes_nothing(container, services):
    user = await add_user(container)
    plenty = await add_product(container, 1, stock=10)
    scarce = await add_product(container, 2, stock=1)
    with pytest.raises(InsufficientStockError) as caught:
        await services.place_order.execute(SYSTEM, place(user, (plenty, 5), (scarce, 2)))
    assert caught.value.product_id == scarce.id and scarce.id in caught.value.detail
    assert (await stock_of(container, plenty.id), await stock_of(container, scarce.id)) == (10, 1)
    page = await services.list_orders.execute(SYSTEM, OrderFilter(), PageRequest())
    assert page.total == 0


async def test_sixty_concurrent_orders_on_stock_ten_never_oversell(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=10)
    results = await asyncio.gather(
        *(services.place_order.execute(SYSTEM, place(user, (p, 1))) for _ in range(60)),
        return_exceptions=True,
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InsufficientStockError)]
    assert (len(placed), len(refused)) == (10, 50)
    assert await stock_of(container, p.id) == 0


async def test_opposite_line_orders_never_deadlock_nor_half_apply(container, services):
    user = await add_user(container)
    a, b = await add_product(container, 1, stock=30), await add_product(container, 2, stock=20)
    commands = [place(user, (a, 1), (b, 1)) if n % 2 else place(user, (b, 1), (a, 1))
                for n in range(40)]  # fmt: skip
    results = await asyncio.wait_for(
        asyncio.gather(*(services.place_order.execute(SYSTEM, c) for c in commands),
                       return_exceptions=True),
        timeout=30,
    )  # fmt: skip
    placed = [r for r in results if not isinstance(r, BaseException)]
    assert all(isinstance(r, InsufficientStockError) for r in results if r not in placed)
    assert len(placed) == 20  # b runs out first; every order took one of each, or nothing
    assert (await stock_of(container, a.id), await stock_of(container, b.id)) == (10, 0)


async def test_an_idempotent_retry_returns_the_first_order(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=10)
    first = await services.place_order.execute(SYSTEM, place(user, (p, 2), key="k-1"))
    again = await services.place_order.execute(SYSTEM, place(user, (p, 1), (p, 1), key="k-1"))
    assert again.replayed and again.order == first.order
    assert await stock_of(container, p.id) == 8
    with pytest.raises(IdempotencyKeyReusedError):
        await services.place_order.execute(SYSTEM, place(user, (p, 3), key="k-1"))
    other = await services.place_order.execute(SYSTEM, place(user, (p, 2), key="k-2"))
    assert other.order.id != first.order.id
    assert await stock_of(container, p.id) == 6


async def test_concurrent_retries_with_one_key_place_one_order(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=10)
    results = await asyncio.gather(
        *(services.place_order.execute(SYSTEM, place(user, (p, 1), key="race")) for _ in range(8))
    )
    assert len({r.order.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await stock_of(container, p.id) == 9


async def test_a_failed_order_does_not_burn_its_key(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=1)
    with pytest.raises(InsufficientStockError):
        await services.place_order.execute(SYSTEM, place(user, (p, 2), key="k"))
    await (await provide(container.storage.inventory)).set(p.id, 5)
    placed = await services.place_order.execute(SYSTEM, place(user, (p, 2), key="k"))
    assert not placed.replayed and await stock_of(container, p.id) == 3


@pytest.mark.parametrize(
    "path",
    [
        ["paid", "shipped", "delivered"],
        ["cancelled"],
        ["paid", "cancelled"],
    ],
)
async def test_legal_moves(container, services, path):
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = (await services.place_order.execute(SYSTEM, place(user, (p, 2)))).order
    for status in path:
        order = await services.change_order_status.execute(SYSTEM, order.id, OrderStatus(status))
        assert order.status == status
    assert await services.get_order.execute(SYSTEM, order.id) == order
    expected = 5 if path[-1] == "cancelled" else 3
    assert await stock_of(container, p.id) == expected


@pytest.mark.parametrize(
    "path,illegal",
    [
        ([], "shipped"), ([], "delivered"), ([], "pending"),
        (["paid"], "pending"), (["paid"], "delivered"),
        (["paid", "shipped"], "cancelled"), (["paid", "shipped"], "paid"),
        (["paid", "shipped", "delivered"], "cancelled"),
        (["cancelled"], "paid"), (["cancelled"], "cancelled"),
    ],
)  # fmt: skip
async def test_illegal_moves_are_conflicts_and_change_nothing(container, services, path, illegal):
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = (await services.place_order.execute(SYSTEM, place(user, (p, 2)))).order
    for status in path:
        order = await services.change_order_status.execute(SYSTEM, order.id, OrderStatus(status))
    stock = await stock_of(container, p.id)
    with pytest.raises(IllegalStatusChangeError):
        await services.change_order_status.execute(SYSTEM, order.id, OrderStatus(illegal))
    assert await services.get_order.execute(SYSTEM, order.id) == order
    assert await stock_of(container, p.id) == stock


async def test_concurrent_cancels_return_the_stock_once(container, services):
    user = await add_user(container)
    p = await add_product(container, 1, stock=5)
    order = (await services.place_order.execute(SYSTEM, place(user, (p, 2)))).order
    results = await asyncio.gather(
        *(services.change_order_status.execute(SYSTEM, order.id, OrderStatus.CANCELLED)
          for _ in range(5)),
        return_exceptions=True,
    )  # fmt: skip
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert await stock_of(container, p.id) == 5


async def test_unknown_order(services):
    for order_id in ("f" * 24, "nope"):
        with pytest.raises(NotFoundError):
            await services.get_order.execute(SYSTEM, order_id)
        with pytest.raises(NotFoundError):
            await services.change_order_status.execute(SYSTEM, order_id, OrderStatus.PAID)


async def test_ones_own_order_uses_the_authenticated_record(container, services):
    """The caller's user as authentication read it (Principal.user) is the owner checked:
    no second read of it; ordering for someone else still reads (and checks) them."""
    buyer = await add_user(container, 1)
    other = await add_user(container, 2)
    p = await add_product(container, 1, stock=10)
    me = Principal(buyer.id, buyer.role, buyer)
    placed = await services.place_order.execute(me, PlaceOrderCommand(None, ((p.id, 1),)))
    assert placed.order.user_id == buyer.id
    gone = Principal(buyer.id, Role.ADMIN, replace(buyer, is_active=False))  # as read: inactive
    with pytest.raises(ValidationError, match="deactivated"):
        await services.place_order.execute(gone, PlaceOrderCommand(None, ((p.id, 1),)))
    admin = Principal(buyer.id, Role.ADMIN, buyer)
    placed = await services.place_order.execute(admin, place(other, (p, 1)))
    assert placed.order.user_id == other.id
    assert await stock_of(container, p.id) == 8
