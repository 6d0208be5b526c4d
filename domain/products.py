"""The Product entity, its rules, and the value objects of listing and search."""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import ValidationError
from domain.money import money
from domain.money import price as check_price
from domain.search_text import fold

SKU = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_MAX = 200
DESCRIPTION_MAX = 5000
CATEGORY_MAX = 100
TAG_MAX = 50
TAGS_MAX = 100
SEARCH_TERMS_MAX = 16
_WORD = re.compile(r"\w+")

# relevance weights of the search, the same on every store
SEARCH_WEIGHTS = {"name": 10, "tags": 5, "description": 1}


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    sku: str
    name: str
    price: Decimal
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    is_active: bool = True
    version: int = 1  # see domain.versions

    def __post_init__(self) -> None:
        check_sku(self.sku)
        if not 1 <= len(self.name) <= NAME_MAX:
            raise ValidationError(f"name must be 1 to {NAME_MAX} characters long")
        if self.description is not None and len(self.description) > DESCRIPTION_MAX:
            raise ValidationError(f"description must be at most {DESCRIPTION_MAX} characters")
        if self.category is not None and not 1 <= len(self.category) <= CATEGORY_MAX:
            raise ValidationError(f"category must be 1 to {CATEGORY_MAX} characters long")
        if len(self.tags) > TAGS_MAX:
            raise ValidationError(f"at most {TAGS_MAX} tags")
        for tag in self.tags:
            if not isinstance(tag, str) or not 1 <= len(tag) <= TAG_MAX:
                raise ValidationError(f"a tag must be 1 to {TAG_MAX} characters long")
        # normalize: money quantized to cents, tags a tuple of distinct tags in the order sent
        # (a tag is there or not: ["wood", "wood"] is ["wood"]); frozen, so bypass __setattr__
        object.__setattr__(self, "price", check_price(self.price))
        object.__setattr__(self, "tags", distinct_tags(self.tags))

    def changed(self, changes: dict[str, Any], now: datetime) -> "Product":
        """This product with `changes` applied; itself when nothing would change."""
        if "tags" in changes:
            changes = {**changes, "tags": distinct_tags(changes["tags"])}
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return replace(self, **changes, updated_at=now)

    def same_content(self, other: "Product") -> bool:
        """True when every field a client sets is equal (ids and timestamps aside)."""
        return all(getattr(self, f) == getattr(other, f) for f in CONTENT_FIELDS)


def distinct_tags(tags: Any) -> tuple[str, ...]:
    """The tags without repeats, in the order first given."""
    return tuple(dict.fromkeys(tags))


CONTENT_FIELDS = ("sku", "name", "description", "price", "category", "tags", "is_active")


def check_sku(sku: str) -> None:
    if not isinstance(sku, str) or SKU.fullmatch(sku) is None:
        raise ValidationError("sku must be 1 to 64 of A-Z a-z 0-9 - _")


@dataclass(frozen=True, slots=True)
class ProductFilter:
    """All set conditions must hold; prices are inclusive bounds."""

    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    tag: str | None = None
    is_active: bool | None = None

    def __post_init__(self) -> None:
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, money(value))


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A product and its relevance (higher is better; comparable within one search only)."""

    product: Product
    score: float


@dataclass(frozen=True, slots=True)
class BulkUpsertResult:
    """Like MongoDB's: matched existing skus, of which modified changed, and new upserted."""

    matched: int
    modified: int
    upserted: int


def search_terms(text: str) -> list[str]:
    """The words of a query, folded (domain.search_text.fold: case, accents, compatibility
    forms), de-duplicated, in order; never query syntax."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        seen.setdefault(word, None)
    return list(seen)[:SEARCH_TERMS_MAX]
