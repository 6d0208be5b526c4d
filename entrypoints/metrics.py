"""Prometheus metrics (prometheus-client): what they are, how the store is timed, the scrape.

Every metric is defined once, here, at import. Labels are bounded: HTTP metrics are labelled
by route *template* (`/api/users/{user_id}`), never the raw path; store metrics by adapter
and `port.method`; refusals by error code.

With several worker processes (`storefront serve --workers N`) `serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts; prometheus-client then
keeps each process's values in memory-mapped files there, and a scrape (answered by any
worker) sums them: counters and histograms add up, the in-flight and pool gauges add the live
processes' values (`livesum`).
"""

import asyncio
import contextlib
import functools
import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from dependency_injector import containers, providers
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
POOL_SAMPLE_SECONDS = 5.0
disable_created_metrics()  # no `_created` series: they double the scrape for little use

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_FLIGHT = Gauge(
    "http_requests_in_flight",
    "HTTP requests being served right now.",
    multiprocess_mode="livesum",
)
STORE_LATENCY = Histogram(
    "storefront_store_operation_duration_seconds",
    "Store port calls, by adapter and operation (port.method), errors included.",
    ["adapter", "operation"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
POOL_IN_USE = Gauge(
    "storefront_store_pool_connections_in_use",
    "Connections checked out of the store's pool (MongoDB, PostgreSQL).",
    ["adapter"],
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "storefront_store_pool_connections",
    "Connections open in the store's pool (MongoDB, PostgreSQL).",
    ["adapter"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "storefront_store_pool_max_connections",
    "The pool's configured maximum, per process (MongoDB, PostgreSQL).",
    ["adapter"],
    multiprocess_mode="livesum",
)
SQLITE_BATCH = Histogram(
    "storefront_sqlite_commit_batch_size",
    "Writes acknowledged by one SQLite group commit (one fsync).",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
ORDERS_PLACED = Counter(
    "storefront_orders_placed_total",
    "Orders placed (idempotent replays not counted).",
)
ORDERS_REFUSED = Counter(
    "storefront_orders_refused_total",
    "Orders refused, by the error code the client got (insufficient_stock, invalid, ...).",
    ["reason"],
)
LOGIN_FAILURES = Counter(
    "storefront_login_failures_total",
    "Failed token requests, by reason (invalid_credentials, rate_limited, ...).",
    ["reason"],
)
RATE_LIMITED = Counter(
    "storefront_rate_limited_total",
    "Requests refused with 429, by policy (default, login, login-account, signup).",
    ["policy"],
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "storefront_rate_limit_storage_errors_total",
    "Rate-limit storage (Redis) failures; the request was let through (fail open).",
)


def record_login_failure(reason: str) -> None:
    """The seam for the login route: count one failed token request."""
    LOGIN_FAILURES.labels(reason).inc()


# --- the scrape -------------------------------------------------------------------------------


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape reads: every worker's files in multiprocess mode, else ours."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of `registry` (reads files: call it off the loop)."""
    return generate_latest(registry)


def mark_process_dead() -> None:
    """In multiprocess mode, drop this process's live gauges (call at shutdown)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())


# --- the store, timed through its ports ------------------------------------------------------


def _timed(method: Callable[..., Awaitable[Any]], histogram: Any) -> Callable[..., Any]:
    observe = histogram.observe
    clock = time.perf_counter

    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return await method(*args, **kwargs)
        finally:
            observe(clock() - started)

    return timed


class TimedPort:
    """A proxy of a port implementation whose public `async def` methods are timed into
    STORE_LATENCY{adapter, operation="<port>.<method>"}; everything else passes through.

    The wrappers (and their label children) are built once, here, not per call.
    """

    def __init__(self, target: Any, adapter: str, port: str) -> None:
        self._target = target
        self.timed_operations: list[str] = []
        for name in dir(type(target)):
            if name.startswith("_"):
                continue
            static = inspect.getattr_static(type(target), name)
            if inspect.iscoroutinefunction(static):
                operation = f"{port}.{name}"
                child = STORE_LATENCY.labels(adapter, operation)
                setattr(self, name, _timed(getattr(target, name), child))
                self.timed_operations.append(operation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class TimedUnitOfWork:
    """A unit of work whose `commit` (the store transaction) is timed as `uow.commit`."""

    def __init__(self, inner: Any, commit_histogram: Any) -> None:
        self._inner = inner
        self.commit = _timed(inner.commit, commit_histogram)

    async def __aenter__(self) -> "TimedUnitOfWork":
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._inner.__aexit__(*exc_info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _timed_uow_factory(factory: Callable[[], Any], adapter: str) -> Callable[[], Any]:
    child = STORE_LATENCY.labels(adapter, "uow.commit")
    return lambda: TimedUnitOfWork(factory(), child)


TIMED_PORTS = (
    "users",
    "products",
    "inventory",
    "product_search",
    "orders",
    "idempotency",
    "analytics",
    "ping",
)


def instrument_storage(
    storage: containers.DeclarativeContainer, adapter: str
) -> containers.DynamicContainer:
    """The same providers as `storage`, with the ports the use cases call timed.

    The original providers stay in place (and overridable: tests override `client`); the
    timed ones wrap them, so `container.storage.users()` is a TimedPort of the real one.
    """
    timed = containers.DynamicContainer()
    for name, provider in storage.providers.items():
        if name in TIMED_PORTS:
            setattr(timed, name, providers.Singleton(TimedPort, provider, adapter, name))
        elif name == "uow":
            setattr(timed, name, providers.Singleton(_timed_uow_factory, provider, adapter))
        else:
            setattr(timed, name, provider)
    return timed


# --- orders -----------------------------------------------------------------------------------


class CountedPlaceOrder:
    """PlaceOrder, counting ORDERS_PLACED and ORDERS_REFUSED{reason=error code}."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        try:
            placed = await self._inner.execute(*args, **kwargs)
        except Exception as exc:
            ORDERS_REFUSED.labels(getattr(exc, "code", "error")).inc()
            raise
        if not placed.replayed:
            ORDERS_PLACED.inc()
        return placed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountedLogin:
    """Login, counting LOGIN_FAILURES{reason=error code} (invalid_credentials, ...)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._inner.execute(*args, **kwargs)
        except Exception as exc:
            LOGIN_FAILURES.labels(getattr(exc, "code", "error")).inc()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# --- pools ------------------------------------------------------------------------------------


def sample_pools(adapter: str, stats: Callable[[], tuple[int, int, int] | None]) -> None:
    """Set the pool gauges from `stats()` = (in use, open, maximum), or None (no pool yet)."""
    values = stats()
    if values is None:
        return
    in_use, size, maximum = values
    POOL_IN_USE.labels(adapter).set(in_use)
    POOL_SIZE.labels(adapter).set(size)
    POOL_MAX.labels(adapter).set(maximum)


async def sample_pools_forever(
    adapter: str, stats: Callable[[], tuple[int, int, int] | None]
) -> None:
    """Refresh the pool gauges every POOL_SAMPLE_SECONDS (each worker its own pool)."""
    while True:
        with contextlib.suppress(Exception):
            sample_pools(adapter, stats)
        await asyncio.sleep(POOL_SAMPLE_SECONDS)
