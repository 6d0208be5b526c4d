"""The process's connection pool, opened lazily so the service starts with PostgreSQL down.

`start()` tries to open the pool and apply the migrations; when the server does not answer it
logs, keeps retrying in the background, and every request in the meantime makes (or joins) one
attempt of its own, answering 503 when it fails. Once open, asyncpg's pool replaces closed
connections by itself, so a server that goes away and comes back needs no restart.

Timeouts: the server's `statement_timeout` is POSTGRES_COMMAND_TIMEOUT_S, so a slow statement is
cancelled by the server (a clean 504, the connection kept); the client-side command timeout is a
little longer and only fires when the server or the network does not answer at all (504, that
connection dropped). Waiting longer than POSTGRES_ACQUIRE_TIMEOUT_S for a pooled connection, or
for a new one to connect, is a 503.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from asyncpg import exceptions as pg

from adapters.postgres.errors import (
    CONNECTION_LOST,
    DRIVER_ERRORS,
    StaleConnectionError,
    translate,
    translating,
)
from adapters.postgres.mapping import init_connection
from adapters.postgres.migrations import migrate, quote_ident
from domain.errors import StoreTimeoutError, UnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_SECONDS = 5.0
CLIENT_TIMEOUT_MARGIN_S = 0.5


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    url: str
    schema: str = "public"
    min_size: int = 1
    max_size: int = 10
    command_timeout_s: float = 10.0
    acquire_timeout_s: float = 5.0
    connect_timeout_s: float = 3.0
    application_name: str = "storefront"


async def _no_session_reset(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's `RESET ALL; UNLISTEN *; ...` round trip.

    The adapter never changes session state (only SET LOCAL inside transactions), and asyncpg
    still rolls back a transaction left open before calling this.
    """


class PostgresDatabase:
    def __init__(self, options: PostgresOptions) -> None:
        self.options = options
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Task[asyncpg.Pool] | None = None
        self._retrying: asyncio.Task[None] | None = None
        self._closed = False
        self.applied: list[int] = []  # migration versions this process applied

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the pool now, or keep trying in the background while the server is down."""
        try:
            await self.pool()
        except (UnavailableError, StoreTimeoutError):
            log.warning("PostgreSQL unreachable at start-up; the pool opens when it answers")
            self._retrying = asyncio.create_task(self._keep_trying())

    async def _keep_trying(self) -> None:
        while self._pool is None:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                await self.pool()
            except (UnavailableError, StoreTimeoutError):
                continue
            except Exception:  # a failing migration: say so now, requests will show it too
                log.exception("PostgreSQL: opening the pool failed")
                return
        log.info("PostgreSQL pool open")

    async def close(self) -> None:
        self._closed = True
        for task in (self._retrying, self._opening):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), self.options.command_timeout_s)
            except DRIVER_ERRORS:  # TimeoutError is an OSError
                pool.terminate()

    # -- the pool -----------------------------------------------------------------------------

    def pool_stats(self) -> tuple[int, int, int] | None:
        """(connections in use, connections open, maximum), or None while no pool is open."""
        pool = self._pool
        if pool is None:
            return None
        size = pool.get_size()
        return size - pool.get_idle_size(), size, pool.get_max_size()

    async def pool(self) -> asyncpg.Pool:
        """The open pool; opens it (one attempt shared by every caller) when there is none."""
        if self._pool is not None:
            return self._pool
        if self._closed:
            raise UnavailableError()
        if self._opening is None:
            self._opening = asyncio.create_task(self._open())
        return await asyncio.shield(self._opening)

    async def _open(self) -> asyncpg.Pool:
        try:
            pool = await self._create_pool()
            try:
                async with pool.acquire(timeout=self.options.acquire_timeout_s) as conn:
                    with translating():
                        applied = await migrate(conn, self.options.schema)
            except BaseException:
                pool.terminate()
                raise
            if applied:
                self.applied += applied
                log.info("PostgreSQL migrations applied: %s", applied)
            self._pool = pool
            return pool
        except TimeoutError:
            raise UnavailableError() from None
        finally:
            self._opening = None

    async def _create_pool(self) -> asyncpg.Pool:
        o = self.options
        try:
            return await asyncpg.create_pool(
                o.url,
                min_size=o.min_size,
                max_size=o.max_size,
                timeout=o.connect_timeout_s,
                command_timeout=o.command_timeout_s + CLIENT_TIMEOUT_MARGIN_S,
                server_settings={
                    "application_name": o.application_name,
                    "search_path": quote_ident(o.schema),
                    "statement_timeout": str(int(o.command_timeout_s * 1000)),
                },
                init=init_connection,
                reset=_no_session_reset,
            )
        except pg.ClientConfigurationError as exc:
            raise ValueError(f"POSTGRES_URL is not usable: {exc}") from None
        except DRIVER_ERRORS as exc:
            # refused, timed out, but also a missing database or a rejected login: not ready
            if translate(exc) is None:
                log.error("PostgreSQL refused the connection: %s: %s", type(exc).__name__, exc)
            raise UnavailableError() from None

    # -- connections ---------------------------------------------------------------------------

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; driver errors inside the block leave it as domain errors."""
        pool = await self.pool()
        try:
            conn = await pool.acquire(timeout=self.options.acquire_timeout_s)
        except TimeoutError:
            # the pool is exhausted past its timeout, or a new connection does not connect
            log.warning("PostgreSQL: no connection within %ss", self.options.acquire_timeout_s)
            raise UnavailableError() from None
        except DRIVER_ERRORS as exc:  # refused, reset, or rejected while connecting
            log.warning("PostgreSQL: no connection: %s: %s", type(exc).__name__, exc)
            raise UnavailableError() from None
        try:
            with translating():
                try:
                    yield conn
                except (TimeoutError, *CONNECTION_LOST) as exc:
                    # dead, or a client-side timeout with a cancel request in flight: drop the
                    # connection rather than wait for a server that may not answer at all
                    with contextlib.suppress(pg.InterfaceError):  # already released
                        conn.terminate()
                    if not isinstance(exc, TimeoutError):
                        # what killed this one (a restart, pg_terminate_backend) most likely
                        # killed its idle siblings too: have the pool replace them all on their
                        # next acquire instead of handing each out to fail one request
                        await pool.expire_connections()
                    raise
                except DRIVER_ERRORS:
                    await self._leave_clean(conn)
                    raise
        finally:
            try:
                await pool.release(conn)
            except DRIVER_ERRORS as exc:  # asyncpg has already dropped that connection
                log.warning("PostgreSQL: release failed: %s: %s", type(exc).__name__, exc)

    async def _leave_clean(self, conn: asyncpg.Connection) -> None:
        """After a failed statement, make sure no transaction is left open on the connection.

        asyncpg rolls back a transaction it knows of when the connection goes back to the
        pool, but not one it does not know of: an argument that fails to encode (a number
        past int8, say) is raised after the statement was parsed and before the protocol's
        Sync, which leaves the server in an implicit transaction, and the next request on that
        connection fails ("SET TRANSACTION ISOLATION LEVEL must be called before any query").
        So a ROLLBACK (a no-op when there is nothing to roll back); a connection that cannot
        even do that is dropped, and the pool opens a new one.
        """
        if conn.is_closed():
            return
        try:
            await conn.execute("ROLLBACK", timeout=self.options.connect_timeout_s)
        except (*DRIVER_ERRORS, TimeoutError):
            with contextlib.suppress(pg.InterfaceError):
                conn.terminate()

    @asynccontextmanager
    async def transaction(self, **options: Any) -> AsyncIterator[asyncpg.Connection]:
        """One transaction on one pooled connection (asyncpg's `transaction` options).

        Rolled back on any error; a rollback that fails is left to the pool (it drops the
        connection), so the error the caller sees is the one that happened first.
        """
        async with self.connection() as conn:
            tx = conn.transaction(**options)
            await tx.start()
            try:
                yield conn
            except TimeoutError:
                raise  # no rollback: connection() drops that connection
            except BaseException:
                with contextlib.suppress(*DRIVER_ERRORS):  # a dead proxy raises InterfaceError
                    if not conn.is_closed():
                        await tx.rollback()
                raise
            await tx.commit()

    async def read(
        self, work: Callable[[asyncpg.Connection], Awaitable[T]], *, snapshot: bool = False
    ) -> T:
        """Run a read; again on another connection when the pooled one was already dead.

        After the server closed idle connections (pg_terminate_backend, a restart), the pool
        may hand one out before the event loop has seen it close; asyncpg then refuses to send
        anything on it, and the read is repeated instead of failing. A connection that dies
        while the statement runs is a 503, as is any failure of a write.
        `snapshot`: one read-only REPEATABLE READ transaction, so several reads agree.
        """
        for _ in range(self.options.max_size):
            try:
                return await self._read_once(work, snapshot)
            except StaleConnectionError:
                continue  # that connection is dropped; the pool makes a new one if need be
        return await self._read_once(work, snapshot)

    async def _read_once(
        self, work: Callable[[asyncpg.Connection], Awaitable[T]], snapshot: bool
    ) -> T:
        if snapshot:
            async with self.transaction(isolation="repeatable_read", readonly=True) as conn:
                return await work(conn)
        async with self.connection() as conn:
            return await work(conn)

    async def migrate(self) -> list[int]:
        """Apply pending migrations (opening the pool already does); the versions applied."""
        async with self.connection() as conn:
            applied = await migrate(conn, self.options.schema)
        self.applied += applied
        return applied


async def open_postgres(url: str, **options: Any) -> AsyncIterator[PostgresDatabase]:
    """The container's resource: one pool per process, opened at start-up, never at import."""
    db = PostgresDatabase(PostgresOptions(url, **options))
    await db.start()
    try:
        yield db
    finally:
        await db.close()


class PostgresPing:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def ping(self) -> None:
        timeout = self._db.options.connect_timeout_s
        await self._db.read(lambda conn: conn.fetchval("SELECT 1", timeout=timeout))


class PostgresSchema:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def ensure(self) -> str:
        await self._db.migrate()
        async with self._db.connection() as conn:
            database = await conn.fetchval("SELECT current_database()")
            version = await conn.fetchval("SELECT max(version) FROM schema_migrations")
        return (
            f"postgres {database}/{self._db.options.schema}: schema at version {version}"
            f" (applied now: {self._db.applied or 'none'})"
        )
