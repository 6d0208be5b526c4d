"""Errors -> HTTP responses, in one place: domain errors by a status table, framework errors
(404/405/413/415/...) and request validation in the same `{"detail", "code"}` shape
(entrypoints/http/schemas/errors.py), and one log line with one traceback per 500."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from entrypoints.http.json import ExactJSONResponse
from entrypoints.http.schemas.errors import (
    DETAIL_CHARS,
    ErrorBody,
    excerpt,
    problems,
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

# the `code` of an HTTP error raised by the framework or a middleware, by status
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "content_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}

__all__ = ["ErrorBody", "error_responses", "install", "status_for"]


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


def error_response(status: int, detail: str, code: str, headers=None) -> ExactJSONResponse:
    return ExactJSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> ExactJSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(
        status_for(exc), excerpt(exc.detail, DETAIL_CHARS), exc.code, _challenge(exc)
    )


async def _validation_error(request: Request, exc: Exception) -> ExactJSONResponse:
    """FastAPI's 422 list (at most 20, without the inputs: they may hold a password)."""
    assert isinstance(exc, RequestValidationError)
    return ExactJSONResponse(
        {"detail": problems(list(exc.errors())), "code": "validation_error"}, status_code=422
    )


def allowed_methods(request: Request) -> set[str]:
    """Every method some route serves at this path (405's `Allow` header)."""
    allowed: set[str] = set()
    scope = dict(request.scope)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        scope["method"] = method
        for route in request.app.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                allowed.add(method)
                break
    if "GET" in allowed:
        allowed.add("HEAD")  # HttpConventions serves HEAD wherever GET is
    return allowed


async def _http_error(request: Request, exc: Exception) -> ExactJSONResponse:
    """Starlette/FastAPI HTTP errors (404 no route, 405, 413, 415, 400...) in our shape."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(exc.status_code, excerpt(detail, DETAIL_CHARS), code, headers)


class UnhandledErrors:
    """Pure ASGI middleware: any exception the handlers above do not know becomes a 500
    `{"detail", "code": "internal"}` and is logged here ONCE with its traceback; it is not
    re-raised, so the server does not log the same traceback a second time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                response = error_response(500, "Internal server error", "internal")
                await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(UnhandledErrors)
