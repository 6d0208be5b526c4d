"""The users resource."""

from fastapi import Query, Request, Response, status

from application.users import UpdateUserCommand
from domain.pagination import MAX_LIMIT, MAX_SKIP, PageRequest
from domain.users import Role, UserFilter
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
from entrypoints.http.responses import conditional_json, user_json
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter
from entrypoints.http.schemas.users import MeUpdate, UserCreate, UserOut, UserUpdate

router = StorefrontRouter(prefix="/api/users", tags=["users"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=error_responses(401, 403, 409, 422, *_STORE_ERRORS),
)
async def create_user(
    body: UserCreate, response: Response, principal: PrincipalDep, services: ServicesDep
):
    """Sign up: open to anyone. The role is `user`; only an admin may send `role` or
    `is_active` (anyone else: 403)."""
    user = await services.register_user.execute(principal, body.to_command())
    response.headers["Location"] = f"{router.prefix}/{user.id}"
    response.headers["ETag"] = etag(user.version)
    return user


@router.get(
    "/",
    response_model=list[UserOut],
    responses={
        200: {"headers": TOTAL_HEADER | LINK_HEADER},
        **error_responses(401, 422, *_STORE_ERRORS),
    },
)
async def list_users(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    cursors: CursorsDep,
    skip: int = Query(0, ge=0, le=MAX_SKIP),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    is_active: bool | None = None,
    role: Role | None = None,
    cursor: CursorQuery = None,
):
    """Moderators and admins: every user. A user: a list of at most themselves."""
    page = await services.list_users.execute(
        principal,
        UserFilter(is_active=is_active, role=role),
        PageRequest(skip, limit, cursors.after("users", cursor)),
    )
    response.headers["X-Total-Count"] = str(page.total)
    cursors.link_next(request, response, "users", page.items, limit)
    return page.items


@router.get(
    "/me",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **error_responses(401, *_STORE_ERRORS),
    },
)
async def get_me(
    principal: PrincipalDep, services: ServicesDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The caller's own user; 304 when If-None-Match holds its ETag (RFC 9110 §13.1.2)."""
    user = await services.get_user.execute(principal, principal.user_id or "")
    return conditional_json(user.version, if_none_match, user_json, user)


@router.patch(
    "/me",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 409, 412, 422, *_STORE_ERRORS),
    },
)
async def update_me(
    body: MeUpdate,
    principal: PrincipalDep,
    response: Response,
    services: ServicesDep,
    if_match: IfMatch = None,
):
    """Change one's own user; a new `password` needs `current_password` (422 without it, 403
    when wrong) and revokes every refresh token of the account."""
    cmd = UpdateUserCommand(
        principal.user_id or "", body.changes(), accepted_versions(if_match), body.current_password
    )
    user = await services.update_user.execute(principal, cmd)
    response.headers["ETag"] = etag(user.version)
    return user


@router.get(
    "/{user_id:id}",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **error_responses(401, 404, *_STORE_ERRORS),
    },
)
async def get_user(
    user_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Own user, or any user for moderators and admins; someone else's is 404 to a user."""
    user = await services.get_user.execute(principal, user_id)
    return conditional_json(user.version, if_none_match, user_json, user)


@router.patch(
    "/{user_id:id}",
    response_model=UserOut,
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 409, 412, 422, *_STORE_ERRORS),
    },
)
async def update_user(
    user_id: str,
    body: UserUpdate,
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    if_match: IfMatch = None,
):
    """Only the fields sent change; with If-Match, only if the user is still at that ETag. A
    user: own account, not `role`/`is_active`. A moderator: any account up to their rank, not
    `role`. An admin: anything."""
    cmd = UpdateUserCommand(
        user_id, body.changes(), accepted_versions(if_match), body.current_password
    )
    user = await services.update_user.execute(principal, cmd)
    response.headers["ETag"] = etag(user.version)
    return user


@router.delete(
    "/{user_id:id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 412, *_STORE_ERRORS),
)
async def delete_user(
    user_id: str, principal: PrincipalDep, services: ServicesDep, if_match: IfMatch = None
) -> None:
    """With If-Match, only if the user is still at that ETag. A user may delete their own
    account; an admin any; a moderator none (403)."""
    await services.delete_user.execute(principal, user_id, accepted_versions(if_match))
