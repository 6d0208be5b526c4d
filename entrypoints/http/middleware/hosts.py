"""Only hosts in ALLOWED_HOSTS are served (against DNS rebinding).

Starlette's TrustedHostMiddleware matching (exact names, `*.example.com` for subdomains, `*`
for any), answered in the app's error shape: 400 `{"detail", "code": "invalid_host"}`.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from entrypoints.http.json import ExactJSONResponse


class AllowedHosts:
    """Refuse a request whose Host header names none of `allowed` (port ignored)."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.any = "*" in allowed
        self.exact = frozenset(h.lower() for h in allowed if not h.startswith("*"))
        self.suffixes = tuple(h[1:].lower() for h in allowed if h.startswith("*."))

    def allows(self, host: str) -> bool:
        if host.startswith("["):  # [::1]:8000
            name = host[1 : host.find("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        name = name.lower()
        return name in self.exact or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        response = ExactJSONResponse(
            {"detail": "Invalid host header", "code": "invalid_host"}, status_code=400
        )
        await response(scope, receive, send)
