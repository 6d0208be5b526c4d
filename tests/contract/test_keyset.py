"""Keyset pagination, on every leg: pages after a position, stable while rows come and go."""

import asyncio
import random
from datetime import timedelta

import pytest

from domain.ids import new_id
from domain.orders import OrderFilter
from domain.pagination import PageRequest, Position
from domain.products import ProductFilter
from domain.users import UserFilter
from entrypoints.container import provide
from tests.contract.test_products import T0, make_product
from tests.contract.test_users import make_user
from tests.orders_support import add_product, add_user, make_order, write_orders

ROWS = 1000
PAGE = 37


def position(item) -> Position:
    return Position(item.created_at, item.id)


async def _add_all(repository, items, chunk: int = 100) -> None:
    for start in range(0, len(items), chunk):
        await asyncio.gather(*(repository.add(item) for item in items[start : start + chunk]))


async def test_1000_products_paged_by_position_while_rows_come_and_go(container):
    """Every product there at the start and never deleted is seen exactly once, in order."""
    products = await provide(container.storage.products)
    rng = random.Random(15)
    # four products per millisecond, so the id breaks ties within a timestamp
    initial = [
        make_product(n, created_at=T0 + timedelta(milliseconds=n // 4), updated_at=T0)
        for n in range(ROWS)
    ]
    await _add_all(products, initial)
    alive = {p.id for p in initial}
    deleted: set[str] = set()
    extra = iter(range(ROWS, 10 * ROWS))

    async def churn() -> None:
        """Inserts (older, newer and equal timestamps) and deletes between and during pages."""
        for _ in range(6):
            n = next(extra)
            at = T0 + timedelta(milliseconds=rng.randrange(-50, ROWS // 4 + 50))
            await products.add(make_product(n, created_at=at, updated_at=at))
            victim = rng.choice(sorted(alive))
            alive.discard(victim)
            deleted.add(victim)
            await products.delete(victim)

    seen: list = []
    after = None
    while True:
        page, _ = await asyncio.gather(
            products.list(ProductFilter(), PageRequest(0, PAGE, after)), churn()
        )
        seen.extend(page.items)
        if len(page.items) < PAGE:
            break
        after = position(page.items[-1])
    ids = [p.id for p in seen]
    assert len(ids) == len(set(ids)), "a product was seen twice"
    assert alive <= set(ids), f"{len(alive - set(ids))} products never deleted were skipped"
    keys = [(p.created_at, p.id) for p in seen]
    assert keys == sorted(keys, reverse=True)
    assert len(deleted) > 100  # the churn really ran while paging


async def test_user_pages_follow_each_other_with_filters_and_skip(container):
    users = await provide(container.storage.users)
    people = [
        make_user(n, created_at=T0 + timedelta(milliseconds=n // 3), is_active=n % 2 == 0)
        for n in range(60)
    ]
    await _add_all(users, people)
    expected = sorted(
        (u for u in people if u.is_active), key=lambda u: (u.created_at, u.id), reverse=True
    )
    where = UserFilter(is_active=True)
    first = await users.list(where, PageRequest(0, 7))
    assert first.items == expected[:7] and first.total == 30
    second = await users.list(where, PageRequest(0, 7, position(first.items[-1])))
    assert second.items == expected[7:14]
    assert second.total == 30  # the total counts every match, not what is left
    skipped = await users.list(where, PageRequest(3, 7, position(first.items[-1])))
    assert skipped.items == expected[10:17]
    last = await users.list(where, PageRequest(0, 100, position(expected[-1])))
    assert last.items == []


async def test_order_pages_follow_each_other(container, leg):
    orders = await provide(container.storage.orders)
    user = await add_user(container)
    product = await add_product(container, 1, stock=0)
    placed = [
        make_order(user.id, [(product, 1)], n // 2, id=new_id())  # two orders per second
        for n in range(25)
    ]
    await write_orders(container, leg, placed)
    expected = sorted(placed, key=lambda o: (o.created_at, o.id), reverse=True)
    where = OrderFilter(user_id=user.id)
    seen, after = [], None
    while True:
        page = await orders.list(where, PageRequest(0, 4, after))
        seen.extend(page.items)
        if len(page.items) < 4:
            break
        after = position(page.items[-1])
    assert [o.id for o in seen] == [o.id for o in expected]


@pytest.mark.parametrize("n", [0, 1])
async def test_a_position_between_rows_needs_no_row_there(container, n):
    """A position is a place in the order, not a row: it still works once its row is gone."""
    products = await provide(container.storage.products)
    items = [make_product(i) for i in range(5)]
    await _add_all(products, items)
    newest_first = sorted(items, key=lambda p: (p.created_at, p.id), reverse=True)
    await products.delete(newest_first[n + 1].id)
    page = await products.list(ProductFilter(), PageRequest(0, 10, position(newest_first[n + 1])))
    assert page.items == newest_first[n + 2 :]
