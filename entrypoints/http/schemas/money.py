"""Money at the HTTP edge: a JSON number in, an exact Decimal inside, a JSON number out."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, ValidationInfo, WithJsonSchema

from domain.money import CENT, MAX_AMOUNT, MAX_ORDER_TOTAL

TEXT_AMOUNTS = "amounts_as_text"  # validation context key: a text source (CSV) may send "9.99"


def _exact(value: Any, info: ValidationInfo) -> Any:
    """JSON numbers arrive as floats; repr gives back the digits that were sent
    (shortest round trip), so 0.1 becomes Decimal("0.1"), never 0.1000000000000000055...
    Checks the 2 places here too (pydantic's decimal_places check is pure Python and slow).
    The common inputs go first (a bulk batch calls this once per item): an int is always
    whole cents, a Decimal (how the app's JSON reader hands over a fraction) only needs its
    places checked."""
    kind = type(value)
    if kind is int:
        return value
    if kind is not Decimal:
        if isinstance(value, str) and not (info.context or {}).get(TEXT_AMOUNTS):
            raise ValueError("an amount is a JSON number, not a string")  # as the document says
        if isinstance(value, float):
            value = Decimal(repr(value))
        elif isinstance(value, (int, str)) and not isinstance(value, bool):
            try:
                value = Decimal(value)
            except InvalidOperation:
                return value  # pydantic reports it as not a valid decimal
    if isinstance(value, Decimal) and value.is_finite():
        try:
            exact = value == value.quantize(CENT)
        except InvalidOperation:
            return value  # too large to quantize: the upper bound rejects it
        if not exact:
            raise ValueError("Decimal input should have no more than 2 decimal places")
    return value


EXACT_DIGITS = 15  # any decimal with at most 15 significant digits survives a double


def _json_number(amount: Decimal) -> int | float:
    """A JSON number with the amount's exact digits, written by pydantic straight to bytes.

    Every amount the API holds is bounded (MAX_AMOUNT, MAX_ORDER_TOTAL: at most 12
    significant digits), and a decimal of at most 15 significant digits comes back with the
    same digits from a double's shortest representation. A larger amount (a report's sum)
    must go out through ExactJSONResponse; sending it here would lose digits, so it is an
    error rather than a silently wrong number.
    """
    if amount == amount.to_integral_value():
        return int(amount)
    if len(amount.as_tuple().digits) > EXACT_DIGITS:
        raise ValueError(f"{amount} has more digits than a JSON double carries exactly")
    return float(amount)


_NUMBER = PlainSerializer(_json_number, return_type=float, when_used="json")


def money_schema(maximum: Decimal | None, example: float) -> WithJsonSchema:
    """What the document says of an amount: a JSON number in cents (`multipleOf: 0.01`, which
    JSON Schema checks exactly on decimals), from 0 to its documented maximum."""
    schema: dict[str, object] = {"type": "number", "minimum": 0, "multipleOf": 0.01}
    if maximum is not None:
        schema["maximum"] = float(maximum)  # 12 significant digits: exact as a double
    return WithJsonSchema(schema | {"examples": [example]})


Price = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(ge=0, le=MAX_AMOUNT),
    _NUMBER,
    money_schema(MAX_AMOUNT, 19.99),
]

# an amount the service computed, only ever sent out: a line's subtotal or an order's total
# (at most MAX_ORDER_TOTAL), or a report's sum (no maximum: sums never overflow)
OrderAmount = Annotated[Decimal, _NUMBER, money_schema(MAX_ORDER_TOTAL, 499.98)]
MoneyOut = Annotated[Decimal, _NUMBER, money_schema(None, 1749.93)]
