"""`storefront seed --orders`: orders placed and moved on through the API's own use cases."""

import asyncio
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from application.orders import PlaceOrderCommand
from domain.access import SYSTEM
from domain.orders import OrderStatus
from domain.pagination import MAX_LIMIT, PageRequest
from domain.products import ProductFilter
from domain.users import UserFilter

PAID, SHIPPED, DELIVERED, CANCELLED = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)
# the moves an order makes after it is placed, and how often (percent): about 15% cancelled
STATUS_PATHS: list[tuple[tuple[OrderStatus, ...], int]] = [
    ((), 20),  # stays pending
    ((PAID,), 20),
    ((PAID, SHIPPED), 20),
    ((PAID, SHIPPED, DELIVERED), 25),
    ((CANCELLED,), 10),
    ((PAID, CANCELLED), 5),
]
SEED_USERNAME = re.compile(r"seed_user_(\d+)")  # entrypoints.seed.user_commands
SEED_SKU = re.compile(r"SEED-(\d+)")  # entrypoints.seed.product_commands


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """One order to place: indexes into the seeded users and products, then its moves."""

    user: int
    lines: tuple[tuple[int, int], ...]  # (product index, quantity), distinct products
    moves: tuple[OrderStatus, ...]


def order_plans(seed: int, count: int, users: int, products: int) -> Iterator[OrderPlan]:
    """`count` orders, the same ones for the same seed and numbers of users and products."""
    rng = random.Random(seed + 2)
    paths = [path for path, _ in STATUS_PATHS]
    weights = [weight for _, weight in STATUS_PATHS]
    for _ in range(count):
        picked = rng.sample(range(products), min(products, rng.randint(1, 3)))
        yield OrderPlan(
            rng.randrange(users),
            tuple((p, rng.randint(1, 3)) for p in picked),
            rng.choices(paths, weights)[0],
        )


@dataclass
class OrdersReport:
    placed: int = 0
    by_status: Counter[OrderStatus] = field(default_factory=Counter)


def by_seed_number(names_to_ids: Iterable[tuple[str, str]], pattern: re.Pattern) -> list[str]:
    """The ids of seeded items (their name matches `pattern`), ordered by seed number."""
    numbered = {}
    for name, item_id in names_to_ids:
        match = pattern.fullmatch(name)
        if match:
            numbered[int(match[1])] = item_id
    return [numbered[n] for n in sorted(numbered)]


async def stored_seeded_user_ids(list_users) -> list[str]:
    """Every active seeded user in the store, through ListUsers pages (for a run that did not
    create them all itself: a re-run, or --orders alone); deactivated users cannot order."""
    found: list[tuple[str, str]] = []
    skip = 0
    while True:
        page = await list_users.execute(
            SYSTEM, UserFilter(is_active=True), PageRequest(skip, MAX_LIMIT)
        )
        found += [(user.username, user.id) for user in page.items]
        skip += MAX_LIMIT
        if len(page.items) < MAX_LIMIT:
            return by_seed_number(found, SEED_USERNAME)


async def stored_seeded_product_ids(list_products) -> list[str]:
    """Every active seeded product in the store (inactive ones cannot be ordered)."""
    found: list[tuple[str, str]] = []
    skip = 0
    while True:
        page = await list_products.execute(SYSTEM, ProductFilter(), PageRequest(skip, MAX_LIMIT))
        found += [(p.sku, p.id) for p in page.items if p.is_active]
        skip += MAX_LIMIT
        if len(page.items) < MAX_LIMIT:
            return by_seed_number(found, SEED_SKU)


async def seed_orders(
    services,
    user_ids: list[str],
    product_ids: list[str],
    seed: int,
    count: int,
    report: OrdersReport,
    on_progress: Callable[[int], None],
    concurrency: int = 64,
) -> None:
    """Place `count` orders through PlaceOrder, then move a share of them on (paid, shipped,
    delivered, cancelled) through ChangeOrderStatus, `concurrency` orders at a time, so that
    SQLite's writer group-commits them. Each product first gets the stock its orders will
    take, on top of what it has (AdjustStock), so no order is short; the stock left at the
    end is what it was plus what the cancelled orders gave back."""
    if not user_ids or not product_ids:
        raise ValueError(
            "orders need seeded users and active seeded products (--users, --products)"
        )
    needed: Counter[int] = Counter()
    for plan in order_plans(seed, count, len(user_ids), len(product_ids)):
        for product, quantity in plan.lines:
            needed[product] += quantity
    await _bounded(
        (services.adjust_stock.execute(SYSTEM, product_ids[p], q) for p, q in needed.items()),
        concurrency,
    )

    async def one(plan: OrderPlan) -> None:
        items = tuple((product_ids[p], q) for p, q in plan.lines)
        placed = await services.place_order.execute(
            SYSTEM, PlaceOrderCommand(user_ids[plan.user], items)
        )
        order = placed.order
        for status in plan.moves:
            order = await services.change_order_status.execute(SYSTEM, order.id, status)
        report.placed += 1
        report.by_status[order.status] += 1
        on_progress(1)

    plans = order_plans(seed, count, len(user_ids), len(product_ids))
    await _bounded((one(plan) for plan in plans), concurrency)


async def _bounded(jobs: Iterator, concurrency: int) -> None:
    """Run the awaitables `jobs` yields, at most `concurrency` at a time (workers pull the
    next one as they finish, so one slow job does not hold up a whole chunk)."""

    async def worker() -> None:
        for job in jobs:  # a shared iterator: next() never awaits, so no two take the same
            await job

    await asyncio.gather(*(worker() for _ in range(concurrency)))
