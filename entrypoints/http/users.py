"""The users resource."""

from fastapi import APIRouter, Query, Response, status

from application.users import UpdateUserCommand
from domain.pagination import PageRequest
from domain.users import Role, UserFilter
from entrypoints.http.deps import PrincipalDep, ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas.users import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])
_STORE_ERRORS = (503, 504)


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=error_responses(401, 403, 409, 422, *_STORE_ERRORS),
)
async def create_user(body: UserCreate, principal: PrincipalDep, services: ServicesDep):
    """Sign up: open to anyone. The role is `user`; only an admin may send `role` or
    `is_active` (anyone else: 403)."""
    return await services.register_user.execute(principal, body.to_command())


@router.get("/", response_model=list[UserOut], responses=error_responses(401, 422, *_STORE_ERRORS))
async def list_users(
    response: Response,
    principal: PrincipalDep,
    services: ServicesDep,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    is_active: bool | None = None,
    role: Role | None = None,
):
    """Moderators and admins: every user. A user: a list of at most themselves."""
    page = await services.list_users.execute(
        principal, UserFilter(is_active=is_active, role=role), PageRequest(skip, limit)
    )
    response.headers["X-Total-Count"] = str(page.total)
    return page.items


@router.get("/me", response_model=UserOut, responses=error_responses(401, *_STORE_ERRORS))
async def get_me(principal: PrincipalDep, services: ServicesDep):
    """The caller's own user."""
    return await services.get_user.execute(principal, principal.user_id or "")


@router.patch(
    "/me",
    response_model=UserOut,
    responses=error_responses(401, 403, 409, 422, *_STORE_ERRORS),
)
async def update_me(body: UserUpdate, principal: PrincipalDep, services: ServicesDep):
    """Change one's own user; a new `password` needs `current_password` (422 without it, 403
    when wrong) and revokes every refresh token of the account."""
    cmd = UpdateUserCommand(principal.user_id or "", body.changes(), body.current_password)
    return await services.update_user.execute(principal, cmd)


@router.get(
    "/{user_id}", response_model=UserOut, responses=error_responses(401, 404, *_STORE_ERRORS)
)
async def get_user(user_id: str, principal: PrincipalDep, services: ServicesDep):
    """Own user, or any user for moderators and admins; someone else's is 404 to a user."""
    return await services.get_user.execute(principal, user_id)


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    responses=error_responses(401, 403, 404, 409, 422, *_STORE_ERRORS),
)
async def update_user(
    user_id: str, body: UserUpdate, principal: PrincipalDep, services: ServicesDep
):
    """Only the fields sent change. A user: own account, not `role`/`is_active`. A
    moderator: any account up to their rank, not `role`. An admin: anything."""
    cmd = UpdateUserCommand(user_id, body.changes(), body.current_password)
    return await services.update_user.execute(principal, cmd)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, *_STORE_ERRORS),
)
async def delete_user(user_id: str, principal: PrincipalDep, services: ServicesDep) -> None:
    """A user may delete their own account; an admin any; a moderator none (403)."""
    await services.delete_user.execute(principal, user_id)
