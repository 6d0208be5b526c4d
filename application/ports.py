"""The ports: what the core needs from the outside world, as Protocols."""

from datetime import date, datetime
from typing import Protocol

from domain.analytics import DailyRegistrations, RoleCount
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

    async def delete_inactive_before(self, cutoff: datetime) -> int:
        """Maintenance purge: delete every user with is_active false and updated_at < cutoff
        (strictly; one delete_many / one DELETE statement) and return how many were deleted.
        It lives here, not in a maintenance port, because it is a user deletion like `delete`.
        """


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


class AnalyticsReader(Protocol):
    """Reports computed inside the store (aggregation pipelines, SQL GROUP BY), never by
    loading a whole collection into the process; each answer is already sorted."""

    async def users_by_role(self) -> list[RoleCount]:
        """One row per role that has users, by total_users descending, then role name."""

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        """Users created per UTC day, start and end included, by day; days with none omitted.

        The caller checks the range (start <= end, at most 366 days).
        """
