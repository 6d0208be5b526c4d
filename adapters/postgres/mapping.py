"""Entity <-> row mapping for PostgreSQL, in one place."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import asyncpg
import orjson

from adapters.postgres.migrations import search_copies
from domain.orders import IdempotencyRecord, Order, OrderLine, OrderStatus
from domain.pagination import PageRequest
from domain.products import Product
from domain.users import Address, Role, User

USER_COLUMNS = (
    "id, email, username, full_name, role, is_active, tags, address, password_hash,"
    " created_at, updated_at, version"
)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per new connection: jsonb travels as Python dicts/lists (orjson)."""
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


def user_row(user: User) -> tuple[Any, ...]:
    """The users columns in USER_COLUMNS order; timestamps stay aware datetimes (timestamptz)."""
    address = asdict(user.address) if user.address is not None else None
    return (
        user.id,
        user.email,
        user.username,
        user.full_name,
        user.role.value,
        user.is_active,
        list(user.tags),
        address,
        user.password_hash,
        user.created_at,
        user.updated_at,
        user.version,
    )


def row_user(row: Mapping[str, Any]) -> User:
    address = row["address"]
    return User(
        id=row["id"],
        email=row["email"],
        username=row["username"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        full_name=row["full_name"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        tags=tuple(row["tags"]),
        address=Address(**address) if address is not None else None,
        version=row["version"],
    )


PRODUCT_COLUMNS = (
    "id, sku, name, description, price, category, tags, is_active, created_at, updated_at, version"
)


def product_row(product: Product) -> tuple[Any, ...]:
    """The products columns in PRODUCT_COLUMNS order; money stays a Decimal (numeric)."""
    return (
        product.id,
        product.sku,
        product.name,
        product.description,
        product.price,
        product.category,
        list(product.tags),
        product.is_active,
        product.created_at,
        product.updated_at,
        product.version,
    )


def row_product(row: Mapping[str, Any]) -> Product:
    return Product(
        id=row["id"],
        sku=row["sku"],
        name=row["name"],
        price=row["price"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        description=row["description"],
        category=row["category"],
        tags=tuple(row["tags"]),
        is_active=row["is_active"],
        version=row["version"],
    )


N_PRODUCT_COLUMNS = len(PRODUCT_COLUMNS.split(","))
# the folded copies the search's tsvector is built from (migration 8)
SEARCH_COLUMNS = "search_name, search_tags, search_description"


def search_row(product: Product) -> tuple[str, str, str]:
    """SEARCH_COLUMNS for a product: domain.search_text.fold of name, tags and description."""
    return search_copies(product.name, list(product.tags), product.description)


def product_columns(products: Sequence[Product]) -> tuple[list[Any], ...]:
    """The products as one array per column, for `unnest` (one statement for a whole batch):
    PRODUCT_COLUMNS, then SEARCH_COLUMNS.

    tags are text[] per product, and asyncpg would read a list of lists as one 2-D array, so
    each product's tags travel as a JSON text that the statement turns back into text[].
    """
    dumps = orjson.dumps
    rows = [
        (
            p.id,
            p.sku,
            p.name,
            p.description,
            p.price,
            p.category,
            dumps(p.tags).decode(),
            p.is_active,
            p.created_at,
            p.updated_at,
            p.version,
            *search_copies(p.name, p.tags, p.description),
        )
        for p in products
    ]
    if not rows:
        return tuple([] for _ in range(N_PRODUCT_COLUMNS + 3))
    return tuple(list(column) for column in zip(*rows, strict=True))  # transposed in C


ORDER_COLUMNS = "id, user_id, status, total, created_at, updated_at, version"
# the lines of an order as one array of (product_id, name, price, quantity) records
ORDER_LINES = (
    "ARRAY(SELECT (l.product_id, l.name, l.price, l.quantity) FROM order_lines l"
    " WHERE l.order_id = o.id ORDER BY l.line_no) AS lines"
)
ORDER_SELECT = (
    "o.id, o.user_id, o.status, o.total, o.created_at, o.updated_at, o.version, " + ORDER_LINES
)


def order_row(order: Order) -> tuple[Any, ...]:
    """The orders columns in ORDER_COLUMNS order, then the lines as four column arrays."""
    lines = order.lines
    return (
        order.id,
        order.user_id,
        order.status.value,
        order.total,
        order.created_at,
        order.updated_at,
        order.version,
        [li.product_id for li in lines],
        [li.name for li in lines],
        [li.price for li in lines],
        [li.quantity for li in lines],
    )


def row_order(row: Mapping[str, Any]) -> Order:
    return Order(
        id=row["id"],
        user_id=row["user_id"],
        lines=tuple(
            OrderLine(product_id, name, price, quantity)
            for product_id, name, price, quantity in row["lines"]
        ),
        status=OrderStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def row_idempotency(row: Mapping[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(row["key"], row["request_hash"], row["order_id"], row["created_at"])


def keyset(
    clause: str, params: list[object], page: PageRequest, prefix: str = ""
) -> tuple[str, list[object]]:
    """`clause` (a WHERE clause or "") narrowed to the items after `page.after` in the order
    (created_at DESC, id DESC): one row comparison, a range of the (created_at DESC, id DESC)
    indexes, so a page costs the same wherever it starts. `prefix` is the table alias."""
    if page.after is None:
        return clause, params
    n = len(params)
    condition = f"({prefix}created_at, {prefix}id) < (${n + 1}, ${n + 2})"
    narrowed = f"{clause} AND {condition}" if clause else f" WHERE {condition}"
    return narrowed, [*params, page.after.created_at, page.after.id]
