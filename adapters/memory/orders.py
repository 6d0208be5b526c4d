"""Orders in memory: a unit of work applied under one lock, with an undo log."""

import heapq
from collections.abc import Callable, Sequence
from dataclasses import replace
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
from adapters.memory.state import MemoryState
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.inventory import InsufficientStockError
from domain.orders import IdempotencyRecord, Order, OrderFilter, OrderStatus
from domain.pagination import Page, PageRequest

Undo = Callable[[], None]


def _key(order: Order) -> tuple[datetime, str]:
    """The list order, newest first: (created_at, id) descending."""
    return (order.created_at, order.id)


class InMemoryOrderRepository:
    def __init__(self, state: MemoryState) -> None:
        self._orders = state.orders

    async def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    async def list(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        matching = [
            o
            for o in self._orders.values()
            if (where.user_id is None or o.user_id == where.user_id)
            and (where.status is None or o.status == where.status)
        ]
        after = page.after
        rest = matching if after is None else [o for o in matching if after.precedes(*_key(o))]
        newest = heapq.nlargest(page.skip + page.limit, rest, key=_key)
        return Page(newest[page.skip :], len(matching))

    async def pending_before(self, cutoff: datetime, limit: int) -> Sequence[Order]:
        pending = (
            o
            for o in self._orders.values()
            if o.status is OrderStatus.PENDING and o.created_at < cutoff
        )
        return heapq.nsmallest(limit, pending, key=lambda o: (o.created_at, o.id))


class InMemoryIdempotencyRepository:
    def __init__(self, state: MemoryState) -> None:
        self._records = state.idempotency

    async def find(self, key: str, not_before: datetime) -> IdempotencyRecord | None:
        record = self._records.get(key)
        return record if record is not None and record.created_at >= not_before else None


class InMemoryUnitOfWork(RecordingUnitOfWork):
    def __init__(self, state: MemoryState) -> None:
        super().__init__()
        self._state = state

    async def apply(self, writes: Sequence[Write]) -> None:
        async with self._state.write_lock:
            undo: list[Undo] = []
            try:
                for write in writes:
                    undo.append(self._apply_one(write))
            except BaseException:
                for step in reversed(undo):
                    step()
                raise

    def _apply_one(self, write: Write) -> Undo:
        state = self._state
        match write:
            case Reserve(product_id, quantity):
                stock = state.inventory.get(product_id, 0)
                if product_id not in state.products or stock < quantity:
                    raise InsufficientStockError(product_id)
                state.inventory[product_id] = stock - quantity
                return lambda: state.inventory.__setitem__(product_id, stock)
            case Release(product_id, quantity):
                if product_id not in state.inventory:
                    return lambda: None
                stock = state.inventory[product_id]
                state.inventory[product_id] = stock + quantity
                return lambda: state.inventory.__setitem__(product_id, stock)
            case AddOrder(order):
                if order.id in state.orders:
                    raise DuplicateError("_id")
                state.orders[order.id] = order
                return lambda: state.orders.pop(order.id)
            case UpdateOrder(order, expected_status):
                old = state.orders.get(order.id)
                if old is None:
                    raise NotFoundError(f"Order {order.id} not found")
                if old.status != expected_status or old.version != order.version:
                    raise ConcurrentChangeError(f"Order {order.id} was changed meanwhile")
                state.orders[order.id] = replace(order, version=order.version + 1)
                return lambda: state.orders.__setitem__(order.id, old)
            case AddIdempotency(record, expired_before):
                old = state.idempotency.get(record.key)
                if old is not None and old.created_at >= expired_before:
                    raise DuplicateError("idempotency_key")
                state.idempotency[record.key] = record
                if old is None:
                    return lambda: state.idempotency.pop(record.key)
                return lambda: state.idempotency.__setitem__(record.key, old)
        raise TypeError(f"unknown write {write!r}")
