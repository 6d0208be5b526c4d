"""Orders in SQLite: reads inline; a unit of work is one job for the writer thread."""

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from adapters.common.uow import (
    AddIdempotency,
    AddOrder,
    RecordingUnitOfWork,
    Release,
    Reserve,
    UpdateOrder,
    Write,
)
from adapters.sqlite.db import SqliteDatabase, translated
from adapters.sqlite.mapping import ORDER_COLUMNS, from_ts, keyset, order_row, row_order, ts
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.inventory import InsufficientStockError
from domain.orders import IdempotencyRecord, Order, OrderFilter
from domain.pagination import Page, PageRequest

_GET = f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"
_INSERT = f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_UPDATE = (
    "UPDATE orders SET status = ?, updated_at = ?, version = version + 1"
    " WHERE id = ? AND status = ? AND version = ?"
)
_RESERVE = "UPDATE inventory SET quantity = quantity - ? WHERE product_id = ? AND quantity >= ?"
_RELEASE = "UPDATE inventory SET quantity = quantity + ? WHERE product_id = ?"
_KEEP_KEY = (
    "INSERT INTO idempotency_keys (key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash,"
    " order_id = excluded.order_id, created_at = excluded.created_at"
    " WHERE idempotency_keys.created_at < ?"
)
# SEARCH orders USING INDEX orders_status_created (status=? AND created_at<?)
_PENDING_BEFORE = (
    f"SELECT {ORDER_COLUMNS} FROM orders WHERE status = 'pending' AND created_at < ?"
    " ORDER BY created_at, id LIMIT ?"
)
_FIND_KEY = (
    "SELECT key, request_hash, order_id, created_at FROM idempotency_keys"
    " WHERE key = ? AND created_at >= ?"
)


def _where(where: OrderFilter) -> tuple[str, list[object]]:
    clauses, params = [], []
    if where.user_id is not None:
        clauses.append("user_id = ?")
        params.append(where.user_id)
    if where.status is not None:
        clauses.append("status = ?")
        params.append(where.status.value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class SqliteOrderRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def get(self, order_id: str) -> Order | None:
        with translated():
            row = self._db.reader.execute(_GET, (order_id,)).fetchone()
        return row_order(row) if row is not None else None

    async def list(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page)
        with self._db.snapshot() as conn:
            (total,) = conn.execute(f"SELECT count(*) FROM orders{clause}", params).fetchone()
            rows = conn.execute(
                f"SELECT {ORDER_COLUMNS} FROM orders{page_clause}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [*page_params, page.limit, page.skip],
            ).fetchall()
        return Page([row_order(r) for r in rows], total)

    async def pending_before(self, cutoff: datetime, limit: int) -> Sequence[Order]:
        with translated():
            rows = self._db.reader.execute(_PENDING_BEFORE, (ts(cutoff), limit)).fetchall()
        return [row_order(r) for r in rows]


class SqliteIdempotencyRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def find(self, key: str, not_before: datetime) -> IdempotencyRecord | None:
        with translated():
            row = self._db.reader.execute(_FIND_KEY, (key, ts(not_before))).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(row[0], row[1], row[2], from_ts(row[3]))


def _apply(conn: sqlite3.Connection, writes: Sequence[Write]) -> None:
    """Runs on the writer thread inside one transaction (a savepoint of a group commit)."""
    for write in writes:
        match write:
            case Reserve(product_id, quantity):
                if conn.execute(_RESERVE, (quantity, product_id, quantity)).rowcount == 0:
                    raise InsufficientStockError(product_id)
            case Release(product_id, quantity):
                conn.execute(_RELEASE, (quantity, product_id))
            case AddOrder(order):
                conn.execute(_INSERT, order_row(order))
            case UpdateOrder(order, expected_status):
                params = (
                    order.status.value, ts(order.updated_at), order.id, expected_status.value,
                    order.version,
                )  # fmt: skip
                if conn.execute(_UPDATE, params).rowcount == 0:
                    if conn.execute("SELECT 1 FROM orders WHERE id = ?", (order.id,)).fetchone():
                        raise ConcurrentChangeError(f"Order {order.id} was changed meanwhile")
                    raise NotFoundError(f"Order {order.id} not found")
            case AddIdempotency(record, expired_before):
                params = (
                    record.key, record.request_hash, record.order_id, ts(record.created_at),
                    ts(expired_before),
                )  # fmt: skip
                if conn.execute(_KEEP_KEY, params).rowcount == 0:
                    raise DuplicateError("idempotency_key")
            case _:
                raise TypeError(f"unknown write {write!r}")


class SqliteUnitOfWork(RecordingUnitOfWork):
    def __init__(self, db: SqliteDatabase) -> None:
        super().__init__()
        self._db = db

    async def apply(self, writes: Sequence[Write]) -> None:
        await self._db.write(lambda conn: _apply(conn, writes))
