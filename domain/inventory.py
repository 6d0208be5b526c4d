"""Stock rules: a product's quantity is a whole number and never goes below zero."""

from dataclasses import dataclass

from domain.errors import ConflictError, ValidationError

MAX_QUANTITY = 1_000_000_000


class InsufficientStockError(ConflictError):
    """An adjustment or an order would take stock below zero; nothing was changed."""

    code = "insufficient_stock"

    def __init__(self, product_id: str, detail: str | None = None) -> None:
        super().__init__(detail or f"Not enough stock for product {product_id}")
        self.product_id = product_id


@dataclass(frozen=True, slots=True)
class Stock:
    product_id: str
    quantity: int


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError("quantity must be an integer")
    if not 0 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"quantity must be between 0 and {MAX_QUANTITY}")
    return quantity


def check_delta(delta: int) -> int:
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise ValidationError("delta must be an integer")
    if not -MAX_QUANTITY <= delta <= MAX_QUANTITY:
        raise ValidationError(f"delta must be between -{MAX_QUANTITY} and {MAX_QUANTITY}")
    return delta
