"""Only hosts in ALLOWED_HOSTS are served (against DNS rebinding).

Starlette's TrustedHostMiddleware matching (exact names, `*.example.com` for subdomains, `*`
for any), answered in the app's error shape: 400 `{"detail", "code": "invalid_host"}`. A
request with more than one Host header is a 400 whatever ALLOWED_HOSTS says (RFC 9112 §3.2:
"MUST respond with a 400"), since the app and a proxy in front may each read another one.
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
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope["headers"] if k == b"host"]
        if len(hosts) > 1:
            detail = "More than one Host header"
        elif self.any or self.allows(hosts[0].decode("latin-1") if hosts else ""):
            await self.app(scope, receive, send)
            return
        else:
            detail = "Invalid host header"
        response = ExactJSONResponse({"detail": detail, "code": "invalid_host"}, status_code=400)
        await response(scope, receive, send)
