"""The busiest routes encode their answers themselves (entrypoints/http/responses.py): the
bytes must be exactly what FastAPI's response-model path (validate, then serialize) sends."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from domain.ids import new_id
from domain.money import MAX_AMOUNT
from domain.orders import Order, OrderLine, OrderStatus
from domain.products import Product
from domain.users import Address, Role, User
from entrypoints.http.responses import order_json, product_json, user_json
from entrypoints.http.schemas.orders import OrderOut
from entrypoints.http.schemas.products import ProductOut
from entrypoints.http.schemas.users import UserOut

WHOLE_SECOND = datetime(2026, 11, 27, 20, 56, 28, tzinfo=UTC)
FRACTION = datetime(2026, 11, 27, 20, 56, 28, 123456, tzinfo=UTC)


def fastapi_bytes(model, value) -> bytes:
    """What FastAPI sends for `value` under `response_model=model`."""
    adapter = TypeAdapter(model)
    return adapter.dump_json(adapter.validate_python(value, from_attributes=True), by_alias=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"price": Decimal("19.99"), "tags": ("a", "b"), "description": "d", "category": "c"},
        {"price": Decimal("3"), "tags": (), "is_active": False},
        {"price": Decimal("0.10"), "tags": ("x",)},
        {"price": MAX_AMOUNT, "created_at": FRACTION, "updated_at": FRACTION},
    ],
)
def test_product_bytes_are_the_response_models(fields) -> None:
    values = {"created_at": WHOLE_SECOND, "updated_at": WHOLE_SECOND} | fields
    product = Product(id=new_id(), sku="SKU-1", name="Lamp", **values)
    assert product_json(product) == fastapi_bytes(ProductOut, product)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"full_name": "Ann Lee", "role": Role.ADMIN, "tags": ("vip",), "is_active": False},
        {"address": Address("1 Main St", "Springfield", "IL", "62701")},
        {"address": Address("Rue 2", "Lyon", "ARA", "69001", country="France")},
    ],
)
def test_user_bytes_are_the_response_models(fields) -> None:
    user = User(
        id=new_id(),
        email="ann@example.com",
        username="ann",
        password_hash="$argon2id$never-sent",
        created_at=WHOLE_SECOND,
        updated_at=FRACTION,
        **fields,
    )
    body = user_json(user)
    assert body == fastapi_bytes(UserOut, user)
    assert b"argon2" not in body


@pytest.mark.parametrize("status", list(OrderStatus))
def test_order_bytes_are_the_response_models(status) -> None:
    lines = (
        OrderLine(new_id(), "dime", Decimal("0.10"), 3),
        OrderLine(new_id(), "lamp", Decimal("19.99"), 2),
        OrderLine(new_id(), "crate", Decimal("250"), 1),
    )
    order = Order(new_id(), new_id(), lines, status, WHOLE_SECOND, FRACTION)
    assert order_json(order) == OrderOut.of(order).model_dump_json(by_alias=True).encode()
    assert order_json(order) == fastapi_bytes(OrderOut, OrderOut.of(order))
