"""Cross-cutting HTTP concerns as pure ASGI middleware, configured from settings.

`install(app, settings, container)` (called once by `create_app`) wraps the application's
whole middleware stack, outermost first:

    [ProxyHeadersMiddleware]  uvicorn's: X-Forwarded-For believed only from FORWARDED_ALLOW_IPS
    ObserveMiddleware         X-Request-ID, trace id, access line, HTTP metrics, /metrics
    [RateLimitMiddleware]     the `limits` policies (when RATE_LIMIT_ENABLED)
    Starlette's own stack     ServerErrorMiddleware, the app's middleware, the routes

Being outside Starlette's error middleware, every response (a 500 too) gets its request id
and its one access line. Everything is built when the stack is (at start-up, in the serving
event loop), nothing per request.

At start-up (after the container's resources are up) it also hooks the metrics that need the
store: the SQLite group-commit size, the pool gauges (sampled every few seconds), and the
orders counters around PlaceOrder; at shutdown it stops the sampler, closes the Redis client
and, in multiprocess mode, retires this process's live gauges.
"""

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from entrypoints import metrics
from entrypoints.container import Container, provide
from entrypoints.http.middleware.observe import ObserveMiddleware, parse_networks
from entrypoints.http.middleware.ratelimit import (
    RateLimiter,
    RateLimitMiddleware,
    make_storage,
)
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings

Identify = Callable[[Scope], str | None]
COUNTED_SERVICES = {"place_order": metrics.CountedPlaceOrder, "login": metrics.CountedLogin}
TOKEN_CACHE_SIZE = 10_000


def bearer_identity(container: Container) -> Identify:
    """The user id of a valid bearer token (signature and expiry checked, as the auth layer
    does; the user itself is not read), for per-user rate limits; None without one.

    Verified tokens are remembered until they expire (at most TOKEN_CACHE_SIZE, then the
    memory starts over), so a client's requests cost one HMAC check, not one each.
    """
    cache: dict[bytes, tuple[str, float]] = {}
    issuer: Any = None

    def identify(scope: Scope) -> str | None:
        nonlocal issuer
        value = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if value is None or value[:7].lower() != b"bearer ":
            return None
        token = value[7:].strip()
        known = cache.get(token)
        now = time.time()
        if known is not None and known[1] > now:
            return known[0]
        try:
            issuer = issuer or container.token_issuer()
            claims = issuer.verify(token.decode("ascii"))
        except Exception:
            return None  # a bad token: limited by address; the route answers 401
        if len(cache) >= TOKEN_CACHE_SIZE:
            cache.clear()
        cache[token] = (claims.sub, claims.exp.timestamp())
        return claims.sub

    return identify


def build_limiter(settings: Settings) -> RateLimiter:
    """The rate limiter the settings describe (Redis when REDIS_URL is set)."""
    return RateLimiter(
        make_storage(settings.redis_url, settings.rate_limit_key_prefix),
        per_minute=settings.rate_limit_per_minute,
        login_per_minute=settings.rate_limit_login_per_minute,
        signup_per_minute=settings.rate_limit_signup_per_minute,
    )


class _StoreHooks:
    """Start-up/shutdown work for the metrics that need the running store."""

    def __init__(self, app: FastAPI, container: Container, adapter: str) -> None:
        self.app, self.container, self.adapter = app, container, adapter
        self.sampler: asyncio.Task | None = None
        self.stats: Callable[[], tuple[int, int, int] | None] | None = None

    async def started(self) -> None:
        services = getattr(self.app.state, "services", None)
        if services is not None:
            counted = {
                name: wrapper(getattr(services, name))
                for name, wrapper in COUNTED_SERVICES.items()
                if hasattr(services, name)
            }
            self.app.state.services = dataclasses.replace(services, **counted)
        store = await self._store_object()
        if store is not None and hasattr(store, "on_batch"):
            store.on_batch = metrics.SQLITE_BATCH.observe
        stats = getattr(store, "pool_stats", None)
        if callable(stats):
            self.stats = stats
            self.sampler = asyncio.create_task(metrics.sample_pools_forever(self.adapter, stats))

    async def _store_object(self) -> Any:
        for name in ("db", "store"):
            if name in self.container.storage.providers:
                with contextlib.suppress(Exception):
                    return await provide(getattr(self.container.storage, name))
        return None

    def before_scrape(self) -> None:
        if self.stats is not None:
            with contextlib.suppress(Exception):
                metrics.sample_pools(self.adapter, self.stats)

    async def stopping(self) -> None:
        if self.sampler is not None:
            self.sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sampler
        metrics.mark_process_dead()


def _lifespan_hooks(hooks: _StoreHooks):
    async def on_lifespan(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        async def receive_hooked() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await hooks.stopping()
            return message

        async def send_hooked(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                await hooks.started()
            await send(message)

        await app(scope, receive_hooked, send_hooked)

    return on_lifespan


def install(
    app: FastAPI, settings: Settings, container: Container, identify: Identify | None = None
) -> None:
    """Wrap `app` in the observability and rate-limit middleware (see the module docstring).

    `identify(scope)` returns the authenticated user id for per-user rate limits (None: the
    client address is the key); by default the bearer token's subject (`bearer_identity`).
    Raises ValueError at once on a malformed FORWARDED_ALLOW_IPS or METRICS_ALLOWED_CIDRS.
    """
    configure_logging(settings.log_level, settings.log_format)
    parse_networks(settings.metrics_allowed_cidrs)
    forwarded = settings.forwarded_allow_ips.strip()
    if forwarded and forwarded != "*":
        parse_networks(forwarded)
    hooks = _StoreHooks(app, container, settings.storage_backend.value)
    identify = identify or bearer_identity(container)
    build_inner = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        stack: ASGIApp = build_inner()
        if settings.rate_limit_enabled:
            limiter = build_limiter(settings)
            stack = RateLimitMiddleware(stack, limiter, identify)
        observe = ObserveMiddleware(
            stack,
            metrics_allowed=settings.metrics_allowed_cidrs,
            on_lifespan=_lifespan_hooks(hooks),
            before_scrape=hooks.before_scrape,
        )
        if forwarded:
            return ProxyHeadersMiddleware(observe, trusted_hosts=forwarded)
        return observe

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
