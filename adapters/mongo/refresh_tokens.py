"""Refresh tokens in MongoDB (collection refresh_tokens, _id = token hash). A TTL index on
expires_at removes expired tokens; each write is one single- or multi-document update, and
`mark_used` is one conditional update_one, atomic on its document."""

from datetime import datetime
from typing import Any

from adapters.mongo.errors import translated
from adapters.mongo.mapping import aware
from adapters.mongo.store import MongoStore
from domain.access import RefreshToken


def _document(token: RefreshToken) -> dict[str, Any]:
    return {
        "_id": token.token_hash,
        "family_id": token.family_id,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "used_at": token.used_at,
        "revoked_at": token.revoked_at,
    }


def _maybe(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None


def _token(doc: dict[str, Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=doc["_id"],
        family_id=doc["family_id"],
        user_id=doc["user_id"],
        created_at=aware(doc["created_at"]),
        expires_at=aware(doc["expires_at"]),
        used_at=_maybe(doc.get("used_at")),
        revoked_at=_maybe(doc.get("revoked_at")),
    )


class MongoRefreshTokenRepository:
    def __init__(self, store: MongoStore) -> None:
        self._tokens = store.db["refresh_tokens"]

    @translated
    async def add(self, token: RefreshToken) -> None:
        await self._tokens.insert_one(_document(token))

    @translated
    async def get(self, token_hash: str) -> RefreshToken | None:
        doc = await self._tokens.find_one({"_id": str(token_hash)})
        return _token(doc) if doc is not None else None

    @translated
    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        result = await self._tokens.update_one(
            {"_id": str(token_hash), "used_at": None, "revoked_at": None},
            {"$set": {"used_at": at}},
        )
        return result.modified_count == 1

    @translated
    async def revoke_family(self, family_id: str, at: datetime) -> int:
        result = await self._tokens.update_many(
            {"family_id": str(family_id), "revoked_at": None}, {"$set": {"revoked_at": at}}
        )
        return result.modified_count

    @translated
    async def revoke_user(self, user_id: str, at: datetime) -> int:
        result = await self._tokens.update_many(
            {"user_id": str(user_id), "revoked_at": None}, {"$set": {"revoked_at": at}}
        )
        return result.modified_count
