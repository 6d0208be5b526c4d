"""The User entity and its rules."""

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import ValidationError

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USERNAME_MIN, USERNAME_MAX = 3, 50
FULL_NAME_MAX = 100
PASSWORD_MIN = 8
# The purge of inactive users looks back at most a hundred years: older than any account,
# and a cutoff every store's dates hold.
MAX_PURGE_DAYS = 36_500
# Unicode categories a username may not hold: controls (Cc), format characters such as
# zero-width joiners and bidi overrides (Cf), surrogates (Cs), unassigned (Cn).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn"})


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    zip_code: str
    country: str = "USA"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    username: str
    password_hash: str
    created_at: datetime
    updated_at: datetime
    full_name: str | None = None
    role: Role = Role.USER
    is_active: bool = True
    tags: tuple[str, ...] = ()
    address: Address | None = None
    version: int = 1  # see domain.versions

    def __post_init__(self) -> None:
        check_email(self.email)
        check_username(self.username)
        if self.full_name is not None and len(self.full_name) > FULL_NAME_MAX:
            raise ValidationError(f"full_name must be at most {FULL_NAME_MAX} characters")

    def changed(self, changes: dict[str, Any], now: datetime) -> "User":
        """This user with `changes` applied; itself when nothing would change."""
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return replace(self, **changes, updated_at=now)


@dataclass(frozen=True, slots=True)
class UserFilter:
    is_active: bool | None = None
    role: Role | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> None:
    if not _EMAIL.fullmatch(email) or email != normalize_email(email):
        raise ValidationError("email must be a valid, lower-case address")


def check_username(username: str) -> None:
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise ValidationError(f"username must be {USERNAME_MIN} to {USERNAME_MAX} characters long")


def normalize_username(username: str) -> str:
    """The username in NFKC form (so look-alike compatibility forms are one name);
    ValidationError when it holds a control, format (zero-width, bidi) or unassigned char."""
    normal = unicodedata.normalize("NFKC", username)
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in normal):
        raise ValidationError("username must not hold control, format or unassigned characters")
    return normal


class CurrentPasswordRequiredError(ValidationError):
    """A new password for one's own account without `current_password`: 422."""

    code = "current_password_required"

    def __init__(self) -> None:
        super().__init__("current_password is required to change your password")


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"password must be at least {PASSWORD_MIN} characters long")
