"""Identity routes: the OAuth2 password grant, refresh-token rotation and logout."""

from typing import Annotated

from fastapi import Form, Response, status
from pydantic import BaseModel, ConfigDict, Field

from entrypoints.http.deps import ServicesDep
from entrypoints.http.errors import error_responses
from entrypoints.http.routing import StorefrontRoute, StorefrontRouter

router = StorefrontRouter(prefix="/api/auth", tags=["auth"], route_class=StorefrontRoute)
_STORE_ERRORS = (503, 504)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 section 5.1


class TokenOut(BaseModel):
    """RFC 6749 section 5.1: a bearer access token (a JWT), its lifetime in seconds, and an
    opaque refresh token (single use: each refresh returns a new one)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


@router.post(
    "/token",
    response_model=TokenOut,
    responses=error_responses(401, 422, *_STORE_ERRORS),
    summary="Log in (OAuth2 password grant): username or email, and password",
)
async def login(
    response: Response,
    services: ServicesDep,
    username: Annotated[str, Form(min_length=1, max_length=320, description="username or email")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    # an empty form value is read as a missing one, which the pattern says
    grant_type: Annotated[
        str | None, Form(pattern="^(password)?$", description="`password`; may be left out")
    ] = None,
    scope: Annotated[str, Form(max_length=1024)] = "",
) -> TokenOut:
    """A form body (`application/x-www-form-urlencoded`) as OAuth2 specifies. A wrong
    password, an unknown account and a deactivated user all answer the same 401
    `invalid_credentials` in about the same time."""
    pair = await services.login.execute(username, password)
    response.headers.update(_NO_STORE)
    return TokenOut(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/refresh",
    response_model=TokenOut,
    responses=error_responses(401, 422, *_STORE_ERRORS),
    summary="Trade a refresh token for a new pair (the old refresh token dies)",
)
async def refresh(body: RefreshIn, response: Response, services: ServicesDep) -> TokenOut:
    """Presenting a refresh token that was already used revokes every token of its login
    (theft detection): log in again."""
    pair = await services.refresh_access.execute(body.refresh_token)
    response.headers.update(_NO_STORE)
    return TokenOut(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(422, *_STORE_ERRORS),
    summary="Revoke a refresh token and every token rotated from the same login",
)
async def logout(body: RefreshIn, services: ServicesDep) -> None:
    """Always 204, whether or not the token was known. Access tokens already issued stay
    valid until they expire (ACCESS_TOKEN_MINUTES)."""
    await services.logout.execute(body.refresh_token)
