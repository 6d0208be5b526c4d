"""The products resource: CRUD, search and bulk upsert."""

import asyncio
from decimal import Decimal
from typing import Annotated

from fastapi import Body, Query, Request, Response, status

from application.products import INLINE_ITEMS, UpdateProductCommand
from domain.money import MAX_AMOUNT
from domain.pagination import MAX_LIMIT, MAX_SKIP, PageRequest
from domain.products import CATEGORY_MAX, TAG_MAX, ProductFilter
from entrypoints.http.conditional import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IfMatch,
    IfNoneMatch,
    accepted_versions,
    etag,
)
from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.paging import LINK_HEADER, TOTAL_HEADER, CursorQuery, CursorsDep
from entrypoints.http.responses import conditional_json, product_json
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.products import (
    BulkUpsertIn,
    BulkUpsertOut,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    SearchHitOut,
    bulk_commands,
    product_command,
)

# the bulk route's body limit (BodyLimit): 10,000 products of up to a few KiB each
BULK_MAX_BODY_BYTES = 32 * 1024 * 1024
router = StorefrontRouter(prefix="/api/products", tags=["products"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)
PriceQuery = Annotated[Decimal | None, Query(ge=0, le=MAX_AMOUNT, decimal_places=2)]


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductOut,
    responses=error_responses(401, 403, 409, 422, *_STORE_ERRORS),
)
async def create_product(
    body: Annotated[ProductCreate, Body()],
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
):
    """Moderators and admins."""
    product = await services.create_product.execute(principal, product_command(body))
    response.headers["Location"] = f"{router.prefix}/{product.id}"
    response.headers["ETag"] = etag(product.version)
    return product


@router.get(
    "/",
    response_model=list[ProductOut],
    responses={
        200: {"headers": TOTAL_HEADER | LINK_HEADER},
        **error_responses(401, 403, 422, *_STORE_ERRORS),
    },
)
async def list_products(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    cursors: CursorsDep,
    skip: int = Query(0, ge=0, le=MAX_SKIP),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    category: str | None = Query(None, min_length=1, max_length=CATEGORY_MAX),
    min_price: PriceQuery = None,
    max_price: PriceQuery = None,
    tag: str | None = Query(None, min_length=1, max_length=TAG_MAX),
    is_active: bool | None = Query(
        None, description="moderators and admins; others always see active products only"
    ),
    cursor: CursorQuery = None,
):
    """Active products for everyone; moderators and admins see all, and may filter."""
    where = ProductFilter(
        category=category, min_price=min_price, max_price=max_price, tag=tag, is_active=is_active
    )
    after = cursors.after("products", cursor)
    page = await services.list_products.execute(principal, where, PageRequest(skip, limit, after))
    response.headers["X-Total-Count"] = str(page.total)
    cursors.link_next(request, response, "products", page.items, limit)
    return page.items


@router.get(
    "/search",
    response_model=list[SearchHitOut],
    responses=error_responses(401, 501, *_STORE_ERRORS),
    description="Active products only, except for moderators and admins. "
    "501 `search_unsupported` when the store cannot search (the detail says why).",
)
async def search_products(
    principal: PrincipalDep,
    services: ServicesDep,
    q: str = Query(min_length=1, max_length=200, description="words; any may match"),
    skip: int = Query(0, ge=0, le=MAX_SKIP),
    limit: int = Query(20, ge=1, le=100),
):
    hits = await services.search_products.execute(principal, q, PageRequest(skip, limit))
    return [SearchHitOut.of(hit) for hit in hits]


@router.post(
    "/bulk",
    response_model=BulkUpsertOut,
    responses=error_responses(401, 403, 422, *_STORE_ERRORS),
    summary="Upsert up to 10,000 products by sku in one round trip",
)
async def bulk_upsert_products(
    body: Annotated[BulkUpsertIn, Body()], principal: PrincipalDep, services: ServicesDep
):
    """All items are validated first: any invalid item is a 422 naming its index, and then
    nothing is written. Unchanged products are matched but not modified. Moderators and
    admins."""
    items = body["products"]
    if len(items) > INLINE_ITEMS:  # validation holds the GIL, but not the event loop
        commands = await asyncio.to_thread(bulk_commands, items)
    else:
        commands = bulk_commands(items)
    return await services.bulk_upsert_products.execute(principal, commands)


@router.get(
    "/{product_id:id}",
    response_model=ProductOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **error_responses(401, 404, *_STORE_ERRORS),
    },
)
async def get_product(
    product_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """An inactive product is 404 except to moderators and admins."""
    product = await services.get_product.execute(principal, product_id)
    return conditional_json(product.version, if_none_match, product_json, product)


@router.patch(
    "/{product_id:id}",
    response_model=ProductOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 409, 412, 422, *_STORE_ERRORS),
    },
)
async def update_product(
    product_id: str,
    body: ProductUpdate,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    if_match: IfMatch = None,
):
    """Only the fields sent change. With If-Match, only if the product is still at that ETag.
    Moderators and admins."""
    product = await services.update_product.execute(
        principal, UpdateProductCommand(product_id, body.changes(), accepted_versions(if_match))
    )
    response.headers["ETag"] = etag(product.version)
    return product


@router.delete(
    "/{product_id:id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 412, *_STORE_ERRORS),
)
async def delete_product(
    product_id: str, principal: PrincipalDep, services: ServicesDep, if_match: IfMatch = None
) -> None:
    """Deletes its stock too. With If-Match, only if the product is still at that ETag.
    Moderators and admins."""
    await services.delete_product.execute(principal, product_id, accepted_versions(if_match))
