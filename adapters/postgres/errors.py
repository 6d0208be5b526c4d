"""Driver errors -> domain errors; nothing from asyncpg escapes this package."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from asyncpg import exceptions as pg

from domain.errors import (
    ConflictError,
    DomainError,
    DuplicateError,
    StoreTimeoutError,
    UnavailableError,
)

log = logging.getLogger(__name__)

# Everything the driver or the socket under it can raise.
DRIVER_ERRORS = (pg.PostgresError, pg.InterfaceError, pg.InternalClientError, OSError)

# The connection died under the statement (killed, reset, or left in a state asyncpg cannot
# continue from); whatever was sent on it may or may not have run.
CONNECTION_LOST = (
    pg.PostgresConnectionError,  # 08xxx, incl. ConnectionDoesNotExistError
    pg.AdminShutdownError,  # 57P01: pg_terminate_backend, smart/fast shutdown
    pg.CrashShutdownError,  # 57P02
    pg.InterfaceError,  # the connection is closed, or the pool is closing
    pg.InternalClientError,  # protocol state lost, or a stale statement cache
    ConnectionError,  # reset, aborted, broken pipe
)


# Raised by asyncpg itself before anything is sent: the pooled connection was already dead
# (the server's goodbye arrived while it sat idle) or its protocol state is unusable.
DEAD_BEFORE_USE = (pg.InterfaceError, pg.InternalClientError)


class ConnectionLostError(UnavailableError):
    """The connection died under a statement, which may or may not have run."""


class StaleConnectionError(ConnectionLostError):
    """The pooled connection was dead before the statement was sent; safe to try another."""


class TransactionConflictError(ConflictError):
    """A serialization failure or a deadlock: the transaction was rolled back; a retry of the
    whole transaction may succeed (the unit of work does so), else it is a 409."""

    code = "concurrent_change"

    def __init__(self) -> None:
        super().__init__("A concurrent change got in the way; try again")


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
    # 40001 serialization_failure, 40P01 deadlock_detected
    if isinstance(exc, pg.SerializationError | pg.DeadlockDetectedError):
        log.info("PostgreSQL transaction conflict: %s: %s", type(exc).__name__, exc)
        return TransactionConflictError()
    # statement_timeout (57014) and lock_timeout (55P03): the server gave up waiting
    if isinstance(exc, pg.QueryCanceledError | pg.LockNotAvailableError):
        return StoreTimeoutError()
    if isinstance(exc, TimeoutError):  # asyncpg's client-side command timeout
        return StoreTimeoutError()
    if isinstance(exc, DEAD_BEFORE_USE):
        log.info("PostgreSQL: stale pooled connection: %s: %s", type(exc).__name__, exc)
        return StaleConnectionError()
    if isinstance(exc, CONNECTION_LOST):
        log.warning("PostgreSQL connection lost: %s: %s", type(exc).__name__, exc)
        return ConnectionLostError()
    if isinstance(
        exc,
        pg.OperatorInterventionError  # 57Pxx: shutting down, starting up
        | pg.InsufficientResourcesError  # 53xxx: too many connections, disk full
        | OSError,  # refused, unreachable
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
