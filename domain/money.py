"""Exact money: `Decimal` with at most 2 places, never a binary float inside the core."""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from domain.errors import ValidationError

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")  # a price: 11 significant digits
# An order's total (and so each of its lines' subtotals): what PostgreSQL's numeric(12, 2)
# holds, far inside SQLite's int64 cents and Decimal128; 12 significant digits, so every
# amount the API sends is exact as a JSON number read into a double (up to 15 digits are).
MAX_ORDER_TOTAL = Decimal("9999999999.99")
ZERO = Decimal("0.00")

Money = Decimal


def money(value: Decimal | int | str) -> Decimal:
    """`value` as money quantized to cents; ValidationError for floats, NaN or >2 places."""
    if isinstance(value, float | bool):
        raise ValidationError("money must be a decimal or an integer, never a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{value!r} is not an amount of money") from None
    if not amount.is_finite():
        raise ValidationError("money must be a finite number")
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise ValidationError("money has at most 2 decimal places")
    return quantized


def price(value: Decimal | int | str) -> Decimal:
    """A price: money between 0 and MAX_AMOUNT."""
    amount = money(value)
    if amount < 0:
        raise ValidationError("price must be >= 0")
    if amount > MAX_AMOUNT:
        raise ValidationError(f"price must be <= {MAX_AMOUNT}")
    return amount


def to_cents(amount: Decimal) -> int:
    """Integer cents of an amount that is already money (the SQLite storage form)."""
    return int(amount.scaleb(2).to_integral_exact())


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2).quantize(CENT)


def total(amounts: Iterable[Decimal | int | str]) -> Decimal:
    """The exact sum of amounts of money (0.00 for none)."""
    return sum((money(a) for a in amounts), ZERO)
