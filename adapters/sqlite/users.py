"""Users in SQLite: reads inline, writes on the writer thread."""

from datetime import datetime

from adapters.sqlite.db import SqliteDatabase, translated
from adapters.sqlite.mapping import USER_COLUMNS, keyset, row_user, ts, user_row
from domain.errors import ConcurrentChangeError, NotFoundError
from domain.pagination import Page, PageRequest
from domain.users import User, UserFilter

_INSERT = f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join('?' * 12)})"
# conditional on the version the user was read at, which it moves on (optimistic concurrency)
_UPDATE = (
    "UPDATE users SET email = ?, username = ?, full_name = ?, role = ?, is_active = ?,"
    " tags = ?, address = ?, password_hash = ?, created_at = ?, updated_at = ?,"
    " version = version + 1 WHERE id = ? AND version = ?"
)
_EXISTS = "SELECT 1 FROM users WHERE id = ?"
_GET = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"
_GET_BY_EMAIL = f"SELECT {USER_COLUMNS} FROM users WHERE email = ?"
_GET_BY_USERNAME = f"SELECT {USER_COLUMNS} FROM users WHERE username = ?"
# `is_active = 0` is a literal so the partial index users_inactive_updated applies
PURGE_INACTIVE = "DELETE FROM users WHERE is_active = 0 AND updated_at < ?"


def _where(where: UserFilter) -> tuple[str, list[object]]:
    clauses, params = [], []
    if where.is_active is not None:
        clauses.append("is_active = ?")
        params.append(int(where.is_active))
    if where.role is not None:
        clauses.append("role = ?")
        params.append(where.role.value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class SqliteUserRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, user: User) -> None:
        row = user_row(user)
        await self._db.write(lambda conn: conn.execute(_INSERT, row))

    async def get(self, user_id: str) -> User | None:
        with translated():
            row = self._db.reader.execute(_GET, (user_id,)).fetchone()
        return row_user(row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        with translated():
            row = self._db.reader.execute(_GET_BY_EMAIL, (email,)).fetchone()
        return row_user(row) if row is not None else None

    async def get_by_username(self, username: str) -> User | None:
        with translated():
            row = self._db.reader.execute(_GET_BY_USERNAME, (username,)).fetchone()
        return row_user(row) if row is not None else None

    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page)
        with self._db.snapshot() as conn:
            (total,) = conn.execute(f"SELECT count(*) FROM users{clause}", params).fetchone()
            rows = conn.execute(
                f"SELECT {USER_COLUMNS} FROM users{page_clause}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [*page_params, page.limit, page.skip],
            ).fetchall()
        return Page([row_user(r) for r in rows], total)

    async def update(self, user: User) -> None:
        row = user_row(user)
        values = (*row[1:-1], row[0], user.version)

        def work(conn) -> None:
            if conn.execute(_UPDATE, values).rowcount == 0:
                if conn.execute(_EXISTS, (user.id,)).fetchone():
                    raise ConcurrentChangeError(f"User {user.id} was changed meanwhile")
                raise NotFoundError(f"User {user.id} not found")

        await self._db.write(work)

    async def delete(self, user_id: str, version: int | None = None) -> bool:
        def work(conn) -> bool:
            if version is None:
                return conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0
            sql = "DELETE FROM users WHERE id = ? AND version = ?"
            if conn.execute(sql, (user_id, version)).rowcount > 0:
                return True
            if conn.execute(_EXISTS, (user_id,)).fetchone():
                raise ConcurrentChangeError(f"User {user_id} was changed meanwhile")
            return False

        return await self._db.write(work)

    async def delete_inactive_before(self, cutoff: datetime) -> int:
        bound = (ts(cutoff),)
        return await self._db.write(lambda conn: conn.execute(PURGE_INACTIVE, bound).rowcount)
