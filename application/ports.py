"""The ports: what the core needs from the outside world, as Protocols."""

from datetime import datetime
from typing import Protocol

from domain.pagination import Page, PageRequest
from domain.users import User, UserFilter


class UserRepository(Protocol):
    """Users by id; `add`/`update` raise DuplicateError naming a taken email or username."""

    async def add(self, user: User) -> None: ...

    async def get(self, user_id: str) -> User | None:
        """The user, or None when missing (also for an id that is not 24 hex digits)."""

    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        """Matching users newest first (created_at, then id, descending) and their total."""

    async def update(self, user: User) -> None:
        """Replace the stored user; NotFoundError when it is gone."""

    async def delete(self, user_id: str) -> bool:
        """True when a user was deleted, False when there was none."""


class StoragePing(Protocol):
    """`ping` returns when the store answers, else raises UnavailableError/StoreTimeoutError."""

    async def ping(self) -> None: ...


class PasswordHasher(Protocol):
    """argon2id-style hashing; `verify` never raises on a wrong password."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...


class Clock(Protocol):
    """`now` is an aware UTC datetime truncated to milliseconds (what every store keeps)."""

    def now(self) -> datetime: ...
