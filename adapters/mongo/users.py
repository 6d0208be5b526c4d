"""Users in MongoDB."""

import asyncio
from datetime import datetime
from typing import Any

from adapters.mongo.errors import translated
from adapters.mongo.mapping import after, at_version, document_user, object_id, user_document
from adapters.mongo.store import MongoStore
from domain.errors import ConcurrentChangeError, NotFoundError
from domain.pagination import Page, PageRequest
from domain.users import User, UserFilter

_NEWEST_FIRST = [("created_at", -1), ("_id", -1)]


def _query(where: UserFilter) -> dict[str, Any]:
    """Built from typed values only, so no request value can become an operator."""
    query: dict[str, Any] = {}
    if where.is_active is not None:
        query["is_active"] = bool(where.is_active)
    if where.role is not None:
        query["role"] = where.role.value
    return query


class MongoUserRepository:
    def __init__(self, store: MongoStore) -> None:
        self._users = store.db["users"]

    @translated
    async def add(self, user: User) -> None:
        await self._users.insert_one(user_document(user))

    @translated
    async def get(self, user_id: str) -> User | None:
        oid = object_id(user_id)
        if oid is None:
            return None
        doc = await self._users.find_one({"_id": oid})
        return document_user(doc) if doc is not None else None

    @translated
    async def get_by_email(self, email: str) -> User | None:
        doc = await self._users.find_one({"email": str(email)})
        return document_user(doc) if doc is not None else None

    @translated
    async def get_by_username(self, username: str) -> User | None:
        doc = await self._users.find_one({"username": str(username)})
        return document_user(doc) if doc is not None else None

    @translated
    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        query = _query(where)
        found = self._users.find(after(query, page))
        cursor = found.sort(_NEWEST_FIRST).skip(page.skip).limit(page.limit)
        docs, total = await asyncio.gather(cursor.to_list(None), self._users.count_documents(query))
        return Page([document_user(d) for d in docs], total)

    @translated
    async def update(self, user: User) -> None:
        doc = user_document(user) | {"version": user.version + 1}
        result = await self._users.replace_one({"_id": doc["_id"], **at_version(user.version)}, doc)
        if result.matched_count == 0:
            if await self._users.find_one({"_id": doc["_id"]}, {"_id": 1}):
                raise ConcurrentChangeError(f"User {user.id} was changed meanwhile")
            raise NotFoundError(f"User {user.id} not found")

    @translated
    async def delete(self, user_id: str, version: int | None = None) -> bool:
        oid = object_id(user_id)
        if oid is None:
            return False
        condition = at_version(version) if version is not None else {}
        result = await self._users.delete_one({"_id": oid, **condition})
        gone = result.deleted_count == 0
        if gone and version is not None and await self._users.find_one({"_id": oid}, {"_id": 1}):
            raise ConcurrentChangeError(f"User {user_id} was changed meanwhile")
        return result.deleted_count > 0

    @translated
    async def delete_inactive_before(self, cutoff: datetime) -> int:
        """One delete_many; `is_active: false` in the filter makes the partial index apply."""
        result = await self._users.delete_many({"is_active": False, "updated_at": {"$lt": cutoff}})
        return result.deleted_count
