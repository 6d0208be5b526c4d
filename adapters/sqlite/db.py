"""The SQLite database: a read connection used inline and one writer thread."""

import asyncio
import re
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from adapters.sqlite.migrations import migrate
from domain.errors import DuplicateError, StoreTimeoutError, UnavailableError

T = TypeVar("T")
_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


@contextmanager
def translated() -> Iterator[None]:
    """Turn sqlite3 errors into domain errors."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        match = _UNIQUE.search(str(exc))
        if match:
            field = "_id" if match.group(1) == "id" else match.group(1)
            raise DuplicateError(field) from None
        raise
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "locked" in message or "busy" in message:
            raise StoreTimeoutError() from None
        if "unable to open" in message or "disk I/O" in message:
            raise UnavailableError() from None
        raise


class SqliteDatabase:
    def __init__(self, path: str, synchronous: str = "FULL", busy_timeout_ms: int = 5000) -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}")
        self.path = path
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = busy_timeout_ms
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _open_writer(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        migrate(conn)
        self._writer = conn

    async def open(self) -> None:
        with translated():
            await asyncio.get_running_loop().run_in_executor(self._writer_thread, self._open_writer)
            self._reader = self._connect()
            self._reader.execute("PRAGMA query_only = ON")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, self._writer.close
            )
        self._writer_thread.shutdown(wait=True)

    @property
    def reader(self) -> sqlite3.Connection:
        """The read connection; use it inline (short reads only) inside `translated()`."""
        assert self._reader is not None, "database not open"
        return self._reader

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one consistent state of the database."""
        conn = self.reader
        with translated():
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _run_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._writer
        assert conn is not None, "database not open"
        with translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    async def migrate(self) -> list[int]:
        """Apply pending migrations (start-up already does); returns the versions applied."""
        assert self._writer is not None, "database not open"
        with translated():
            return await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, migrate, self._writer
            )

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` in one write transaction on the writer thread; all or nothing."""
        return await asyncio.get_running_loop().run_in_executor(
            self._writer_thread, self._run_transaction, work
        )


async def open_sqlite(path: str, synchronous: str, busy_timeout_ms: int):
    """The container's resource: one database per process, opened at start-up."""
    db = SqliteDatabase(path, synchronous, busy_timeout_ms)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


class SqlitePing:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def ping(self) -> None:
        with translated():
            self._db.reader.execute("SELECT 1").fetchone()


class SqliteSchema:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def ensure(self) -> str:
        applied = await self._db.migrate()
        return f"sqlite {self._db.path}: schema up to date (applied now: {applied or 'none'})"
