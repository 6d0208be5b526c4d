"""Request-path dependencies: async, and only reading what start-up built."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from domain.access import Principal
from entrypoints.container import Services
from entrypoints.http.middleware.context import bind_user

TOKEN_URL = "/api/auth/token"


async def _services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]


class BearerPrincipal(OAuth2PasswordBearer):
    """The caller, from `Authorization: Bearer <jwt>` (RFC 6750): ONE async dependency, one
    signature check and one user read (application.auth.Authenticate). No token: anonymous
    (routes decide through the policy whether that is enough); a bad one: 401.

    It is FastAPI's OAuth2PasswordBearer, so OpenAPI shows the password flow (the Authorize
    button of /docs) and a lock on every route that uses it.
    """

    def __init__(self) -> None:
        super().__init__(tokenUrl=TOKEN_URL, scheme_name="OAuth2PasswordBearer", auto_error=False)

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        token = await super().__call__(request)
        principal = await request.app.state.services.authenticate.execute(token)
        if principal.user_id is not None:
            bind_user(request.scope, principal.user_id)  # the access line and later log lines
        return principal


PrincipalDep = Annotated[Principal, Depends(BearerPrincipal())]
