"""A page of results with the total count of matching items."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import ValidationError

T = TypeVar("T")
MAX_LIMIT = 1000
# Deeper than any page a client can use, and far inside every store's 64-bit OFFSET/skip
# (SQLite and PostgreSQL bind a bigint; MongoDB's skip is an int64): beyond it is a 422.
MAX_SKIP = 1_000_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    skip: int = 0
    limit: int = 100

    def __post_init__(self) -> None:
        if not 0 <= self.skip <= MAX_SKIP:
            raise ValidationError(f"skip must be between 0 and {MAX_SKIP}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
