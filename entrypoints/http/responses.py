"""The JSON of the busiest routes, encoded once, straight to bytes.

Given a domain object and a `response_model`, FastAPI validates the object into the model
(from its attributes: every field converted and checked again) and then serializes the
model. The core built and checked these objects already, so here the model is constructed
without a second validation (`model_construct`) and pydantic-core's serializer of that same
model writes the bytes: the JSON is the model's (aliases, timestamps with milliseconds,
amounts as numbers), and the OpenAPI document, still generated from `response_model`, does
not change. A route returning one of these responses gets it sent as it is (FastAPI neither
validates nor serializes a returned Response), so its headers (ETag, Location) are set here.
"""

from typing import Any

from fastapi import Response

from domain.orders import Order
from domain.products import Product
from domain.users import User
from entrypoints.http.conditional import etag, if_none_match_holds
from entrypoints.http.schemas.orders import OrderItemOut, OrderOut, line_fields, order_fields
from entrypoints.http.schemas.products import ProductOut, product_fields
from entrypoints.http.schemas.users import AddressBody, UserOut

_PRODUCT = ProductOut.__pydantic_serializer__
_USER = UserOut.__pydantic_serializer__
_ORDER = OrderOut.__pydantic_serializer__
_PRODUCT_FIELDS = frozenset(ProductOut.model_fields)
_USER_FIELDS = frozenset(UserOut.model_fields)
_ORDER_FIELDS = frozenset(OrderOut.model_fields)
_LINE_FIELDS = frozenset(OrderItemOut.model_fields)
_ADDRESS_FIELDS = frozenset(AddressBody.model_fields)


def product_json(p: Product) -> bytes:
    """`p` as ProductOut's JSON (what `response_model=ProductOut` sends)."""
    out = ProductOut.model_construct(_PRODUCT_FIELDS, **product_fields(p))
    return _PRODUCT.to_json(out, by_alias=True)


def user_json(u: User) -> bytes:
    """`u` as UserOut's JSON (never its password hash: UserOut has no such field)."""
    address = u.address
    out = UserOut.model_construct(
        _USER_FIELDS,
        id=u.id,
        email=u.email,
        username=u.username,
        full_name=u.full_name,
        role=u.role,
        is_active=u.is_active,
        tags=list(u.tags),
        address=None
        if address is None
        else AddressBody.model_construct(
            _ADDRESS_FIELDS,
            street=address.street,
            city=address.city,
            state=address.state,
            zip_code=address.zip_code,
            country=address.country,
        ),
        created_at=u.created_at,
        updated_at=u.updated_at,
    )
    return _USER.to_json(out, by_alias=True)


def order_json(order: Order) -> bytes:
    """`order` as OrderOut's JSON (its lines as `items`, with subtotals and the total)."""
    items = [
        OrderItemOut.model_construct(_LINE_FIELDS, **line_fields(line)) for line in order.lines
    ]
    out = OrderOut.model_construct(_ORDER_FIELDS, **order_fields(order), items=items)
    return _ORDER.to_json(out, by_alias=True)


def json_response(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """An `application/json` response of bytes already encoded."""
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


def conditional_json(
    version: int, if_none_match: str | None, encode: Any, resource: Any
) -> Response:
    """The resource at `version` with its strong ETag, or a 304 with only the ETag when
    If-None-Match holds it (RFC 9110 §13.1.2); `encode(resource)` runs only for a 200."""
    tag = etag(version)
    if if_none_match is not None and if_none_match_holds(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return json_response(encode(resource), headers={"ETag": tag})
