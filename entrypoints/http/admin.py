"""Maintenance operations."""

from fastapi import Query

from domain.users import MAX_PURGE_DAYS
from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.analytics import PurgeOut

router = StorefrontRouter(prefix="/api/admin", tags=["maintenance"], route_class=StorefrontRoute)


@router.delete(
    "/inactive-users",
    response_model=PurgeOut,
    responses=error_responses(401, 403, 422, 503, 504),
)
async def purge_inactive_users(
    principal: PrincipalDep,
    services: ServicesDep,
    days: int = Query(
        365, ge=1, le=MAX_PURGE_DAYS, description="delete users inactive and unchanged for longer"
    ),
):
    """Delete users with is_active false whose updated_at is more than `days` days old.

    Their orders are kept. Admins only.
    """
    return PurgeOut(deleted=await services.purge_inactive_users.execute(principal, days))
