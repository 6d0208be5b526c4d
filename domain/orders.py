"""The Order aggregate: lines captured at order time, an exact total, a status machine."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from domain.errors import ConflictError, InvalidReferenceError, ValidationError
from domain.ids import is_valid_id
from domain.money import MAX_ORDER_TOTAL, money, total

MAX_LINES = 100
MAX_LINE_QUANTITY = 1_000_000


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class IllegalStatusChangeError(ConflictError):
    code = "illegal_status_change"


class IdempotencyKeyReusedError(ValidationError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("Idempotency-Key was already used with a different request")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A product as it was when ordered: its name and price are copied, not referenced."""

    product_id: str
    name: str
    price: Decimal
    quantity: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", money(self.price))
        check_quantity(self.quantity)

    @property
    def subtotal(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    version: int = 1  # see domain.versions

    def __post_init__(self) -> None:
        if not 1 <= len(self.lines) <= MAX_LINES:
            raise ValidationError(f"an order has 1 to {MAX_LINES} lines")
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "status", OrderStatus(self.status))

    @property
    def total(self) -> Decimal:
        return total(line.subtotal for line in self.lines)

    def moved_to(self, status: OrderStatus, now: datetime) -> "Order":
        """This order in `status`; IllegalStatusChangeError for a move the machine forbids."""
        if status not in MOVES[self.status]:
            raise IllegalStatusChangeError(
                f"An order cannot move from {self.status.value} to {OrderStatus(status).value}"
            )
        return replace(self, status=status, updated_at=now)

    @property
    def holds_stock(self) -> bool:
        """Whether its lines' stock is taken (every status but cancelled)."""
        return self.status is not OrderStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class OrderFilter:
    user_id: str | None = None
    status: OrderStatus | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A placed order remembered under a client's key, with a fingerprint of its request."""

    key: str
    request_hash: str
    order_id: str
    created_at: datetime


IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_TTL_HOURS = 24


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError("quantity must be an integer")
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise ValidationError(f"quantity must be between 1 and {MAX_LINE_QUANTITY}")
    return quantity


def merge_lines(items: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Repeated products merged into one line, sorted by product id (a fixed lock order)."""
    merged: dict[str, int] = {}
    for product_id, quantity in items:
        if not is_valid_id(product_id):
            raise InvalidReferenceError(f"product {product_id} does not exist")
        merged[product_id] = merged.get(product_id, 0) + check_quantity(quantity)
    if not 1 <= len(merged) <= MAX_LINES:
        raise ValidationError(f"an order has 1 to {MAX_LINES} distinct products")
    for quantity in merged.values():
        check_quantity(quantity)
    return sorted(merged.items())


def check_order_total(amount: Decimal) -> Decimal:
    """An order's total must fit every store (MAX_ORDER_TOTAL); ValidationError (422) else."""
    if amount > MAX_ORDER_TOTAL:
        raise ValidationError(f"the order's total {amount} exceeds the maximum {MAX_ORDER_TOTAL}")
    return amount


def check_idempotency_key(key: str) -> str:
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationError(f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable chars")
    return key
