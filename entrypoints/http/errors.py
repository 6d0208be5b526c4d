"""Domain errors -> HTTP status codes, in one table."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidTokenError,
    NotFoundError,
    PreconditionFailedError,
    StoreTimeoutError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedError,
    ValidationError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    PreconditionFailedError: 412,
    UnavailableError: 503,
    StoreTimeoutError: 504,
    UnsupportedError: 501,
}


class ErrorBody(BaseModel):
    detail: str
    code: str


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


_DESCRIPTIONS = {
    401: "No valid bearer token (missing where one is needed, bad, expired or revoked); "
    "sent with `WWW-Authenticate: Bearer`",
    403: "The caller's role may not do this (`code: forbidden`)",
}


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` for routes that can fail with these codes."""
    return {
        code: {
            "model": ErrorBody,
            **({"description": _DESCRIPTIONS[code]} if code in _DESCRIPTIONS else {}),
        }
        for code in codes
    }


def _challenge(exc: DomainError) -> dict[str, str] | None:
    """RFC 6750 section 3: a 401 names the Bearer scheme (and `invalid_token` when one was
    sent and refused)."""
    if isinstance(exc, InvalidTokenError):
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if isinstance(exc, UnauthorizedError):
        return {"WWW-Authenticate": "Bearer"}
    return None


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(
        {"detail": exc.detail, "code": exc.code},
        status_code=status_for(exc),
        headers=_challenge(exc),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 shape, without echoing the input: it may hold a password."""
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()]
    for e in errors:
        if "ctx" in e:
            e["ctx"] = {k: str(v) for k, v in e["ctx"].items()}
    return JSONResponse({"detail": errors}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error", "code": "internal"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
