"""The route class of every API router: the HTTP conventions of SPEC "Input rules and HTTP
conventions", applied once for the whole app instead of route by route (HEAD and slash-less
collection paths are in middleware/conventions.py):

- a scalar query parameter sent twice is a 422 (`multiple_values`), never "the last wins";
- a query value holding NUL is a 422 (no store keeps it alike);
- a request body is JSON (another Content-Type is a 415), read by `loads_exact`: amounts as
  Decimal without a float step, NaN and NUL/lone surrogates refused as 422.
"""

import os
from collections.abc import Callable, Coroutine
from typing import Any

from anyio import to_thread
from fastapi import HTTPException, Request, Response, params
from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from entrypoints.http import paths  # noqa: F401  (registers the `{name:id}` path convertor)
from entrypoints.http.json import JsonBodyError, forbidden_text, loads_exact, text_problem

# bodies larger than this are parsed in a worker thread, so the event loop is not held
THREAD_PARSE_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ExactJsonRequest(Request):
    """A request whose `json()` is `loads_exact` (parsed once, cached)."""

    async def json(self) -> Any:
        if not hasattr(self, "_exact_json"):
            body = await self.body()
            if len(body) > THREAD_PARSE_BYTES:
                self._exact_json = await to_thread.run_sync(loads_exact, body)
            else:
                self._exact_json = loads_exact(body)
        return self._exact_json


def _query_fields(dependant: Dependant) -> list[Any]:
    fields = list(dependant.query_params)
    for sub in dependant.dependencies:
        fields += _query_fields(sub)
    return fields


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _problem(kind: str, loc: tuple[int | str, ...], msg: str) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, "input": None}


class StorefrontRoute(APIRoute):
    """An APIRoute with the app's HTTP conventions (see the module docstring).

    A route without path parameters answers "no match" for any other path at once, by a
    string comparison, before FastAPI's matching (scope bookkeeping, a regex, dicts).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._static_path = None if "{" in self.path else self.path

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        static = self._static_path
        if static is not None and scope["type"] == "http" and get_route_path(scope) != static:
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        scalar_query = frozenset(
            field.alias
            for field in _query_fields(self.dependant)
            if not field_annotation_is_sequence(field.field_info.annotation)
        )
        # a form route (OAuth2's token endpoint) keeps FastAPI's form parsing; its values are
        # checked for NUL and lone surrogates like any JSON text
        takes_form = self.body_field is not None and isinstance(
            self.body_field.field_info, params.Form
        )
        takes_body = self.body_field is not None and not takes_form

        async def route_handler(request: Request) -> Response:
            if request.scope["query_string"]:
                _check_query(request, scalar_query)
            if takes_body and request.method in _BODY_METHODS:
                request = ExactJsonRequest(request.scope, request.receive)
                await _read_json_body(request)
            elif takes_form and request.method in _BODY_METHODS:
                await _check_form(request)
            return await handler(request)

        return route_handler


def _check_query(request: Request, scalar: frozenset[str]) -> None:
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if name in scalar:
            if name in seen:
                problems.append(
                    _problem("multiple_values", ("query", name), "Send this parameter once")
                )
            seen.add(name)
        if forbidden_text(value) or forbidden_text(name):
            problems.append(text_problem(("query", name)))
    if problems:
        raise RequestValidationError(problems)


async def _check_form(request: Request) -> None:
    """422 for a form field holding NUL or a lone surrogate (the form is parsed once: Starlette
    keeps it for FastAPI)."""
    form = await request.form()
    problems = [
        text_problem(("body", name))
        for name, value in form.multi_items()
        if forbidden_text(name) or (isinstance(value, str) and forbidden_text(value))
    ]
    if problems:
        raise RequestValidationError(problems)


async def _read_json_body(request: ExactJsonRequest) -> None:
    """415 for a body that is not JSON; 422 for JSON no store could hold."""
    body = await request.body()
    if not body:
        return  # FastAPI reports the missing body as a 422
    content_type = request.headers.get("content-type")
    if content_type is None or not _is_json(content_type):
        raise HTTPException(415, "The request body must be JSON (Content-Type: application/json)")
    try:
        await request.json()
    except JsonBodyError as exc:
        raise RequestValidationError(exc.problems) from None


def _literal_prefix(route_paths: list[str]) -> str:
    """The longest text every path starts with, cut before the first `{` (a parameter)."""
    if not route_paths:
        return ""
    common = os.path.commonprefix(route_paths)  # noqa: RUF071 - a text prefix, not path parts
    return common.split("{", 1)[0]


class StorefrontRouter(APIRouter):
    """An APIRouter that answers "no match" at once for a path outside what its routes share.

    FastAPI matches an included router by trying each of its routes in turn (and the router
    that matches, twice: once to choose it, once to pick its route), so every request paid a
    path match against most routes of the app. None of a router's routes can match a path
    that does not start with the literal prefix all their paths share (`/api/products/`,
    `/health`), so this check changes no answer. The routers are included without a prefix
    (app.py): their routes' paths are the whole paths.
    """

    _shared: tuple[int, str] = (-1, "")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        count, shared = self._shared
        if count != len(self.routes):  # routes are added at import time: computed once
            route_paths = [getattr(route, "path", "") for route in self.routes]
            count, shared = self._shared = (len(self.routes), _literal_prefix(route_paths))
        if shared and not get_route_path(scope).startswith(shared):
            return Match.NONE, {}
        return super().matches(scope)
