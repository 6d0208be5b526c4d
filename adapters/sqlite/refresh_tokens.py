"""Refresh tokens in SQLite (table refresh_tokens, migration 7): reads inline, writes on the
writer thread, each write one statement."""

import sqlite3
from datetime import datetime

from adapters.sqlite.db import SqliteDatabase, translated
from adapters.sqlite.mapping import from_ts, ts
from domain.access import RefreshToken

_COLUMNS = "token_hash, family_id, user_id, created_at, expires_at, used_at, revoked_at"
_INSERT = f"INSERT INTO refresh_tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
_PRUNE = "DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at <= ?"
_GET = f"SELECT {_COLUMNS} FROM refresh_tokens WHERE token_hash = ?"
_MARK_USED = (
    "UPDATE refresh_tokens SET used_at = ?"
    " WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL"
)
_REVOKE_FAMILY = (
    "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL"
)
_REVOKE_USER = "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"


def _maybe(text: str | None) -> datetime | None:
    return from_ts(text) if text is not None else None


def _row_token(row: tuple) -> RefreshToken:
    return RefreshToken(
        row[0], row[1], row[2], from_ts(row[3]), from_ts(row[4]), _maybe(row[5]), _maybe(row[6])
    )


class SqliteRefreshTokenRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, token: RefreshToken) -> None:
        row = (
            token.token_hash,
            token.family_id,
            token.user_id,
            ts(token.created_at),
            ts(token.expires_at),
            ts(token.used_at) if token.used_at else None,
            ts(token.revoked_at) if token.revoked_at else None,
        )

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(_PRUNE, (token.user_id, ts(token.created_at)))  # this user's expired
            conn.execute(_INSERT, row)

        await self._db.write(work)

    async def get(self, token_hash: str) -> RefreshToken | None:
        with translated():
            row = self._db.reader.execute(_GET, (token_hash,)).fetchone()
        return _row_token(row) if row is not None else None

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        params = (ts(at), token_hash)
        return await self._db.write(lambda conn: conn.execute(_MARK_USED, params).rowcount == 1)

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        params = (ts(at), family_id)
        return await self._db.write(lambda conn: conn.execute(_REVOKE_FAMILY, params).rowcount)

    async def revoke_user(self, user_id: str, at: datetime) -> int:
        params = (ts(at), user_id)
        return await self._db.write(lambda conn: conn.execute(_REVOKE_USER, params).rowcount)
