"""Entity <-> row mapping for PostgreSQL, in one place."""

from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson

from domain.users import Address, Role, User

USER_COLUMNS = (
    "id, email, username, full_name, role, is_active, tags, address, password_hash,"
    " created_at, updated_at"
)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per new connection: jsonb travels as Python dicts/lists (orjson)."""
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


def user_row(user: User) -> tuple[Any, ...]:
    """The users columns in USER_COLUMNS order; timestamps stay aware datetimes (timestamptz)."""
    address = None
    if user.address is not None:
        a = user.address
        address = {
            "street": a.street,
            "city": a.city,
            "state": a.state,
            "zip_code": a.zip_code,
            "country": a.country,
        }
    return (
        user.id,
        user.email,
        user.username,
        user.full_name,
        user.role.value,
        user.is_active,
        list(user.tags),
        address,
        user.password_hash,
        user.created_at,
        user.updated_at,
    )


def row_user(row: Mapping[str, Any]) -> User:
    address = row["address"]
    return User(
        id=row["id"],
        email=row["email"],
        username=row["username"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        full_name=row["full_name"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        tags=tuple(row["tags"]),
        address=Address(**address) if address is not None else None,
    )
