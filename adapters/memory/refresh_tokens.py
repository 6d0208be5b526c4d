"""Refresh tokens in a dict by token hash (the reference adapter)."""

from dataclasses import replace
from datetime import datetime

from adapters.memory.state import MemoryState
from domain.access import RefreshToken
from domain.errors import DuplicateError


class InMemoryRefreshTokenRepository:
    """Each method runs without an await inside, so it is atomic on the event loop."""

    def __init__(self, state: MemoryState) -> None:
        self._tokens = state.refresh_tokens

    async def add(self, token: RefreshToken) -> None:
        if token.token_hash in self._tokens:
            raise DuplicateError("token_hash")
        for expired in [
            t.token_hash
            for t in self._tokens.values()
            if t.user_id == token.user_id and t.expires_at <= token.created_at
        ]:
            del self._tokens[expired]
        self._tokens[token.token_hash] = token

    async def get(self, token_hash: str) -> RefreshToken | None:
        return self._tokens.get(token_hash)

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        token = self._tokens.get(token_hash)
        if token is None or token.used_at is not None or token.revoked_at is not None:
            return False
        self._tokens[token_hash] = replace(token, used_at=at)
        return True

    def _revoke(self, doomed: list[RefreshToken], at: datetime) -> int:
        for token in doomed:
            self._tokens[token.token_hash] = replace(token, revoked_at=at)
        return len(doomed)

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        doomed = [
            t for t in self._tokens.values() if t.family_id == family_id and t.revoked_at is None
        ]
        return self._revoke(doomed, at)

    async def revoke_user(self, user_id: str, at: datetime) -> int:
        doomed = [t for t in self._tokens.values() if t.user_id == user_id and t.revoked_at is None]
        return self._revoke(doomed, at)
