"""Order use cases: placement in one atomic unit, idempotent retries, the status machine."""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application import policy
from application.audit import DISCARD
from application.policy import Action
from application.ports import (
    AuditLog,
    Clock,
    IdempotencyRepository,
    OrderRepository,
    ProductRepository,
    UnitOfWorkFactory,
    UserRepository,
)
from application.versions import stale_as_precondition
from domain.access import SYSTEM, Principal
from domain.errors import (
    ConflictError,
    DuplicateError,
    InvalidReferenceError,
    NotFoundError,
)
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
    check_order_total,
    merge_lines,
)
from domain.pagination import Page, PageRequest
from domain.versions import require_version

IDEMPOTENCY_TTL = timedelta(hours=IDEMPOTENCY_TTL_HOURS)


@dataclass(frozen=True, slots=True)
class PlaceOrderCommand:
    """`user_id` None: the caller's own order."""

    user_id: str | None
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

    Unknown or deactivated user, unknown or inactive product -> ValidationError (422); short
    stock -> InsufficientStockError naming the product (409). With an idempotency key, a retry
    of the same request returns the first order, even when the two race. Keys are scoped to
    the caller: the stored key is the caller's id and the client's key, so one caller's key
    never finds (or blocks) another's order.
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

    async def execute(self, principal: Principal, cmd: PlaceOrderCommand) -> PlacedOrder:
        user_id = policy.order_owner(principal, cmd.user_id)
        quantities = merge_lines(cmd.items)
        now = self._clock.now()
        key = check_idempotency_key(cmd.idempotency_key) if cmd.idempotency_key else None
        if key is not None:
            key = scoped_idempotency_key(principal, key)
        fingerprint = _fingerprint(user_id, quantities)
        if key is not None:
            earlier = await self._replay(key, fingerprint, now)
            if earlier is not None:
                return earlier

        order = await self._new_order(principal, user_id, quantities, now)
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
        self, principal: Principal, user_id: str, quantities: list[tuple[str, int]], now: datetime
    ) -> Order:
        user = principal.user  # one's own order: the record authentication read just now
        if user is None or user.id != user_id:
            user = await self._users.get(user_id) if is_valid_id(user_id) else None
        if user is None:
            raise InvalidReferenceError(f"user {user_id} does not exist")
        if not user.is_active:
            raise InvalidReferenceError(f"user {user_id} is deactivated and cannot place orders")
        products = await self._products.get_many([pid for pid, _ in quantities])
        lines = []
        for product_id, quantity in quantities:
            product = products.get(product_id)
            if product is None:
                raise InvalidReferenceError(f"product {product_id} does not exist")
            if not product.is_active:
                raise InvalidReferenceError(f"product {product_id} is not active")
            lines.append(OrderLine(product_id, product.name, product.price, quantity))
        order = Order(new_id(), user_id, tuple(lines), OrderStatus.PENDING, now, now)
        check_order_total(order.total)
        return order


def scoped_idempotency_key(principal: Principal, key: str) -> str:
    """The key as stored: the caller's id (or "system" for the CLI), a separator that no id
    holds, then the client's key."""
    return f"{principal.user_id or 'system'}/{key}"


def _fingerprint(user_id: str, quantities: list[tuple[str, int]]) -> str:
    """The request as the order sees it: repeated lines merged, order of lines ignored."""
    canonical = user_id + "|" + ",".join(f"{pid}:{q}" for pid, q in quantities)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _get_order(orders: OrderRepository, principal: Principal, order_id: str) -> Order:
    policy.require_authenticated(principal)
    order = await orders.get(order_id) if is_valid_id(order_id) else None
    if order is None:
        raise _not_found(order_id)
    policy.check_order_visible(principal, order.user_id, order_id)
    return order


class GetOrder:
    """The order, if the caller may see it (own, or every order for moderators and admins)."""

    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def execute(self, principal: Principal, order_id: str) -> Order:
        return await _get_order(self._orders, principal, order_id)


class ListOrders:
    """A page of orders, newest first, with the total matching count; a caller who may not
    read every order sees only their own (another `user_id` filter is an empty page)."""

    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def execute(
        self, principal: Principal, where: OrderFilter, page: PageRequest
    ) -> Page[Order]:
        own_id = policy.require_authenticated(principal)
        if not policy.can(principal, Action.READ_ANY_ORDER):
            if own_id is None or where.user_id not in (None, own_id):
                return Page([], 0)
            where = replace(where, user_id=own_id)
        if where.user_id is not None and not is_valid_id(where.user_id):
            return Page([], 0)
        return await self._orders.list(where, page)


class ChangeOrderStatus:
    """Move an order along its status machine; cancelling returns its stock in the same unit."""

    def __init__(
        self,
        orders: OrderRepository,
        uow: UnitOfWorkFactory,
        clock: Clock,
        audit: AuditLog = DISCARD,
    ) -> None:
        self._orders, self._uow, self._clock, self._audit = orders, uow, clock, audit

    async def execute(
        self,
        principal: Principal,
        order_id: str,
        status: OrderStatus,
        if_match: frozenset[int] | None = None,
    ) -> Order:
        """`if_match`: the versions the client accepts (HTTP If-Match); None for any."""
        order = await _get_order(self._orders, principal, order_id)
        policy.check_order_move(
            principal,
            order.user_id,
            pending=order.status is OrderStatus.PENDING,
            cancel=OrderStatus(status) is OrderStatus.CANCELLED,
        )
        require_version(order.version, if_match, f"Order {order_id}")
        moved = order.moved_to(OrderStatus(status), self._clock.now())
        async with self._uow() as uow:
            uow.orders.update(moved, expected_status=order.status)
            if order.holds_stock and not moved.holds_stock:
                for line in order.lines:
                    uow.stock.release(line.product_id, line.quantity)
            await stale_as_precondition(uow.commit(), if_match)
        self._audit.record(
            principal,
            "order.status_change",
            f"order:{order.id}",
            {"status": order.status.value},
            {"status": moved.status.value},
        )
        return replace(moved, version=order.version + 1)


class ExpirePendingOrders:
    """Cancel every order still pending `ttl` after it was placed, returning its stock.

    Each cancel goes through ChangeOrderStatus (as the SYSTEM principal: the service itself),
    so it is the same atomic unit as a client's
    cancel (status and stock together) and loses cleanly to a concurrent payment (the
    order is no longer pending: skipped). Safe to run in several processes at once.
    Returns how many orders it cancelled.
    """

    BATCH = 100

    def __init__(
        self,
        orders: OrderRepository,
        change_status: ChangeOrderStatus,
        clock: Clock,
        ttl: timedelta,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("the pending-order TTL must be positive")
        self._orders, self._change, self._clock, self._ttl = orders, change_status, clock, ttl

    async def execute(self) -> int:
        cutoff = self._clock.now() - self._ttl
        cancelled = 0
        while True:
            batch = await self._orders.pending_before(cutoff, self.BATCH)
            done = 0
            for order in batch:
                try:
                    await self._change.execute(SYSTEM, order.id, OrderStatus.CANCELLED)
                except (ConflictError, NotFoundError):
                    continue  # paid, cancelled or deleted meanwhile
                done += 1
            cancelled += done
            if len(batch) < self.BATCH or done == 0:
                return cancelled
