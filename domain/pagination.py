"""Page requests (offset or keyset) and a page of results with the total matching count."""

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from domain.errors import ValidationError

T = TypeVar("T")
MAX_LIMIT = 1000
# Deeper than any page a client can use, and far inside every store's 64-bit OFFSET/skip
# (SQLite and PostgreSQL bind a bigint; MongoDB's skip is an int64): beyond it is a 422.
MAX_SKIP = 1_000_000_000


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in a list ordered by (created_at, id) descending: the last item already seen.

    Keyset pagination (`PageRequest.after`) returns only items strictly after it, that is with
    (created_at, id) < (position.created_at, position.id); so items inserted or deleted
    meanwhile never shift the rest of the list, unlike an offset.
    """

    created_at: datetime
    id: str

    def precedes(self, created_at: datetime, item_id: str) -> bool:
        """Whether an item at (created_at, item_id) comes after this position in the list."""
        return (created_at, item_id) < (self.created_at, self.id)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`limit` items after skipping `skip` of them, counted from `after` when it is set."""

    skip: int = 0
    limit: int = 100
    after: Position | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.skip <= MAX_SKIP:
            raise ValidationError(f"skip must be between 0 and {MAX_SKIP}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
