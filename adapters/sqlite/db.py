"""The SQLite database: a read connection for inline point reads, a small pool of read
threads for everything longer, and one group-committing writer thread."""

import asyncio
import contextlib
import logging
import os
import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from adapters.sqlite.migrations import migrate, register_functions
from domain.errors import DuplicateError, StoreTimeoutError, StoreUnusableError, UnavailableError

T = TypeVar("T")
_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")
# a store that cannot take writes (or be read): 503, as for a server that is down
_CANNOT_WRITE = ("unable to open", "disk I/O", "database or disk is full", "readonly database")
log = logging.getLogger(__name__)
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
        if any(reason in message for reason in _CANNOT_WRITE):
            log.warning("SQLite cannot write: %s", message)
            raise UnavailableError() from None
        raise


_STOP = object()


@dataclass(slots=True)
class _Job:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future
    transactional: bool = True


READER_NICENESS = 5


def _lower_priority() -> None:
    """Run this read thread at a lower CPU priority than the event loop's thread (Linux: a
    thread is a task with a niceness of its own), so that when searches keep every core busy
    the loop still gets the CPU first and answers cheap requests on time. Raising one's own
    niceness needs no privilege; where it is not supported, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + READER_NICENESS)


class SqliteDatabase:
    """Point reads inline on `reader`; longer reads (`read`) on a pool of read threads, each
    with its own connection; writes queued to one writer thread that group-commits.

    Reads on the pool run beside the writer and beside each other (WAL: each reader sees the
    last committed state), and sqlite3 releases the GIL while SQLite steps, so a search or a
    report no longer holds the event loop: the loop only awaits a future.

    The writer drains whatever writes are waiting (up to MAX_BATCH), runs each in its own
    SAVEPOINT inside one BEGIN IMMEDIATE transaction, and COMMITs once: each write is still
    all or nothing, a failing one is rolled back alone, and one fsync serves the batch.
    A write's future resolves only after its COMMIT, so nothing acknowledged is lost.
    """

    MAX_BATCH = 64

    def __init__(
        self,
        path: str,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 5000,
        read_threads: int = 4,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}")
        if read_threads < 1:
            raise ValueError("SQLITE_READ_THREADS must be at least 1")
        self.path = path
        self._read_threads = read_threads
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._pool_conns: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = busy_timeout_ms
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._writer_loop, name="sqlite-writer", daemon=True)
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        # called on the writer thread with each group commit's size (metrics hook)
        self.on_batch: Callable[[int], None] | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        register_functions(conn)  # migration 8's triggers fold text for the search index
        return conn

    def _open_writer(self, _: object) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        migrate(conn)
        self._writer = conn

    async def open(self) -> None:
        """Open (creating it when missing) and migrate the database; StoreUnusableError, with
        one line naming the file, when it is corrupt, locked, or cannot be opened."""
        self._thread.start()
        try:
            await self._submit(self._open_writer, transactional=False)
            with translated():
                self._reader = self._connect()
                self._reader.execute("PRAGMA query_only = ON")
                self._reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self._pool = ThreadPoolExecutor(
                self._read_threads, thread_name_prefix="sqlite-reader", initializer=_lower_priority
            )
        except (sqlite3.Error, OSError, StoreTimeoutError, UnavailableError) as exc:
            await self._abandon()
            raise StoreUnusableError(f"SQLite database {self.path}: {_reason(exc)}") from None

    async def _abandon(self) -> None:
        """Stop the writer thread after a failed open."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    async def close(self) -> None:
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown)
            self._pool = None
        with self._pool_lock:
            for conn in self._pool_conns:
                conn.close()
            self._pool_conns.clear()
        if self._reader is not None:
            self._reader.close()
        if self._writer is not None:
            await self._submit(lambda conn: conn.close(), transactional=False)
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join)

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

    async def read(self, work: Callable[[sqlite3.Connection], T], snapshot: bool = False) -> T:
        """Run `work(conn)` on a read thread's own read-only connection; its result.

        With `snapshot`, every statement of `work` sees one state of the database (a count
        and the page it belongs to). sqlite3 errors come back as domain errors.
        """
        assert self._pool is not None, "database not open"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._run_read, work, snapshot)

    def _read_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._pool_lock:
                self._pool_conns.append(conn)
        return conn

    def _run_read(self, work: Callable[[sqlite3.Connection], T], snapshot: bool) -> T:
        with translated():
            conn = self._read_connection()
            if not snapshot:
                return work(conn)
            conn.execute("BEGIN")
            try:
                return work(conn)
            finally:
                conn.execute("COMMIT")

    async def migrate(self) -> list[int]:
        """Apply pending migrations (start-up already does); returns the versions applied."""
        return await self._submit(migrate, transactional=False)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` atomically on the writer thread; resolves after it is durable."""
        return await self._submit(work)

    def _submit(self, work: Callable[[sqlite3.Connection], T], transactional: bool = True):
        future = asyncio.get_running_loop().create_future()
        self._jobs.put(_Job(work, future, transactional))
        return future

    # --- the writer thread -------------------------------------------------------------

    def _writer_loop(self) -> None:
        carried: _Job | object | None = None
        while True:
            job = carried or self._jobs.get()
            carried = None
            if job is _STOP:
                return
            assert isinstance(job, _Job)
            if not job.transactional:
                self._run_alone(job)
                continue
            batch = [job]
            while len(batch) < self.MAX_BATCH:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP or not nxt.transactional:
                    carried = nxt
                    break
                batch.append(nxt)
            if self.on_batch is not None:
                with contextlib.suppress(Exception):
                    self.on_batch(len(batch))
            self._commit(batch)

    def _run_alone(self, job: _Job) -> None:
        try:
            with translated():
                _resolve(job, True, job.work(self._writer))
        except BaseException as exc:
            _resolve(job, False, exc)

    def _commit(self, batch: list[_Job]) -> None:
        conn = self._writer
        outcomes: list[tuple[bool, Any]] = []
        try:
            with translated():
                conn.execute("BEGIN IMMEDIATE")
                for job in batch:
                    conn.execute("SAVEPOINT job")
                    try:
                        outcomes.append((True, job.work(conn)))
                    except Exception as exc:
                        if not conn.in_transaction:
                            raise  # SQLite rolled everything back: the whole batch fails
                        conn.execute("ROLLBACK TO job")
                        outcomes.append((False, _domain(exc)))
                    conn.execute("RELEASE job")
                conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            _resolve(job, ok, value)


def _reason(exc: BaseException) -> str:
    """Why a database could not be opened, in a few words."""
    if isinstance(exc, StoreTimeoutError):
        return "it is locked by another process (waited SQLITE_BUSY_TIMEOUT_MS); stop it or retry"
    if isinstance(exc, UnavailableError):
        return "cannot open the file (check the path and the directory's permissions)"
    message = str(exc) or type(exc).__name__
    if "not a database" in message or "malformed" in message:
        return f"the file is corrupt or not an SQLite database ({message})"
    return message


def _domain(exc: Exception) -> Exception:
    """The domain error for a sqlite3 error raised by one write, else the error itself."""
    try:
        with translated():
            raise exc
    except Exception as translated_exc:
        return translated_exc


def _resolve(job: _Job, ok: bool, value: Any) -> None:
    """Hand a result back to the event loop that is waiting for it."""

    def deliver() -> None:
        if job.future.done():  # the waiter was cancelled; the write itself stands
            return
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)

    job.future.get_loop().call_soon_threadsafe(deliver)


async def open_sqlite(path: str, synchronous: str, busy_timeout_ms: int, read_threads: int = 4):
    """The container's resource: one database per process, opened at start-up."""
    db = SqliteDatabase(path, synchronous, busy_timeout_ms, read_threads)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


def _probe_write(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE health_probe SET checked_at = datetime('now') WHERE id = 1")


class SqlitePing:
    """Ready means the database reads and takes writes: a read, a one-row write through the
    writer (a read-only file, a lost lock or a full WAL fail it; one fsync, shared with the
    batch it joins), and the free space of the disk holding it (a full disk fails writes that
    need new pages long before a small update does)."""

    def __init__(self, db: SqliteDatabase, min_free_bytes: int = 0) -> None:
        self._db = db
        self._min_free_bytes = min_free_bytes
        self._directory = os.path.dirname(os.path.abspath(db.path))

    async def ping(self) -> None:
        with translated():
            self._db.reader.execute("SELECT 1").fetchone()
        await self._db.write(_probe_write)
        if self._min_free_bytes and self._db.path != ":memory:":
            stats = os.statvfs(self._directory)
            free = stats.f_bavail * stats.f_frsize
            if free < self._min_free_bytes:
                log.warning("SQLite: %d bytes free beside %s, not ready", free, self._db.path)
                raise UnavailableError()


class SqliteSchema:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def ensure(self) -> str:
        applied = await self._db.migrate()
        return f"sqlite {self._db.path}: schema up to date (applied now: {applied or 'none'})"
