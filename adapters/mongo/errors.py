"""Driver errors -> domain errors; nothing from pymongo escapes this package."""

import functools
import re
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from pymongo import errors

from domain.errors import DomainError, DuplicateError, StoreTimeoutError, UnavailableError

P = ParamSpec("P")
T = TypeVar("T")
_ILLEGAL_OPERATION = 20
NEEDS_REPLICA_SET = (
    "MongoDB transactions are unavailable: orders need a replica set "
    "(a single-node replica set is enough), not a standalone server"
)
_INDEX_NAME = re.compile(r"index: (\w+?)(?:_unique|_1)?\s")


def duplicate_field(exc: errors.DuplicateKeyError | errors.BulkWriteError) -> str:
    """The field of the unique index a duplicate-key error hit."""
    details = exc.details or {}
    if details.get("writeErrors"):
        details = details["writeErrors"][0]
    pattern = details.get("keyPattern")
    if pattern:
        return next(iter(pattern))
    match = _INDEX_NAME.search(details.get("errmsg", str(exc)))
    return match.group(1) if match else "key"


def translate(exc: errors.PyMongoError) -> DomainError | None:
    """The domain error for a driver error, or None when it is a bug to surface as a 500."""
    if isinstance(exc, errors.DuplicateKeyError):
        return DuplicateError(duplicate_field(exc))
    if isinstance(exc, errors.BulkWriteError):
        write_errors = (exc.details or {}).get("writeErrors") or []
        if write_errors and write_errors[0].get("code") == 11000:
            return DuplicateError(duplicate_field(exc))
        return None
    if (
        isinstance(exc, errors.OperationFailure)
        and exc.code == _ILLEGAL_OPERATION
        and ("Transaction numbers" in str(exc) or "replica set" in str(exc))
    ):
        return UnavailableError(NEEDS_REPLICA_SET)
    if isinstance(exc, errors.ServerSelectionTimeoutError):
        return UnavailableError()
    if isinstance(exc, errors.ExecutionTimeout | errors.WTimeoutError | errors.NetworkTimeout):
        return StoreTimeoutError()
    if getattr(exc, "timeout", False):
        return StoreTimeoutError()
    if isinstance(exc, errors.ConnectionFailure):
        return UnavailableError()
    return None


def translated(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate an adapter coroutine so driver errors leave it as domain errors."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except errors.PyMongoError as exc:
            domain_error = translate(exc)
            if domain_error is None:
                raise
            raise domain_error from None

    return wrapper
