"""Request bodies over a limit are refused with 413 before they are read whole.

A declared Content-Length over the limit is refused before any byte of the body is read; a
body without one (chunked) is counted as it streams in and refused as soon as it passes the
limit, so a 300 MiB upload costs the server one chunk of memory, not 300 MiB. The refusal is
an HTTPException(413) raised from `receive`, which FastAPI lets through its body reading, so
the answer is the app's usual `{"detail", "code": "content_too_large"}`.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.json import ExactJSONResponse


def _header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's raw value (names are lower-case in ASGI), without building Headers."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes"


class BodyLimit:
    """413 for a body over `default` bytes (`per_path` gives some paths another limit)."""

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed Content-Length itself
            if too_large:
                response = ExactJSONResponse(
                    {"detail": _too_large(limit), "code": "content_too_large"},
                    status_code=413,
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit), headers={"Connection": "close"})
            return message

        await self.app(scope, counting_receive, send)
