"""A unit of work that records writes and hands them to its store to apply atomically."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.orders import IdempotencyRecord, Order, OrderStatus


@dataclass(frozen=True, slots=True)
class AddIdempotency:
    record: IdempotencyRecord
    expired_before: datetime


@dataclass(frozen=True, slots=True)
class Reserve:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Release:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AddOrder:
    order: Order


@dataclass(frozen=True, slots=True)
class UpdateOrder:
    order: Order
    expected_status: OrderStatus


Write = AddIdempotency | Reserve | Release | AddOrder | UpdateOrder


class _Stock:
    def __init__(self, writes: list[Write]) -> None:
        self._writes = writes

    def reserve(self, product_id: str, quantity: int) -> None:
        self._writes.append(Reserve(product_id, quantity))

    def release(self, product_id: str, quantity: int) -> None:
        self._writes.append(Release(product_id, quantity))


class _Orders:
    def __init__(self, writes: list[Write]) -> None:
        self._writes = writes

    def add(self, order: Order) -> None:
        self._writes.append(AddOrder(order))

    def update(self, order: Order, expected_status: OrderStatus) -> None:
        self._writes.append(UpdateOrder(order, expected_status))


class _Idempotency:
    def __init__(self, writes: list[Write]) -> None:
        self._writes = writes

    def add(self, record: IdempotencyRecord, expired_before: datetime) -> None:
        self._writes.append(AddIdempotency(record, expired_before))


class RecordingUnitOfWork:
    """Records writes in order; `commit` passes them to `apply`, which must be all or nothing."""

    def __init__(self) -> None:
        self._writes: list[Write] = []
        self.stock = _Stock(self._writes)
        self.orders = _Orders(self._writes)
        self.idempotency = _Idempotency(self._writes)

    async def __aenter__(self) -> "RecordingUnitOfWork":
        self._writes.clear()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._writes.clear()  # not committed: nothing is applied

    async def commit(self) -> None:
        writes = tuple(self._writes)
        self._writes.clear()
        if writes:
            await self.apply(writes)

    async def apply(self, writes: Sequence[Write]) -> None:
        raise NotImplementedError
