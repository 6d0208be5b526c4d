"""The users resource."""

from fastapi import APIRouter, Query, Response, status

from application.users import UpdateUserCommand
from domain.pagination import MAX_LIMIT, MAX_SKIP, PageRequest
from domain.users import Role, UserFilter
from entrypoints.http.deps import ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.routing import StorefrontRoute
from entrypoints.http.schemas.users import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=error_responses(409, 422, *_STORE_ERRORS),
)
async def create_user(body: UserCreate, services: ServicesDep):
    return await services.register_user.execute(body.to_command())


@router.get("/", response_model=list[UserOut], responses=error_responses(*_STORE_ERRORS))
async def list_users(
    response: Response,
    services: ServicesDep,
    skip: int = Query(0, ge=0, le=MAX_SKIP),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    is_active: bool | None = None,
    role: Role | None = None,
):
    page = await services.list_users.execute(
        UserFilter(is_active=is_active, role=role), PageRequest(skip, limit)
    )
    response.headers["X-Total-Count"] = str(page.total)
    return page.items


@router.get("/{user_id}", response_model=UserOut, responses=error_responses(404, *_STORE_ERRORS))
async def get_user(user_id: str, services: ServicesDep):
    return await services.get_user.execute(user_id)


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    responses=error_responses(404, 409, 422, *_STORE_ERRORS),
)
async def update_user(user_id: str, body: UserUpdate, services: ServicesDep):
    return await services.update_user.execute(UpdateUserCommand(user_id, body.changes()))


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, *_STORE_ERRORS),
)
async def delete_user(user_id: str, services: ServicesDep) -> None:
    await services.delete_user.execute(user_id)
