"""Users in a dict, with unique indexes kept beside it."""

import heapq
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from adapters.memory.state import MemoryState
from domain.errors import ConcurrentChangeError, DuplicateError, NotFoundError
from domain.pagination import Page, PageRequest
from domain.users import User, UserFilter

_UNIQUE = ("email", "username")


def _key(user: User) -> tuple[datetime, str]:
    """The list order, newest first: (created_at, id) descending."""
    return (user.created_at, user.id)


class InMemoryUserRepository:
    def __init__(self, state: MemoryState) -> None:
        self._users = state.users
        self._index = {name: state.unique["users", name] for name in _UNIQUE}

    def _store(self, user: User, old: User | None) -> None:
        for name, index in self._index.items():
            owner = index.get(getattr(user, name))
            if owner is not None and owner != user.id:
                raise DuplicateError(name)
        for name, index in self._index.items():
            if old is not None:
                del index[getattr(old, name)]
            index[getattr(user, name)] = user.id
        self._users[user.id] = user

    async def add(self, user: User) -> None:
        if user.id in self._users:
            raise DuplicateError("_id")
        self._store(user, None)

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        user_id = self._index["email"].get(email)
        return self._users.get(user_id) if user_id is not None else None

    async def get_by_username(self, username: str) -> User | None:
        user_id = self._index["username"].get(username)
        return self._users.get(user_id) if user_id is not None else None

    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        if where.is_active is None and where.role is None:
            matching: Collection[User] = self._users.values()
        else:
            matching = [
                u
                for u in self._users.values()
                if (where.is_active is None or u.is_active == where.is_active)
                and (where.role is None or u.role == where.role)
            ]
        after = page.after
        rest = matching if after is None else [u for u in matching if after.precedes(*_key(u))]
        newest = heapq.nlargest(page.skip + page.limit, rest, key=_key)
        return Page(newest[page.skip :], len(matching))

    async def update(self, user: User) -> None:
        old = self._users.get(user.id)
        if old is None:
            raise NotFoundError(f"User {user.id} not found")
        if old.version != user.version:
            raise ConcurrentChangeError(f"User {user.id} was changed meanwhile")
        self._store(replace(user, version=user.version + 1), old)

    async def delete(self, user_id: str, version: int | None = None) -> bool:
        user = self._users.get(user_id)
        if user is None:
            return False
        if version is not None and user.version != version:
            raise ConcurrentChangeError(f"User {user_id} was changed meanwhile")
        del self._users[user_id]
        for name, index in self._index.items():
            del index[getattr(user, name)]
        return True

    async def delete_inactive_before(self, cutoff: datetime) -> int:
        doomed = [
            user_id
            for user_id, user in self._users.items()
            if not user.is_active and user.updated_at < cutoff
        ]
        for user_id in doomed:
            await self.delete(user_id)
        return len(doomed)
