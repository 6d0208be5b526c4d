"""Users in PostgreSQL."""

from datetime import datetime

from adapters.postgres.db import PostgresDatabase
from adapters.postgres.mapping import USER_COLUMNS, keyset, row_user, user_row
from domain.errors import ConcurrentChangeError, NotFoundError
from domain.ids import is_valid_id
from domain.pagination import Page, PageRequest
from domain.users import User, UserFilter

_INSERT = f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join(f'${n}' for n in range(1, 13))})"
# conditional on the version the user was read at ($12), which it moves on
_UPDATE = (
    "UPDATE users SET email = $2, username = $3, full_name = $4, role = $5, is_active = $6,"
    " tags = $7, address = $8, password_hash = $9, created_at = $10, updated_at = $11,"
    " version = version + 1 WHERE id = $1 AND version = $12"
)
_EXISTS = "SELECT 1 FROM users WHERE id = $1"
_GET = f"SELECT {USER_COLUMNS} FROM users WHERE id = $1"
_GET_BY_EMAIL = f"SELECT {USER_COLUMNS} FROM users WHERE email = $1"
_GET_BY_USERNAME = f"SELECT {USER_COLUMNS} FROM users WHERE username = $1"
# `NOT is_active` as written in the partial index users_inactive_updated, so it applies
PURGE_INACTIVE = "DELETE FROM users WHERE NOT is_active AND updated_at < $1"


def _where(where: UserFilter) -> tuple[str, list[object]]:
    """Typed values as bind parameters only, so no request value becomes SQL."""
    clauses: list[str] = []
    params: list[object] = []
    if where.is_active is not None:
        params.append(bool(where.is_active))
        clauses.append(f"is_active = ${len(params)}")
    if where.role is not None:
        params.append(where.role.value)
        clauses.append(f"role = ${len(params)}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class PostgresUserRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def add(self, user: User) -> None:
        async with self._db.connection() as conn:
            await conn.execute(_INSERT, *user_row(user))

    async def get(self, user_id: str) -> User | None:
        if not is_valid_id(user_id):
            return None
        row = await self._db.read(lambda conn: conn.fetchrow(_GET, user_id))
        return row_user(row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        row = await self._db.read(lambda conn: conn.fetchrow(_GET_BY_EMAIL, email))
        return row_user(row) if row is not None else None

    async def get_by_username(self, username: str) -> User | None:
        row = await self._db.read(lambda conn: conn.fetchrow(_GET_BY_USERNAME, username))
        return row_user(row) if row is not None else None

    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page)
        n = len(page_params)

        async def count_and_page(conn) -> tuple[int, list]:
            total = await conn.fetchval(f"SELECT count(*) FROM users{clause}", *params)
            if total <= page.skip:
                return total, []
            rows = await conn.fetch(
                f"SELECT {USER_COLUMNS} FROM users{page_clause}"
                f" ORDER BY created_at DESC, id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *page_params,
                page.limit,
                page.skip,
            )
            return total, rows

        # one snapshot, so the total and the page agree
        total, rows = await self._db.read(count_and_page, snapshot=True)
        return Page([row_user(r) for r in rows], total)

    async def update(self, user: User) -> None:
        async with self._db.connection() as conn:
            status = await conn.execute(_UPDATE, *user_row(user))
            if status == "UPDATE 0":
                if await conn.fetchval(_EXISTS, user.id):
                    raise ConcurrentChangeError(f"User {user.id} was changed meanwhile")
                raise NotFoundError(f"User {user.id} not found")

    async def delete(self, user_id: str, version: int | None = None) -> bool:
        if not is_valid_id(user_id):
            return False
        async with self._db.connection() as conn:
            if version is None:
                status = await conn.execute("DELETE FROM users WHERE id = $1", user_id)
            else:
                sql = "DELETE FROM users WHERE id = $1 AND version = $2"
                status = await conn.execute(sql, user_id, version)
                if status == "DELETE 0" and await conn.fetchval(_EXISTS, user_id):
                    raise ConcurrentChangeError(f"User {user_id} was changed meanwhile")
        return status != "DELETE 0"

    async def delete_inactive_before(self, cutoff: datetime) -> int:
        async with self._db.connection() as conn:
            status = await conn.execute(PURGE_INACTIVE, cutoff)
        return int(status.rsplit(" ", 1)[1])
