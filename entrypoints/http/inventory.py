"""The inventory resource: a product's stock."""

from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.products import StockAdjust, StockOut, StockSet

router = StorefrontRouter(prefix="/api/inventory", tags=["inventory"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)


@router.get(
    "/{product_id:id}", response_model=StockOut, responses=error_responses(401, 404, *_STORE_ERRORS)
)
async def get_stock(product_id: str, principal: PrincipalDep, services: ServicesDep):
    """The quantity in stock; 0 when it was never set (inactive products: staff only)."""
    return await services.get_stock.execute(principal, product_id)


@router.put(
    "/{product_id:id}",
    response_model=StockOut,
    responses=error_responses(401, 403, 404, 422, *_STORE_ERRORS),
)
async def set_stock(
    product_id: str, body: StockSet, principal: PrincipalDep, services: ServicesDep
):
    """Moderators and admins."""
    return await services.set_stock.execute(principal, product_id, body.quantity)


@router.post(
    "/{product_id:id}/adjust",
    response_model=StockOut,
    responses=error_responses(401, 403, 404, 409, 422, *_STORE_ERRORS),
)
async def adjust_stock(
    product_id: str, body: StockAdjust, principal: PrincipalDep, services: ServicesDep
):
    """Add `delta` (negative to take); a result below 0 is a 409 and changes nothing.
    Moderators and admins."""
    return await services.adjust_stock.execute(principal, product_id, body.delta)
