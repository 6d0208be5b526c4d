"""The orders resource."""

from fastapi import Header, Query, Request, Response, status

from application.orders import PlaceOrderCommand
from domain.orders import IDEMPOTENCY_KEY_MAX, OrderFilter, OrderStatus
from domain.pagination import MAX_LIMIT, MAX_SKIP, PageRequest
from entrypoints.http.conditional import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IfMatch,
    IfNoneMatch,
    accepted_versions,
    etag,
    not_modified,
)
from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.paging import LINK_HEADER, TOTAL_HEADER, CursorQuery, CursorsDep
from entrypoints.http.responses import json_response, order_json
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.orders import OrderCreate, OrderOut, StatusChange

router = StorefrontRouter(prefix="/api/orders", tags=["orders"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    responses={
        200: {
            "model": OrderOut,
            "description": "A retry: the order its Idempotency-Key placed",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "`true`: this answers a retry; no new order was placed.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
        **error_responses(401, 403, 409, 422, *_STORE_ERRORS),
    },
)
async def place_order(
    body: OrderCreate,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=IDEMPOTENCY_KEY_MAX
    ),
) -> Response:
    """Take every line's stock and write the order, atomically; 409 names a short product.

    `user_id` may be omitted (the caller's own order); a user may only order for themselves
    (another id: 403). `Idempotency-Key` is scoped to the caller."""
    placed = await services.place_order.execute(
        principal, PlaceOrderCommand(body.user_id, body.items_tuple(), idempotency_key)
    )
    order = placed.order
    if placed.replayed:
        headers = {"Idempotent-Replayed": "true", "ETag": etag(order.version)}
        return json_response(order_json(order), status.HTTP_200_OK, headers)
    headers = {"Location": f"{router.prefix}/{order.id}", "ETag": etag(order.version)}
    return json_response(order_json(order), status.HTTP_201_CREATED, headers)


@router.get(
    "/",
    response_model=list[OrderOut],
    responses={
        200: {"headers": TOTAL_HEADER | LINK_HEADER},
        **error_responses(401, 422, *_STORE_ERRORS),
    },
)
async def list_orders(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    cursors: CursorsDep,
    skip: int = Query(0, ge=0, le=MAX_SKIP),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    user_id: str | None = Query(None, max_length=64),
    status: OrderStatus | None = None,
    cursor: CursorQuery = None,
) -> list[OrderOut]:
    """A user's own orders; every order for moderators and admins."""
    page = await services.list_orders.execute(
        principal,
        OrderFilter(user_id=user_id, status=status),
        PageRequest(skip, limit, cursors.after("orders", cursor)),
    )
    response.headers["X-Total-Count"] = str(page.total)
    cursors.link_next(request, response, "orders", page.items, limit)
    return [OrderOut.of(order) for order in page.items]


@router.get(
    "/{order_id:id}",
    response_model=OrderOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **error_responses(401, 404, *_STORE_ERRORS),
    },
)
async def get_order(
    order_id: str,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    if_none_match: IfNoneMatch = None,
):
    """Own orders, or any for moderators and admins; someone else's is 404 to a user."""
    order = await services.get_order.execute(principal, order_id)
    return not_modified(response, order.version, if_none_match) or OrderOut.of(order)


@router.post(
    "/{order_id:id}/status",
    response_model=OrderOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 409, 412, 422, *_STORE_ERRORS),
    },
)
async def change_order_status(
    order_id: str,
    body: StatusChange,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> OrderOut:
    """pending -> paid -> shipped -> delivered; pending|paid -> cancelled (stock returned).
    With If-Match, only if the order is still at that ETag. Moderators and admins: any move;
    a user: cancel their own pending order only."""
    order = await services.change_order_status.execute(
        principal, order_id, body.status, accepted_versions(if_match)
    )
    response.headers["ETag"] = etag(order.version)
    return OrderOut.of(order)
