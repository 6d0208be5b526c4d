"""Optimistic concurrency: every user, product and order carries a version number.

A stored resource starts at version 1; every write that changes it moves it to version + 1,
and only if it is still at the version the writer read (a conditional write, checked by the
store in the same statement). The HTTP layer shows the version as a strong ETag and takes it
back in If-Match (RFC 9110 §8.8.3, §13.1.1); `require_version` is that precondition.
"""

from domain.errors import PreconditionFailedError


def require_version(current: int, accepted: frozenset[int] | None, what: str) -> None:
    """PreconditionFailedError unless `accepted` is None (no precondition) or holds `current`."""
    if accepted is not None and current not in accepted:
        raise PreconditionFailedError(
            f"{what} has changed since the version given in If-Match (it is now at version"
            f" {current}); read it again and retry"
        )
