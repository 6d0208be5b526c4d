"""Orders in PostgreSQL: reads on pooled connections; a unit of work is one transaction."""

import asyncio
import logging
import random
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from adapters.common.uow import (
    AddIdempotency,
    AddOrder,
    RecordingUnitOfWork,
    Release,
    Reserve,
    UpdateOrder,
    Write,
)
from adapters.postgres.db import PostgresDatabase
from adapters.postgres.errors import StaleConnectionError, TransactionConflictError
from adapters.postgres.mapping import (
    ORDER_COLUMNS,
    ORDER_SELECT,
    keyset,
    order_row,
    row_idempotency,
    row_order,
)
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.ids import is_valid_id
from domain.inventory import InsufficientStockError
from domain.orders import IdempotencyRecord, Order, OrderFilter
from domain.pagination import Page, PageRequest

log = logging.getLogger(__name__)

# A unit of work that meets a serialization failure or a deadlock (neither expected: rows are
# locked in product id order, at READ COMMITTED) or a pooled connection that was already dead
# is run again from the start, this many times in all, after a short random pause.
APPLY_ATTEMPTS = 4
RETRY_PAUSE_S = 0.02

_GET = f"SELECT {ORDER_SELECT} FROM orders o WHERE o.id = $1"
# the order and its lines in one statement
_INSERT = (
    f"WITH o AS (INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " RETURNING id)"
    " INSERT INTO order_lines (order_id, line_no, product_id, name, price, quantity)"
    " SELECT o.id, l.n, l.product_id, l.name, l.price, l.quantity FROM o,"
    " unnest($8::text[], $9::text[], $10::numeric[], $11::integer[]) WITH ORDINALITY"
    " AS l (product_id, name, price, quantity, n)"
)
_UPDATE = (
    "UPDATE orders SET status = $1, updated_at = $2, version = version + 1"
    " WHERE id = $3 AND status = $4 AND version = $5"
)
_EXISTS = "SELECT 1 FROM orders WHERE id = $1"
# conditional decrement: the row count says whether there was enough
_RESERVE = "UPDATE inventory SET quantity = quantity - $1 WHERE product_id = $2 AND quantity >= $1"
_RELEASE = "UPDATE inventory SET quantity = quantity + $1 WHERE product_id = $2"
# a live record under the key is left alone (0 rows: a duplicate); an expired one is replaced
_KEEP_KEY = (
    "INSERT INTO idempotency_keys (key, request_hash, order_id, created_at)"
    " VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash,"
    " order_id = excluded.order_id, created_at = excluded.created_at"
    " WHERE idempotency_keys.created_at < $5"
)
# served by orders_status_created (status, created_at DESC, id DESC), read backwards
_PENDING_BEFORE = (
    f"SELECT {ORDER_SELECT} FROM orders o WHERE o.status = 'pending' AND o.created_at < $1"
    " ORDER BY o.created_at, o.id LIMIT $2"
)
_FIND_KEY = (
    "SELECT key, request_hash, order_id, created_at FROM idempotency_keys"
    " WHERE key = $1 AND created_at >= $2"
)


def _where(where: OrderFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if where.user_id is not None:
        params.append(str(where.user_id))
        clauses.append(f"o.user_id = ${len(params)}")
    if where.status is not None:
        params.append(where.status.value)
        clauses.append(f"o.status = ${len(params)}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class PostgresOrderRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def get(self, order_id: str) -> Order | None:
        if not is_valid_id(order_id):
            return None
        row = await self._db.read(lambda conn: conn.fetchrow(_GET, order_id))
        return row_order(row) if row is not None else None

    async def list(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page, prefix="o.")
        n = len(page_params)

        async def count_and_page(conn: asyncpg.Connection) -> tuple[int, list]:
            total = await conn.fetchval(f"SELECT count(*) FROM orders o{clause}", *params)
            if total <= page.skip:
                return total, []
            rows = await conn.fetch(
                f"SELECT {ORDER_SELECT} FROM orders o{page_clause}"
                f" ORDER BY o.created_at DESC, o.id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *page_params,
                page.limit,
                page.skip,
            )
            return total, rows

        total, rows = await self._db.read(count_and_page, snapshot=True)
        return Page([row_order(r) for r in rows], total)

    async def pending_before(self, cutoff: datetime, limit: int) -> Sequence[Order]:
        rows = await self._db.read(lambda conn: conn.fetch(_PENDING_BEFORE, cutoff, limit))
        return [row_order(r) for r in rows]


class PostgresIdempotencyRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def find(self, key: str, not_before: datetime) -> IdempotencyRecord | None:
        row = await self._db.read(lambda conn: conn.fetchrow(_FIND_KEY, key, not_before))
        return row_idempotency(row) if row is not None else None


def lock_order(writes: Sequence[Write]) -> list[Write]:
    """The writes as recorded, except that the stock writes run together, by product id, at
    the place of the first one: every unit locks inventory rows in one global order, so two
    orders with opposite lines wait for each other instead of deadlocking."""
    stock = sorted(
        (w for w in writes if isinstance(w, Reserve | Release)), key=lambda w: w.product_id
    )
    planned: list[Write] = []
    for write in writes:
        if not isinstance(write, Reserve | Release):
            planned.append(write)
        elif stock:
            planned.extend(stock)
            stock = []
    return planned


async def _apply(conn: asyncpg.Connection, writes: Sequence[Write]) -> None:
    """Inside one transaction; raising rolls all of it back."""
    for write in writes:
        match write:
            case Reserve(product_id, quantity):
                if await conn.execute(_RESERVE, quantity, product_id) == "UPDATE 0":
                    raise InsufficientStockError(product_id)
            case Release(product_id, quantity):
                await conn.execute(_RELEASE, quantity, product_id)  # a deleted product: 0 rows
            case AddOrder(order):
                await conn.execute(_INSERT, *order_row(order))
            case UpdateOrder(order, expected_status):
                status = await conn.execute(
                    _UPDATE,
                    order.status.value,
                    order.updated_at,
                    order.id,
                    expected_status.value,
                    order.version,
                )
                if status == "UPDATE 0":
                    if await conn.fetchval(_EXISTS, order.id):
                        raise ConcurrentChangeError(f"Order {order.id} was changed meanwhile")
                    raise NotFoundError(f"Order {order.id} not found")
            case AddIdempotency(record, expired_before):
                status = await conn.execute(
                    _KEEP_KEY,
                    record.key,
                    record.request_hash,
                    record.order_id,
                    record.created_at,
                    expired_before,
                )
                if status == "INSERT 0 0":
                    raise DuplicateError("idempotency_key")
            case _:
                raise TypeError(f"unknown write {write!r}")


class PostgresUnitOfWork(RecordingUnitOfWork):
    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__()
        self._db = db

    async def apply(self, writes: Sequence[Write]) -> None:
        planned = lock_order(writes)
        for attempt in range(1, APPLY_ATTEMPTS + 1):
            try:
                async with self._db.transaction() as conn:
                    await _apply(conn, planned)
                return
            except (TransactionConflictError, StaleConnectionError) as exc:
                # nothing of the unit was committed: run all of it again, a bounded number of times
                if attempt == APPLY_ATTEMPTS:
                    raise
                log.info("PostgreSQL unit of work: %s, attempt %d", type(exc).__name__, attempt)
                await asyncio.sleep(random.uniform(0, RETRY_PAUSE_S * attempt))
