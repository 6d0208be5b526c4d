"""A page of results with the total count of matching items."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import ValidationError

T = TypeVar("T")
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    skip: int = 0
    limit: int = 100

    def __post_init__(self) -> None:
        if self.skip < 0:
            raise ValidationError("skip must be >= 0")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
