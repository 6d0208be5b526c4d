"""Analytics reports, computed by the store."""

import datetime as dt

from fastapi import APIRouter, Query

from entrypoints.http.deps import ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas.analytics import DailyRegistrationsOut, RoleCountOut

router = APIRouter(prefix="/api/analytics", tags=["analytics"])
_STORE_ERRORS = (503, 504)


@router.get(
    "/users/by-role",
    response_model=list[RoleCountOut],
    responses=error_responses(*_STORE_ERRORS),
)
async def users_by_role(services: ServicesDep):
    """Users per role (total, active, inactive), by total descending, then role name."""
    return await services.users_by_role.execute()


@router.get(
    "/users/registrations",
    response_model=list[DailyRegistrationsOut],
    responses=error_responses(422, *_STORE_ERRORS),
)
async def registrations(
    services: ServicesDep,
    start: dt.date = Query(description="first UTC day, included (YYYY-MM-DD)"),
    end: dt.date = Query(description="last UTC day, included; at most 366 days in all"),
):
    """Users created per UTC day, by day; days with none are omitted."""
    rows = await services.registrations.execute(start, end)
    return [DailyRegistrationsOut.of(row) for row in rows]
