"""Request id, access log, HTTP metrics and `/metrics`, in one pure ASGI middleware.

It is the outermost layer (outside Starlette's error middleware), so every response, a 500
included, carries `X-Request-ID` and is counted and logged once. Per request it costs two
`perf_counter` calls, a uuid4 when the client sent no id, one access line and two metric
updates on cached label children; everything else is built at start-up.
"""

import ipaddress
import time
from typing import Any

import anyio
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints import metrics
from entrypoints.http.middleware.context import (
    REQUEST_ID_KEY,
    USER_ID_KEY,
    client_address,
    request_id_from,
    trace_from,
)

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
METRICS_PATH = "/metrics"


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDRs -> networks; ValueError names a bad entry."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label set), or UNMATCHED; without path
    convertors (`/api/users/{user_id}`, not `{user_id:id}`), as the OpenAPI document names it."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class ObserveMiddleware:
    """X-Request-ID in and out, trace id, one access line and the HTTP metrics per request;
    answers GET /metrics itself, to the networks in `metrics_allowed` only (else 403)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics_allowed: str,
        on_lifespan: Any = None,
        before_scrape: Any = None,
    ) -> None:
        self.app = app
        self.before_scrape = before_scrape
        self.allowed = parse_networks(metrics_allowed)
        self.log = structlog.get_logger().bind(logger="storefront.access")
        self.on_lifespan = on_lifespan
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._in_flight = metrics.HTTP_IN_FLIGHT
        self._registry = metrics.scrape_registry()

    def _metric_children(self, method: str, route: str, status: str) -> tuple[Any, Any]:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                metrics.HTTP_REQUESTS.labels(method, route, status),
                metrics.HTTP_LATENCY.labels(method, route, status),
            )
            self._children[key] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and self.on_lifespan is not None:
                await self.on_lifespan(self.app, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id_header = traceparent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id_header = value
            elif name == b"traceparent":
                traceparent = value
        request_id = request_id_from(request_id_header)
        scope[REQUEST_ID_KEY] = request_id
        trace = trace_from(traceparent)
        if trace is None:
            tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        else:
            tokens = structlog.contextvars.bind_contextvars(
                request_id=request_id, trace_id=trace[0], parent_span_id=trace[1]
            )
        id_header = (b"x-request-id", request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        self._in_flight.inc()
        try:
            if scope["path"] == METRICS_PATH:
                await self._metrics(scope, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            self._in_flight.dec()
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = METRICS_PATH if scope["path"] == METRICS_PATH else route_template(scope)
            count, latency = self._metric_children(method, route, str(status))
            count.inc()
            latency.observe(elapsed)
            self.log.info(
                "request",
                method=method,
                route=route,
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 3),
                client=client_address(scope),
                user_id=scope.get(USER_ID_KEY),
            )
            structlog.contextvars.reset_contextvars(**tokens)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        address = client_address(scope)
        allowed = False
        if address is not None:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                ip = None
            allowed = ip is not None and any(ip in network for network in self.allowed)
        if scope["method"] not in ("GET", "HEAD"):
            await _plain(
                send,
                405,
                b'{"detail":"Method Not Allowed","code":"method_not_allowed"}',
                [(b"allow", b"GET, HEAD")],
            )
            return
        if not allowed:
            await _plain(
                send, 403, b'{"detail":"Metrics are not served to this address","code":"forbidden"}'
            )
            return
        if self.before_scrape is not None:
            self.before_scrape()
        body = await anyio.to_thread.run_sync(metrics.render, self._registry)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", metrics.CONTENT_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


async def _plain(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
