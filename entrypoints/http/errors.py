"""Domain errors -> HTTP status codes, in one table."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PreconditionFailedError,
    StoreTimeoutError,
    UnavailableError,
    UnsupportedError,
    ValidationError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
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


def error_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` for routes that can fail with these codes."""
    return {code: {"model": ErrorBody} for code in codes}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=status_for(exc))


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
