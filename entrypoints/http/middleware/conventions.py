"""HTTP conventions that hold for every route, as one pure ASGI middleware.

- HEAD is served wherever GET is: the request runs as a GET and the body is dropped on the
  way out (the headers, Content-Length included, are the GET's, as RFC 9110 asks). The OpenAPI
  document keeps listing GET only.
- A collection path works with and without its trailing slash (`/api/users` is served as
  `/api/users/`), with no redirect: a 307 is not followed by common clients and would point at
  whatever Host the client sent.
"""

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def collection_paths(app: Any) -> frozenset[str]:
    """The collection paths of the app's OpenAPI document, without their trailing slash."""
    return frozenset(
        path.rstrip("/") for path in app.openapi()["paths"] if len(path) > 1 and path[-1] == "/"
    )


class HttpConventions:
    """HEAD as GET without a body; `/collection` served as `/collection/`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._collections: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._collections is None:
            self._collections = collection_paths(scope["app"])
        outer, path = scope, scope["path"]
        if path in self._collections:
            scope = {**scope, "path": path + "/", "raw_path": scope.get("raw_path", b"") + b"/"}
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        try:
            await self.app(scope, receive, send)
        finally:
            # the router records the matched route in the scope it was given; hand it back to
            # the middleware outside (access log, metrics), which holds the original scope
            if scope is not outer and "route" in scope:
                outer["route"] = scope["route"]


def _without_body(send: Send) -> Send:
    """`send`, with every response body replaced by an empty one (a HEAD response)."""

    async def without_body(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return without_body
