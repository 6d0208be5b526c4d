"""Order use cases: placement in one atomic unit, idempotent retries, the status machine."""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.ports import (
    Clock,
    IdempotencyRepository,
    OrderRepository,
    ProductRepository,
    UnitOfWorkFactory,
    UserRepository,
)
from application.versions import stale_as_precondition
from domain.errors import DuplicateError, NotFoundError, ValidationError
from domain.ids import is_valid_id, new_id
from domain.orders import (
    IDEMPOTENCY_TTL_HOURS,
    IdempotencyKeyReusedError,
    IdempotencyRecord,
    Order,
    OrderFilter,
    OrderLine,
    OrderStatus,
    check_idempotency_key,
    merge_lines,
)
from domain.pagination import Page, PageRequest
from domain.versions import require_version

IDEMPOTENCY_TTL = timedelta(hours=IDEMPOTENCY_TTL_HOURS)


@dataclass(frozen=True, slots=True)
class PlaceOrderCommand:
    user_id: str
    items: tuple[tuple[str, int], ...]  # (product_id, quantity), repeats allowed
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: Order
    replayed: bool  # True when an earlier request with the same key placed it


def _not_found(order_id: str) -> NotFoundError:
    return NotFoundError(f"Order {order_id} not found")


class PlaceOrder:
    """Check the user and products, take every line's stock and write the order, atomically.

    Unknown user or product, or an inactive product -> ValidationError (422); short stock ->
    InsufficientStockError naming the product (409). With an idempotency key, a retry of the
    same request returns the first order, even when the two race.
    """

    def __init__(
        self,
        users: UserRepository,
        products: ProductRepository,
        orders: OrderRepository,
        idempotency: IdempotencyRepository,
        uow: UnitOfWorkFactory,
        clock: Clock,
    ) -> None:
        self._users, self._products, self._orders = users, products, orders
        self._idempotency, self._uow, self._clock = idempotency, uow, clock

    async def execute(self, cmd: PlaceOrderCommand) -> PlacedOrder:
        quantities = merge_lines(cmd.items)
        now = self._clock.now()
        key = check_idempotency_key(cmd.idempotency_key) if cmd.idempotency_key else None
        fingerprint = _fingerprint(cmd.user_id, quantities)
        if key is not None:
            earlier = await self._replay(key, fingerprint, now)
            if earlier is not None:
                return earlier

        order = await self._new_order(cmd.user_id, quantities, now)
        try:
            async with self._uow() as uow:
                if key is not None:
                    record = IdempotencyRecord(key, fingerprint, order.id, now)
                    uow.idempotency.add(record, expired_before=now - IDEMPOTENCY_TTL)
                for line in order.lines:  # sorted by product id: a fixed lock order
                    uow.stock.reserve(line.product_id, line.quantity)
                uow.orders.add(order)
                await uow.commit()
        except DuplicateError as exc:
            if key is None or exc.field != "idempotency_key":
                raise
            earlier = await self._replay(key, fingerprint, now)  # a racing twin won
            if earlier is None:
                raise
            return earlier
        return PlacedOrder(order, replayed=False)

    async def _replay(self, key: str, fingerprint: str, now: datetime) -> PlacedOrder | None:
        record = await self._idempotency.find(key, not_before=now - IDEMPOTENCY_TTL)
        if record is None:
            return None
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReusedError()
        order = await self._orders.get(record.order_id)
        if order is None:
            raise _not_found(record.order_id)
        return PlacedOrder(order, replayed=True)

    async def _new_order(
        self, user_id: str, quantities: list[tuple[str, int]], now: datetime
    ) -> Order:
        if not is_valid_id(user_id) or await self._users.get(user_id) is None:
            raise ValidationError(f"user {user_id} does not exist")
        products = await self._products.get_many([pid for pid, _ in quantities])
        lines = []
        for product_id, quantity in quantities:
            product = products.get(product_id)
            if product is None:
                raise ValidationError(f"product {product_id} does not exist")
            if not product.is_active:
                raise ValidationError(f"product {product_id} is not active")
            lines.append(OrderLine(product_id, product.name, product.price, quantity))
        return Order(new_id(), user_id, tuple(lines), OrderStatus.PENDING, now, now)


def _fingerprint(user_id: str, quantities: list[tuple[str, int]]) -> str:
    """The request as the order sees it: repeated lines merged, order of lines ignored."""
    canonical = user_id + "|" + ",".join(f"{pid}:{q}" for pid, q in quantities)
    return hashlib.sha256(canonical.encode()).hexdigest()


class GetOrder:
    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def execute(self, order_id: str) -> Order:
        order = await self._orders.get(order_id) if is_valid_id(order_id) else None
        if order is None:
            raise _not_found(order_id)
        return order


class ListOrders:
    """A page of orders, newest first, with the total matching count."""

    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def execute(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        if where.user_id is not None and not is_valid_id(where.user_id):
            return Page([], 0)
        return await self._orders.list(where, page)


class ChangeOrderStatus:
    """Move an order along its status machine; cancelling returns its stock in the same unit."""

    def __init__(self, orders: OrderRepository, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._orders, self._uow, self._clock = orders, uow, clock

    async def execute(
        self, order_id: str, status: OrderStatus, if_match: frozenset[int] | None = None
    ) -> Order:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        order = await GetOrder(self._orders).execute(order_id)
        require_version(order.version, if_match, f"Order {order_id}")
        moved = order.moved_to(OrderStatus(status), self._clock.now())
        async with self._uow() as uow:
            uow.orders.update(moved, expected_status=order.status)
            if order.holds_stock and not moved.holds_stock:
                for line in order.lines:
                    uow.stock.release(line.product_id, line.quantity)
            await stale_as_precondition(uow.commit(), if_match)
        return replace(moved, version=order.version + 1)
