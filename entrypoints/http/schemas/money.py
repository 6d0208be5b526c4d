"""Money at the HTTP edge: a JSON number in, an exact Decimal inside, a JSON number out."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

from domain.money import MAX_AMOUNT


def _exact(value: Any) -> Any:
    """JSON numbers arrive as floats; repr gives back the digits that were sent
    (shortest round trip), so 0.1 becomes Decimal("0.1"), never 0.1000000000000000055..."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _json_number(amount: Decimal) -> int | float:
    """A JSON number with the amount's exact digits: every amount up to MAX_AMOUNT has at
    most 11 significant digits, well inside the 15 a double renders exactly."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


_NUMBER = PlainSerializer(_json_number, return_type=float, when_used="json")

Price = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(ge=0, le=MAX_AMOUNT, decimal_places=2, examples=[19.99]),
    _NUMBER,
]

# an amount the service computed (a subtotal, a total): only ever sent out
MoneyOut = Annotated[Decimal, _NUMBER]
