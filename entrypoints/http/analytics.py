"""Analytics reports, computed by the store."""

import datetime as dt

from fastapi import Query

from domain.analytics import FIRST_REPORT_DAY, LAST_REPORT_DAY, MAX_TOP_CUSTOMERS
from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.json import ExactJSONResponse
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.analytics import DailyRegistrationsOut, RoleCountOut, TopCustomerOut

router = StorefrontRouter(  # moderators and admins
    prefix="/api/analytics", tags=["analytics"], route_class=StorefrontRoute
)
_STORE_ERRORS = (503, 504)


@router.get(
    "/users/by-role",
    response_model=list[RoleCountOut],
    responses=error_responses(401, 403, *_STORE_ERRORS),
)
async def users_by_role(principal: PrincipalDep, services: ServicesDep):
    """Users per role (total, active, inactive), by total descending, then role name."""
    return await services.users_by_role.execute(principal)


@router.get(
    "/users/registrations",
    response_model=list[DailyRegistrationsOut],
    responses=error_responses(401, 403, 422, *_STORE_ERRORS),
)
async def registrations(
    principal: PrincipalDep,
    services: ServicesDep,
    start: dt.date = Query(
        ge=FIRST_REPORT_DAY, le=LAST_REPORT_DAY, description="first UTC day, included"
    ),
    end: dt.date = Query(
        ge=FIRST_REPORT_DAY,
        le=LAST_REPORT_DAY,
        description="last UTC day, included; at most 366 days in all",
    ),
):
    """Users created per UTC day, by day; days with none are omitted."""
    rows = await services.registrations.execute(principal, start, end)
    return [DailyRegistrationsOut.of(row) for row in rows]


@router.get(
    "/customers/top",
    response_model=list[TopCustomerOut],
    responses=error_responses(401, 403, 422, *_STORE_ERRORS),
)
async def top_customers(
    principal: PrincipalDep,
    services: ServicesDep,
    limit: int = Query(10, ge=1, le=MAX_TOP_CUSTOMERS, description="how many customers"),
):
    """Users by count of their orders that are not cancelled (descending), then total spent
    (descending), then id; users that no longer exist are left out (their orders are kept)."""
    rows = await services.top_customers.execute(principal, limit)
    # a customer's total is a sum of any size: sent with all its digits (ExactJSONResponse)
    return ExactJSONResponse([TopCustomerOut.of(row).model_dump(by_alias=True) for row in rows])
