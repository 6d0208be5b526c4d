"""How the use cases turn a lost race of a conditional write into the client's answer."""

from collections.abc import Awaitable
from typing import TypeVar

from domain.errors import ConcurrentChangeError, PreconditionFailedError

T = TypeVar("T")


async def stale_as_precondition(write: Awaitable[T], if_match: frozenset[int] | None) -> T:
    """Await a conditional write. When it finds the resource moved on since it was read, a
    client that sent If-Match gets PreconditionFailedError (412: the version it named is
    gone); without If-Match the ConcurrentChangeError stays (409: read again and retry)."""
    try:
        return await write
    except ConcurrentChangeError:
        if if_match is None:
            raise
        raise PreconditionFailedError(
            "the resource was changed by another request meanwhile; read it again and retry"
        ) from None
