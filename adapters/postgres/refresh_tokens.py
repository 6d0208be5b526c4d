"""Refresh tokens in PostgreSQL (table refresh_tokens, migration 7); each write is one
statement, so `mark_used` is atomic under READ COMMITTED (the row lock serialises racers and
the loser re-checks the WHERE clause on the updated row)."""

from datetime import datetime

from adapters.postgres.db import PostgresDatabase
from domain.access import RefreshToken

_COLUMNS = "token_hash, family_id, user_id, created_at, expires_at, used_at, revoked_at"
_INSERT = f"INSERT INTO refresh_tokens ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
_PRUNE = "DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at <= $2"
_GET = f"SELECT {_COLUMNS} FROM refresh_tokens WHERE token_hash = $1"
_MARK_USED = (
    "UPDATE refresh_tokens SET used_at = $1"
    " WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL"
)
_REVOKE_FAMILY = (
    "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL"
)
_REVOKE_USER = "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[1])


class PostgresRefreshTokenRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def add(self, token: RefreshToken) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(_PRUNE, token.user_id, token.created_at)  # this user's expired
            await conn.execute(
                _INSERT,
                token.token_hash,
                token.family_id,
                token.user_id,
                token.created_at,
                token.expires_at,
                token.used_at,
                token.revoked_at,
            )

    async def get(self, token_hash: str) -> RefreshToken | None:
        row = await self._db.read(lambda conn: conn.fetchrow(_GET, token_hash))
        return RefreshToken(**dict(row)) if row is not None else None

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        async with self._db.connection() as conn:
            return _count(await conn.execute(_MARK_USED, at, token_hash)) == 1

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        async with self._db.connection() as conn:
            return _count(await conn.execute(_REVOKE_FAMILY, at, family_id))

    async def revoke_user(self, user_id: str, at: datetime) -> int:
        async with self._db.connection() as conn:
            return _count(await conn.execute(_REVOKE_USER, at, user_id))
