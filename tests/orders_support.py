"""Test data for orders on any leg: users, products with stock, orders written for real."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.ids import new_id
from domain.orders import Order, OrderLine, OrderStatus
from domain.products import Product
from domain.users import User
from entrypoints.container import provide

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
NO_TRANSACTIONS = "mongomock-motor has no sessions/transactions: this runs on the real mongo leg"


def skip_without_transactions(leg: str) -> None:
    if leg == "mongo-fake":
        pytest.skip(NO_TRANSACTIONS)


async def add_user(container, n: int = 1) -> User:
    user = User(
        id=new_id(), email=f"buyer{n}@example.com", username=f"buyer{n}",
        password_hash="$argon2id$fake", created_at=T0, updated_at=T0,
    )  # fmt: skip
    await (await provide(container.storage.users)).add(user)
    return user


async def add_product(
    container, n: int, stock: int = 0, price: str = "9.99", is_active: bool = True
) -> Product:
    product = Product(
        id=new_id(), sku=f"SKU-{n}", name=f"Product {n}", price=Decimal(price),
        created_at=T0, updated_at=T0, is_active=is_active,
    )  # fmt: skip
    await (await provide(container.storage.products)).add(product)
    if stock:
        await (await provide(container.storage.inventory)).set(product.id, stock)
    return product


async def stock_of(container, product_id: str) -> int:
    return await (await provide(container.storage.inventory)).get(product_id)


def make_order(user_id: str, lines: list[tuple[Product, int]], n: int = 0, **fields) -> Order:
    at = T0 + timedelta(seconds=n)
    values = {
        "id": new_id(), "user_id": user_id, "status": OrderStatus.PENDING,
        "lines": tuple(OrderLine(p.id, p.name, p.price, q) for p, q in lines),
        "created_at": at, "updated_at": at,
    }  # fmt: skip
    return Order(**(values | fields))


async def write_orders(container, leg: str, orders: list[Order]) -> None:
    """Orders written through the unit of work; on the fake (no transactions), through the
    same writes applied one by one (MongoUnitOfWork.apply_each), so its reads still run there."""
    if leg == "mongo-fake":
        from adapters.common.uow import AddOrder

        uow = (await provide(container.storage.uow))()
        await uow.apply_each([AddOrder(o) for o in orders])
        return
    for order in orders:
        async with (await provide(container.storage.uow))() as uow:
            uow.orders.add(order)
            await uow.commit()
