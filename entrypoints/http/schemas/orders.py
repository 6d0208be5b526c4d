"""Orders over HTTP: request and response bodies."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.ids import ID_PATTERN
from domain.orders import MAX_LINE_QUANTITY, MAX_LINES, Order, OrderLine, OrderStatus
from entrypoints.http.schemas.money import OrderAmount, Price
from entrypoints.http.schemas.timestamps import Timestamp

_STRICT = ConfigDict(extra="forbid")
_ID = f"^{ID_PATTERN}$"  # an id is 24 lowercase hex digits; anything else names nothing


class OrderItemIn(BaseModel):
    model_config = _STRICT

    product_id: str = Field(pattern=_ID)
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY, strict=True)


class OrderCreate(BaseModel):
    model_config = _STRICT

    user_id: str | None = Field(None, pattern=_ID, description="default: the caller")
    items: list[OrderItemIn] = Field(min_length=1, max_length=MAX_LINES)

    def items_tuple(self) -> tuple[tuple[str, int], ...]:
        return tuple((item.product_id, item.quantity) for item in self.items)


class StatusChange(BaseModel):
    model_config = _STRICT

    status: OrderStatus


class OrderItemOut(BaseModel):
    product_id: str
    name: str
    price: Price
    quantity: int
    subtotal: OrderAmount


class OrderOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(serialization_alias="_id")
    user_id: str
    items: list[OrderItemOut]
    total: OrderAmount
    status: OrderStatus
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, order: Order) -> "OrderOut":
        items = [OrderItemOut(**line_fields(line)) for line in order.lines]
        return cls(**order_fields(order), items=items)


def line_fields(line: OrderLine) -> dict[str, Any]:
    """OrderItemOut's fields of `line` (shared with `entrypoints.http.responses`)."""
    return {
        "product_id": line.product_id,
        "name": line.name,
        "price": line.price,
        "quantity": line.quantity,
        "subtotal": line.subtotal,
    }


def order_fields(order: Order) -> dict[str, Any]:
    """OrderOut's fields of `order` but its `items` (shared with `entrypoints.http.responses`)."""
    return {
        "id": order.id,
        "user_id": order.user_id,
        "total": order.total,
        "status": order.status,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }
