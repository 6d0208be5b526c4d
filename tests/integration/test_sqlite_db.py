"""SQLite specifics: pragmas, migrations, and the group-committing writer."""

import asyncio
import sqlite3

import pytest

from adapters.sqlite.db import SqliteDatabase
from adapters.sqlite.migrations import MIGRATIONS
from domain.errors import DuplicateError, NotFoundError


@pytest.fixture
async def db(tmp_path):
    database = SqliteDatabase(str(tmp_path / "sub" / "t.db"))
    await database.open()
    yield database
    await database.close()


async def test_pragmas(db):
    def pragmas(conn: sqlite3.Connection) -> tuple:
        return tuple(
            conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        )

    assert await db.write(pragmas) == ("wal", 2, 1, 5000)  # synchronous 2 = FULL
    assert db.reader.execute("PRAGMA query_only").fetchone()[0] == 1


async def test_synchronous_may_be_relaxed(tmp_path):
    database = SqliteDatabase(str(tmp_path / "t.db"), synchronous="normal")
    await database.open()
    try:
        level = await database.write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
        assert level == 1
    finally:
        await database.close()
    with pytest.raises(ValueError):
        SqliteDatabase(str(tmp_path / "t.db"), synchronous="sometimes")


async def test_migrations_apply_once(tmp_path):
    path = str(tmp_path / "t.db")
    for _ in range(2):
        database = SqliteDatabase(path)
        await database.open()
        assert await database.migrate() == []
        versions = [v for (v,) in database.reader.execute("SELECT version FROM schema_migrations")]
        await database.close()
    assert versions == [v for v, _ in MIGRATIONS]


def _insert(n: int):
    def work(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT INTO users (id, email, username, full_name, role, is_active, tags, address,"
            " password_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, NULL, 'user', 1, '[]', NULL, 'h', 't', 't')",
            (f"{n:024x}", f"u{n}@example.com", f"user{n}"),
        )
        return n

    return work


async def test_concurrent_writes_are_grouped_and_fail_one_by_one(db):
    def failing(conn: sqlite3.Connection) -> None:
        _insert(1000)(conn)  # written, then undone with its savepoint
        raise NotFoundError("boom")

    jobs = [_insert(n) for n in range(50)] + [failing, _insert(0)]
    results = await asyncio.gather(*(db.write(job) for job in jobs), return_exceptions=True)
    assert results[:50] == list(range(50))
    assert isinstance(results[50], NotFoundError)
    assert isinstance(results[51], DuplicateError)
    assert db.reader.execute("SELECT count(*) FROM users").fetchone()[0] == 50
    assert db.reader.execute("SELECT 1 FROM users WHERE username = 'user1000'").fetchone() is None


async def test_a_write_is_visible_to_the_reader_once_acknowledged(db):
    await db.write(_insert(7))
    assert db.reader.execute("SELECT username FROM users").fetchall() == [("user7",)]
