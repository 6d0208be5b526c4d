"""Driver errors -> domain errors; nothing from asyncpg escapes this package."""

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from asyncpg import exceptions as pg

from domain.errors import DomainError, DuplicateError, StoreTimeoutError, UnavailableError

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# Everything the driver or the socket under it can raise.
DRIVER_ERRORS = (pg.PostgresError, pg.InterfaceError, pg.InternalClientError, OSError)


def duplicate_field(exc: pg.UniqueViolationError) -> str:
    """The field a unique violation hit, from the constraint name (`<table>_<field>_key`)."""
    name, table = exc.constraint_name or "", exc.table_name or ""
    if name.endswith("_pkey"):
        return "_id"
    if table and name.startswith(f"{table}_") and name.endswith("_key"):
        return name[len(table) + 1 : -len("_key")]
    return name or "key"


def translate(exc: BaseException) -> DomainError | None:
    """The domain error for a driver error, or None when it is a bug to surface as a 500."""
    if isinstance(exc, pg.UniqueViolationError):
        return DuplicateError(duplicate_field(exc))
    # statement_timeout (57014) and lock_timeout (55P03): the server gave up waiting
    if isinstance(exc, pg.QueryCanceledError | pg.LockNotAvailableError):
        return StoreTimeoutError()
    if isinstance(exc, TimeoutError):  # asyncpg's client-side command timeout
        return StoreTimeoutError()
    if isinstance(
        exc,
        pg.PostgresConnectionError  # 08xxx, incl. ConnectionDoesNotExistError
        | pg.OperatorInterventionError  # 57Pxx: terminated, shutting down, starting up
        | pg.InsufficientResourcesError  # 53xxx: too many connections, disk full
        | pg.InterfaceError  # connection closed or pool closing under our feet
        | OSError,  # refused, reset, unreachable
    ):
        log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
        return UnavailableError()
    return None


@contextmanager
def translating() -> Iterator[None]:
    """Re-raise driver errors inside the block as domain errors (or a plain RuntimeError)."""
    try:
        yield
    except DRIVER_ERRORS as exc:
        domain_error = translate(exc)
        if domain_error is not None:
            raise domain_error from None
        sqlstate = getattr(exc, "sqlstate", None)
        raise RuntimeError(f"unexpected PostgreSQL error {type(exc).__name__} {sqlstate}") from exc


def translated(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate an adapter coroutine so driver errors leave it as domain errors."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with translating():
            return await method(*args, **kwargs)

    return wrapper
