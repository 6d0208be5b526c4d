"""Entity <-> row mapping for SQLite, in one place."""

import sqlite3
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson

from domain.money import from_cents, to_cents
from domain.orders import Order, OrderLine
from domain.pagination import PageRequest
from domain.products import Product
from domain.users import Address, Role, User

USER_COLUMNS = (
    "id, email, username, full_name, role, is_active, tags, address, password_hash,"
    " created_at, updated_at, version"
)


def ts(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC text, so text order is time order."""
    return moment.isoformat(timespec="milliseconds")


def from_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def user_row(user: User) -> tuple[Any, ...]:
    address = orjson.dumps(asdict(user.address)) if user.address is not None else None
    return (
        user.id,
        user.email,
        user.username,
        user.full_name,
        user.role.value,
        int(user.is_active),
        orjson.dumps(list(user.tags)),
        address,
        user.password_hash,
        ts(user.created_at),
        ts(user.updated_at),
        user.version,
    )


def row_user(row: sqlite3.Row | tuple[Any, ...]) -> User:
    (
        id_,
        email,
        username,
        full_name,
        role,
        is_active,
        tags,
        address,
        password_hash,
        created_at,
        updated_at,
        version,
    ) = row
    return User(
        id=id_,
        email=email,
        username=username,
        password_hash=password_hash,
        created_at=from_ts(created_at),
        updated_at=from_ts(updated_at),
        full_name=full_name,
        role=Role(role),
        is_active=bool(is_active),
        tags=tuple(orjson.loads(tags)),
        address=Address(**orjson.loads(address)) if address is not None else None,
        version=version,
    )


PRODUCT_COLUMNS = (
    "id, sku, name, description, price_cents, category, tags, is_active, created_at, updated_at,"
    " version"
)


def product_row(product: Product) -> tuple[Any, ...]:
    return (
        product.id,
        product.sku,
        product.name,
        product.description,
        to_cents(product.price),
        product.category,
        orjson.dumps(list(product.tags)).decode(),
        int(product.is_active),
        ts(product.created_at),
        ts(product.updated_at),
        product.version,
    )


def row_product(row: sqlite3.Row | tuple[Any, ...]) -> Product:
    (
        id_,
        sku,
        name,
        description,
        price_cents,
        category,
        tags,
        is_active,
        created_at,
        updated_at,
        version,
    ) = row[:11]
    return Product(
        id=id_,
        sku=sku,
        name=name,
        price=from_cents(price_cents),
        created_at=from_ts(created_at),
        updated_at=from_ts(updated_at),
        description=description,
        category=category,
        tags=tuple(orjson.loads(tags)),
        is_active=bool(is_active),
        version=version,
    )


ORDER_COLUMNS = "id, user_id, status, total_cents, lines, created_at, updated_at, version"


def order_row(order: Order) -> tuple:
    lines = [[li.product_id, li.name, to_cents(li.price), li.quantity] for li in order.lines]
    return (
        order.id, order.user_id, order.status.value, to_cents(order.total),
        orjson.dumps(lines), ts(order.created_at), ts(order.updated_at), order.version,
    )  # fmt: skip


def row_order(row: tuple) -> Order:
    id_, user_id, status, _total, lines, created_at, updated_at, version = row
    return Order(
        id=id_,
        user_id=user_id,
        lines=tuple(
            OrderLine(pid, name, from_cents(cents), quantity)
            for pid, name, cents, quantity in orjson.loads(lines)
        ),
        status=status,
        created_at=from_ts(created_at),
        updated_at=from_ts(updated_at),
        version=version,
    )


def keyset(clause: str, params: list[object], page: PageRequest) -> tuple[str, list[object]]:
    """`clause` (a WHERE clause or "") narrowed to the items after `page.after` in the order
    (created_at DESC, id DESC): one row-value comparison, a range of the (created_at DESC,
    id DESC) indexes, so a page costs the same wherever it starts."""
    if page.after is None:
        return clause, params
    condition = "(created_at, id) < (?, ?)"
    narrowed = f"{clause} AND {condition}" if clause else f" WHERE {condition}"
    return narrowed, [*params, ts(page.after.created_at), page.after.id]
