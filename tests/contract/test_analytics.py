"""The AnalyticsReader contract and the purge, on every leg, against hand-computed rows."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from bson import ObjectId

from domain.access import SYSTEM
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.errors import ValidationError
from domain.ids import new_id
from domain.orders import Order, OrderStatus
from domain.products import Product
from domain.users import Role, User
from entrypoints.container import provide
from tests.conftest import needs_real_mongo
from tests.orders_support import T0, add_user, make_order, write_orders

MS = timedelta(milliseconds=1)
ADMIN, USER, MODERATOR = Role.ADMIN, Role.USER, Role.MODERATOR


def at(day: str, clock: str = "00:00:00.000") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}+00:00")


def make_user(n: int, role: Role, active: bool, created: datetime, updated=None) -> User:
    return User(
        id=new_id(),
        email=f"user{n}@example.com",
        username=f"user{n}",
        password_hash="$argon2id$fake",
        created_at=created,
        updated_at=updated or created,
        role=role,
        is_active=active,
    )


# The seeded data set: midnight boundaries on both sides of each report's ends, a day with
# no registrations inside the range, and a tie on total (admin, moderator) that the role name
# breaks. Listed so that insertion order differs from every expected order.
SEED = [
    (MODERATOR, False, at("2026-03-05", "23:59:59.999")),
    (USER, True, at("2026-03-06")),  # first millisecond after the range
    (USER, False, at("2026-03-05")),
    (ADMIN, True, at("2026-02-28", "23:59:59.999")),  # last millisecond before the range
    (USER, True, at("2026-03-02")),
    (MODERATOR, True, at("2026-03-01", "23:59:59.999")),
    (USER, False, at("2026-03-01", "12:00:00.000")),
    (ADMIN, False, at("2026-03-03", "08:00:00.000")),
    (USER, True, at("2026-03-01")),  # first millisecond of the range
]
BY_ROLE = [
    RoleCount(USER, 5, 3, 2),
    RoleCount(ADMIN, 2, 1, 1),
    RoleCount(MODERATOR, 2, 1, 1),
]
MARCH_1_TO_5 = [
    DailyRegistrations(date(2026, 3, 1), 3),
    DailyRegistrations(date(2026, 3, 2), 1),
    DailyRegistrations(date(2026, 3, 3), 1),
    # 2026-03-04: none, omitted
    DailyRegistrations(date(2026, 3, 5), 2),
]


@pytest.fixture
async def users(container):
    return await provide(container.storage.users)


@pytest.fixture
async def analytics(container):
    return await provide(container.storage.analytics)


@pytest.fixture
async def seeded(users):
    for n, (role, active, created) in enumerate(SEED):
        await users.add(make_user(n, role, active, created))


async def test_an_empty_store_reports_no_rows(analytics):
    assert await analytics.users_by_role() == []
    assert await analytics.registrations(date(2026, 1, 1), date(2026, 12, 31)) == []


async def test_one_user(users, analytics):
    await users.add(make_user(1, MODERATOR, False, at("2026-07-04", "10:00:00.000")))
    assert await analytics.users_by_role() == [RoleCount(MODERATOR, 1, 0, 1)]
    day = date(2026, 7, 4)
    assert await analytics.registrations(day, day) == [DailyRegistrations(day, 1)]
    assert await analytics.registrations(date(2026, 7, 5), date(2026, 7, 5)) == []


@pytest.mark.usefixtures("seeded")
async def test_users_by_role_by_total_then_role_name(analytics):
    assert await analytics.users_by_role() == BY_ROLE


@pytest.mark.usefixtures("seeded")
async def test_registrations_per_utc_day_with_inclusive_ends(analytics):
    assert await analytics.registrations(date(2026, 3, 1), date(2026, 3, 5)) == MARCH_1_TO_5


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 23:59:59.999 belongs to its own day, 00:00:00.000 to the next
        ("2026-02-28", "2026-02-28", [("2026-02-28", 1)]),
        ("2026-03-01", "2026-03-01", [("2026-03-01", 3)]),
        ("2026-03-06", "2026-03-06", [("2026-03-06", 1)]),
        ("2026-03-04", "2026-03-04", []),
        ("2026-02-28", "2026-03-01", [("2026-02-28", 1), ("2026-03-01", 3)]),
        ("2026-03-05", "2027-03-05", [("2026-03-05", 2), ("2026-03-06", 1)]),
        ("2025-03-01", "2026-02-27", []),
    ],
)
async def test_registrations_at_midnight_boundaries(analytics, start, end, expected):
    rows = await analytics.registrations(date.fromisoformat(start), date.fromisoformat(end))
    assert rows == [DailyRegistrations(date.fromisoformat(d), n) for d, n in expected]


@pytest.mark.usefixtures("seeded")
async def test_reports_follow_changes(users, analytics):
    early = make_user(99, ADMIN, True, at("2026-03-04", "06:00:00.000"))
    await users.add(early)
    await users.add(make_user(98, ADMIN, True, at("2026-03-04", "07:00:00.000")))
    assert (await analytics.users_by_role())[:2] == [
        RoleCount(USER, 5, 3, 2),
        RoleCount(ADMIN, 4, 3, 1),
    ]
    rows = await analytics.registrations(date(2026, 3, 4), date(2026, 3, 4))
    assert rows == [DailyRegistrations(date(2026, 3, 4), 2)]
    await users.delete(early.id)
    rows = await analytics.registrations(date(2026, 3, 4), date(2026, 3, 4))
    assert rows == [DailyRegistrations(date(2026, 3, 4), 1)]


CUTOFF = at("2026-06-01")
OLD = at("2020-01-01")


async def test_purge_deletes_inactive_users_unchanged_before_the_cutoff(users, analytics):
    cases = {
        "just_before": make_user(1, USER, False, OLD, CUTOFF - MS),
        "long_ago": make_user(2, ADMIN, False, OLD, OLD),
        "at_cutoff": make_user(3, USER, False, OLD, CUTOFF),  # not older: kept
        "after": make_user(4, USER, False, OLD, CUTOFF + MS),
        "active_old": make_user(5, USER, True, OLD, OLD),  # active users are never purged
        "active_before": make_user(6, MODERATOR, True, OLD, CUTOFF - MS),
    }
    for user in cases.values():
        await users.add(user)

    assert await users.delete_inactive_before(CUTOFF) == 2

    for name, user in cases.items():
        kept = await users.get(user.id)
        assert (kept is None) == (name in {"just_before", "long_ago"}), name
    assert await users.delete_inactive_before(CUTOFF) == 0
    assert await analytics.users_by_role() == [
        RoleCount(USER, 3, 1, 2),
        RoleCount(MODERATOR, 1, 1, 0),
    ]
    # the purged users' email and username are free again
    await users.add(make_user(1, USER, True, OLD))


async def test_purge_of_an_empty_store(users):
    assert await users.delete_inactive_before(CUTOFF) == 0


# --- top customers ---------------------------------------------------------------------------
# Orders are written as stored data (tests/orders_support.write_orders); the report only reads
# them. mongomock cannot $sort Decimal128 values, so cases that rank two or more customers
# run on the real mongo leg; the fake still runs the whole pipeline where at most one
# customer is left after $match ($sort has nothing to compare).
DECIMAL_SORT = "$sort on Decimal128 totals (two or more customers to rank)"
PENDING, PAID, SHIPPED, DELIVERED, CANCELLED = (
    OrderStatus.PENDING,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)


def order(user: User, *lines: tuple[str, int], status=PAID) -> Order:
    """An order of `user` whose lines are (price, quantity); its products need not exist."""
    products = [
        (
            Product(
                new_id(),
                "SKU-" + price.replace(".", "-"),
                f"Product {price}",
                Decimal(price),
                T0,
                T0,
            ),
            quantity,
        )
        for price, quantity in lines
    ]
    return make_order(user.id, products, status=status)


def top(user: User, order_count: int, total_spent: str) -> TopCustomer:
    return TopCustomer(user.id, user.username, user.email, order_count, Decimal(total_spent))


@pytest.fixture
async def services(container):
    return await provide(container.services)


NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]


@pytest.fixture
async def customers(container, leg, users):
    """bob and alice tie on order count (bob spent more); carol and dave tie on both (the id
    decides); erin only has cancelled orders; frank has the most orders but was purged; heidi
    has none. Every status but cancelled counts."""
    people = {name: await add_user(container, n) for n, name in enumerate(NAMES)}
    p = people
    await write_orders(
        container,
        leg,
        [
            order(p["alice"], ("10.00", 1), status=PENDING),
            order(p["alice"], ("2.75", 2)),  # 5.50
            order(p["alice"], ("0.01", 1), status=DELIVERED),
            order(p["alice"], ("1000.00", 1), status=CANCELLED),
            order(p["bob"], ("20.00", 1), status=SHIPPED),
            order(p["bob"], ("0.05", 2)),  # 0.10
            order(p["bob"], ("0.10", 1), ("0.05", 2)),  # 0.20
            order(p["carol"], ("7.00", 1)),
            order(p["carol"], ("4.00", 2)),
            order(p["dave"], ("10.00", 1)),
            order(p["dave"], ("5.00", 1), status=PENDING),
            order(p["erin"], ("500.00", 1), status=CANCELLED),
            order(p["erin"], ("500.00", 1), status=CANCELLED),
            order(p["grace"], ("0.01", 3), status=DELIVERED),
            *[order(p["frank"], ("99.99", 1)) for _ in range(5)],
        ],
    )
    assert await users.delete(p["frank"].id)
    return people


def expected_top(p: dict[str, User]) -> list[TopCustomer]:
    carol_dave = sorted([p["carol"], p["dave"]], key=lambda u: u.id)
    return [
        top(p["bob"], 3, "20.30"),
        top(p["alice"], 3, "15.51"),
        *(top(u, 2, "15.00") for u in carol_dave),
        top(p["grace"], 1, "0.03"),
    ]


async def test_top_customers_of_an_empty_store(analytics, users):
    assert await analytics.top_customers(10) == []
    await users.add(make_user(1, USER, True, OLD))  # users without orders are no customers
    assert await analytics.top_customers(100) == []


async def test_top_customers_rank_by_count_then_total_then_id(leg, analytics, customers):
    needs_real_mongo(leg, DECIMAL_SORT)
    assert await analytics.top_customers(10) == expected_top(customers)
    assert await analytics.top_customers(100) == expected_top(customers)


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
async def test_top_customers_limit_cuts_the_ranking(leg, analytics, customers, limit):
    needs_real_mongo(leg, DECIMAL_SORT)
    assert await analytics.top_customers(limit) == expected_top(customers)[:limit]


async def test_purged_users_at_the_top_make_room_for_the_next(leg, container, analytics, users):
    """More purged users ahead of the first real customer than a small over-fetch covers."""
    needs_real_mongo(leg, DECIMAL_SORT)
    gone = [await add_user(container, n) for n in range(10, 16)]
    kept = [await add_user(container, n) for n in range(20, 23)]
    counts = [(user, 4) for user in gone] + list(zip(kept, [1, 3, 2], strict=True))
    orders = [order(user, ("1.00", 1)) for user, count in counts for _ in range(count)]
    await write_orders(container, leg, orders)
    for user in gone:
        assert await users.delete(user.id)
    assert await analytics.top_customers(1) == [top(kept[1], 3, "3.00")]
    assert await analytics.top_customers(10) == [
        top(kept[1], 3, "3.00"),
        top(kept[2], 2, "2.00"),
        top(kept[0], 1, "1.00"),
    ]


async def test_one_customer_with_a_cancelled_order(container, leg, analytics):
    alice = await add_user(container, 1)
    erin = await add_user(container, 2)  # only cancelled orders: no row
    await write_orders(
        container,
        leg,
        [
            order(alice, ("0.10", 1), ("0.20", 1)),  # 0.30, exact (not 0.30000000000000004)
            order(alice, ("19.99", 3), status=CANCELLED),
            order(erin, ("5.00", 1), status=CANCELLED),
        ],
    )
    rows = await analytics.top_customers(10)
    assert rows == [top(alice, 1, "0.30")]
    assert str(rows[0].total_spent) == "0.30"


async def test_a_purged_customer_leaves_no_row_and_keeps_the_orders(
    container, leg, analytics, users
):
    frank = await add_user(container, 1)
    placed = order(frank, ("3.00", 1))
    await write_orders(container, leg, [placed])
    assert await analytics.top_customers(10) == [top(frank, 1, "3.00")]
    assert await users.delete(frank.id)
    assert await analytics.top_customers(10) == []
    orders = await provide(container.storage.orders)
    assert await orders.get(placed.id) == placed


async def test_top_customers_follow_status_changes(container, leg, analytics):
    alice = await add_user(container, 1)
    first = order(alice, ("2.00", 1), status=PENDING)
    await write_orders(container, leg, [first])
    assert await analytics.top_customers(10) == [top(alice, 1, "2.00")]
    if leg == "mongo-fake":  # no transactions: the order is rewritten as stored data
        store = await provide(container.storage.store)
        await store.db["orders"].update_one(
            {"_id": ObjectId(first.id)}, {"$set": {"status": CANCELLED.value}}
        )
    else:
        async with (await provide(container.storage.uow))() as uow:
            uow.orders.update(first.moved_to(CANCELLED, T0), expected_status=PENDING)
            await uow.commit()
    assert await analytics.top_customers(10) == []


@pytest.mark.parametrize("limit", [0, -1, 101, 10**6])
async def test_the_limit_is_1_to_100(services, limit):
    with pytest.raises(ValidationError, match="limit must be between 1 and 100"):
        await services.top_customers.execute(SYSTEM, limit)


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_accepted(container, leg, services, limit):
    alice = await add_user(container, 1)
    await write_orders(container, leg, [order(alice, ("1.00", 1))])
    assert await services.top_customers.execute(SYSTEM, limit) == [top(alice, 1, "1.00")]
