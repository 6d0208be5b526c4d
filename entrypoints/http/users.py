"""The users resource."""

from fastapi import APIRouter, Query, Request, Response, status

from application.users import UpdateUserCommand
from domain.pagination import PageRequest
from domain.users import Role, UserFilter
from entrypoints.http.conditional import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IfMatch,
    IfNoneMatch,
    accepted_versions,
    etag,
    not_modified,
)
from entrypoints.http.deps import ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.paging import LINK_HEADER, TOTAL_HEADER, CursorQuery, CursorsDep
from entrypoints.http.schemas.users import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])
_STORE_ERRORS = (503, 504)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=error_responses(409, 422, *_STORE_ERRORS),
)
async def create_user(body: UserCreate, services: ServicesDep):
    return await services.register_user.execute(body.to_command())


@router.get(
    "/",
    response_model=list[UserOut],
    responses={
        200: {"headers": TOTAL_HEADER | LINK_HEADER},
        **error_responses(422, *_STORE_ERRORS),
    },
)
async def list_users(
    request: Request,
    response: Response,
    services: ServicesDep,
    cursors: CursorsDep,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    is_active: bool | None = None,
    role: Role | None = None,
    cursor: CursorQuery = None,
):
    page = await services.list_users.execute(
        UserFilter(is_active=is_active, role=role),
        PageRequest(skip, limit, cursors.after("users", cursor)),
    )
    response.headers["X-Total-Count"] = str(page.total)
    cursors.link_next(request, response, "users", page.items, limit)
    return page.items


@router.get(
    "/{user_id}",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **error_responses(404, *_STORE_ERRORS),
    },
)
async def get_user(
    user_id: str, response: Response, services: ServicesDep, if_none_match: IfNoneMatch = None
):
    user = await services.get_user.execute(user_id)
    return not_modified(response, user.version, if_none_match) or user


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(404, 409, 412, 422, *_STORE_ERRORS),
    },
)
async def update_user(
    user_id: str,
    body: UserUpdate,
    response: Response,
    services: ServicesDep,
    if_match: IfMatch = None,
):
    """Only the fields sent change. With If-Match, only if the user is still at that ETag."""
    user = await services.update_user.execute(
        UpdateUserCommand(user_id, body.changes(), accepted_versions(if_match))
    )
    response.headers["ETag"] = etag(user.version)
    return user


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404, 412, *_STORE_ERRORS),
)
async def delete_user(user_id: str, services: ServicesDep, if_match: IfMatch = None) -> None:
    """With If-Match, only if the user is still at that ETag."""
    await services.delete_user.execute(user_id, accepted_versions(if_match))
