"""Rate limits (the `limits` library) as pure ASGI middleware, in process or on Redis.

Policies, each a sliding-window counter over one minute (limits' SlidingWindowCounter: two
counters per key, one Redis script call per hit, no burst of twice the limit at a window
edge as a fixed window allows):

- `default`: RATE_LIMIT_PER_MINUTE per client address, or per user when the request carries
  a valid bearer token (`identify`, the seam the auth layer fills in);
- `login`: RATE_LIMIT_LOGIN_PER_MINUTE on `POST /api/auth/token` per client address, and
  `login-account` the same per account (the form's `username`, case-folded) so a password
  cannot be guessed from many addresses either;
- `signup`: RATE_LIMIT_SIGNUP_PER_MINUTE anonymous `POST /api/users/` per client address;
- `reauth`: RATE_LIMIT_LOGIN_PER_MINUTE on a caller's PATCH of their own user
  (`/api/users/me` or their own id), per user: a password change proves `current_password`,
  which must not be guessable faster than a login (OWASP API2:2023, Broken Authentication).

Over a limit: 429 `{"detail", "code": "rate_limited"}` with `Retry-After` and the IETF
`RateLimit-Policy`/`RateLimit` headers (draft-ietf-httpapi-ratelimit-headers). Storage errors
(Redis down or slow) fail open: the request goes through, a warning is logged (at most once
per STORAGE_RETRY_SECONDS) and Redis is not asked again for STORAGE_RETRY_SECONDS, so an
outage costs at most one timeout per period, never a 500.
"""

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import structlog
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints import metrics
from entrypoints.http.middleware.context import client_address

LOGIN_PATHS = frozenset({"/api/auth/token"})
SIGNUP_PATHS = frozenset({"/api/users/", "/api/users"})
EXEMPT_PATHS = frozenset({"/metrics", "/health/live"})
STORAGE_RETRY_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 0.25
LOGIN_BODY_PEEK_BYTES = 8192

LOGGER = "storefront.ratelimit"


@dataclass(frozen=True, slots=True)
class _Label:
    """Stands in for a matched route in the metrics (`route` label) of a request we refused."""

    path: str


REJECTED = _Label("<rate_limited>")


@dataclass(frozen=True, slots=True)
class Policy:
    """One limit: `name` (the header's policy name) and its `item` (N per minute)."""

    name: str
    item: RateLimitItemPerMinute

    @classmethod
    def per_minute(cls, name: str, amount: int) -> "Policy":
        return cls(name, RateLimitItemPerMinute(amount, namespace=name))


def make_storage(redis_url: str | None, key_prefix: str) -> Storage:
    """limits' async storage: Redis (redis-py) when `redis_url` is set, else in process."""
    if not redis_url:
        return MemoryStorage()
    scheme, sep, rest = redis_url.partition("://")
    if not sep or scheme not in {"redis", "rediss", "redis+unix"}:
        raise ValueError("REDIS_URL must be a redis://, rediss:// or redis+unix:// URL")
    return RedisStorage(
        f"async+{scheme}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


class RateLimiter:
    """The policies over one storage, failing open on storage errors."""

    def __init__(
        self,
        storage: Storage,
        *,
        per_minute: int,
        login_per_minute: int,
        signup_per_minute: int,
    ) -> None:
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.default = Policy.per_minute("default", per_minute)
        self.login = Policy.per_minute("login", login_per_minute)
        self.login_account = Policy.per_minute("login-account", login_per_minute)
        self.signup = Policy.per_minute("signup", signup_per_minute)
        self.reauth = Policy.per_minute("reauth", login_per_minute)
        self._skip_until = 0.0
        self.log = structlog.get_logger().bind(logger=LOGGER)

    async def hit(self, policy: Policy, key: str) -> bool:
        """Count one request under `key`; False when over the limit. Fails open."""
        if self._skip_until and time.monotonic() < self._skip_until:
            return True
        try:
            allowed = await self.strategy.hit(policy.item, key)
        except Exception as exc:
            metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
            self._skip_until = time.monotonic() + STORAGE_RETRY_SECONDS
            self.log.warning(
                "rate_limit_storage_unavailable",
                error=f"{type(exc).__name__}: {exc}",
                fail_open_seconds=STORAGE_RETRY_SECONDS,
            )
            return True
        self._skip_until = 0.0
        return allowed

    async def retry_after(self, policy: Policy, key: str) -> int:
        """Whole seconds until `key` may pass `policy` again (at least 1)."""
        try:
            stats = await self.strategy.get_window_stats(policy.item, key)
        except Exception:
            return policy.item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def aclose(self) -> None:
        """Close the Redis connections (nothing to do in process)."""
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            try:
                await close()
            except Exception as exc:  # closing a connection to a dead server
                self.log.warning("rate_limit_storage_close_failed", error=str(exc))


async def _peek_form(receive: Receive, field: str) -> tuple[str | None, Receive]:
    """The urlencoded form field `field` from the first LOGIN_BODY_PEEK_BYTES of the body,
    and a `receive` that replays what was read (the route still gets the whole body)."""
    messages: deque[Message] = deque()
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False) or len(body) > LOGIN_BODY_PEEK_BYTES:
            break

    async def replay() -> Message:
        if messages:
            return messages.popleft()
        return await receive()

    value = None
    if len(body) <= LOGIN_BODY_PEEK_BYTES:
        values = parse_qs(body.decode("latin-1"), max_num_fields=20).get(field)
        if values:
            value = values[0].strip().casefold()[:320] or None
    return value, replay


def _is_own_user_path(path: str, user: str) -> bool:
    """True for `/api/users/me` and `/api/users/<user>` (with or without a trailing slash)."""
    tail = path.removeprefix("/api/users/").rstrip("/")
    return len(tail) < len(path) and tail in ("me", user)


class RateLimitMiddleware:
    """Applies the RateLimiter's policies before the application sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        identify: Callable[[Scope], str | None] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._closing_on_shutdown(send))
                return
            await self.app(scope, receive, send)
            return
        limiter = self.limiter
        address = client_address(scope) or "unknown"
        user = self.identify(scope) if self.identify is not None else None
        key = f"user:{user}" if user else f"ip:{address}"
        checks = [(limiter.default, key)]
        if scope["method"] == "POST":
            path = scope["path"]
            if path in LOGIN_PATHS:
                account, receive = await _peek_form(receive, "username")
                checks.append((limiter.login, f"ip:{address}"))
                if account:
                    checks.append((limiter.login_account, f"account:{account}"))
            elif path in SIGNUP_PATHS and not user:
                checks.append((limiter.signup, f"ip:{address}"))
        elif user and scope["method"] == "PATCH" and _is_own_user_path(scope["path"], user):
            checks.append((limiter.reauth, f"user:{user}"))
        for policy, policy_key in checks:
            if not await limiter.hit(policy, policy_key):
                await self._reject(scope, send, policy, policy_key)
                return
        await self.app(scope, receive, send)

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.limiter.aclose()
            await send(message)

        return wrapped

    async def _reject(self, scope: Scope, send: Send, policy: Policy, key: str) -> None:
        retry_after = await self.limiter.retry_after(policy, key)
        limit = policy.item.amount
        window = policy.item.get_expiry()
        metrics.RATE_LIMITED.labels(policy.name).inc()
        if policy.name.startswith("login"):
            metrics.record_login_failure("rate_limited")
        scope["route"] = REJECTED  # the router never ran: one label for every 429 of ours
        body = (
            b'{"detail":"Too many requests: the limit is %d per %d seconds; retry in %d s",'
            b'"code":"rate_limited"}' % (limit, window, retry_after)
        )
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                    (b"ratelimit-policy", f'"{policy.name}";q={limit};w={window}'.encode()),
                    (b"ratelimit", f'"{policy.name}";r=0;t={retry_after}'.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        self.limiter.log.info("rate_limited", policy=policy.name, retry_after=retry_after)
