"""One client per process: the container's resources, opened at start-up, never at import."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from adapters.mongo.driver import close_client, make_client
from adapters.mongo.errors import translated
from adapters.mongo.indexes import INDEXES, backfill, drop_raw_text_index, ensure_indexes
from adapters.mongo.pool import PoolMonitor
from domain.errors import StoreTimeoutError, UnavailableError

log = logging.getLogger(__name__)
INDEX_RETRY_SECONDS = 5.0


@dataclass
class MongoStore:
    client: Any
    db: Any
    driver: str
    _index_task: asyncio.Task | None = field(default=None, repr=False)
    # None, or why search cannot work: the server refused the text index (decided when the
    # indexes are created; search then answers SearchUnsupportedError with this reason)
    search_unavailable: str | None = None

    @translated
    async def ensure_indexes(self) -> None:
        await drop_raw_text_index(self.db)
        refused = await ensure_indexes(self.db)
        await backfill(self.db, self.driver)
        if refused and refused != self.search_unavailable:
            log.warning("%s; every other route works", refused)  # once per store and reason
        self.search_unavailable = refused

    async def start(self) -> None:
        """Create the indexes now, or keep trying in the background while the server is down."""
        try:
            await self.ensure_indexes()
        except (UnavailableError, StoreTimeoutError):
            log.warning("MongoDB unreachable at start-up; indexes will be created when it answers")
            self._index_task = asyncio.create_task(self._retry_indexes())

    async def _retry_indexes(self) -> None:
        while True:
            await asyncio.sleep(INDEX_RETRY_SECONDS)
            try:
                await self.ensure_indexes()
            except (UnavailableError, StoreTimeoutError):
                continue
            log.info("MongoDB indexes created")
            return

    def pool_stats(self) -> tuple[int, int, int] | None:
        """(connections in use, open, maximum) over the client's pools; None when unknown."""
        monitor = getattr(self.client, "storefront_pool_monitor", None)
        return monitor.stats() if isinstance(monitor, PoolMonitor) else None

    async def stop(self) -> None:
        if self._index_task is not None:
            self._index_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._index_task


async def open_client(driver: str, url: str, **options: int):
    """The process's MongoClient (PyMongo async or Motor, by MONGODB_DRIVER)."""
    monitor = PoolMonitor(int(options.get("max_pool_size", 100)))
    client = make_client(driver, url, event_listeners=[monitor], **options)
    client.storefront_pool_monitor = monitor  # read by MongoStore.pool_stats
    try:
        yield client
    finally:
        await close_client(driver, client)


async def open_store(client: Any, database: str, driver: str):
    store = MongoStore(client, client[database], driver)
    await store.start()
    try:
        yield store
    finally:
        await store.stop()


class MongoPing:
    def __init__(self, store: MongoStore) -> None:
        self._db = store.db

    @translated
    async def ping(self) -> None:
        await self._db.command("ping")


class MongoSchema:
    def __init__(self, store: MongoStore) -> None:
        self._store = store

    async def ensure(self) -> str:
        await self._store.ensure_indexes()
        done = f"mongo {self._store.db.name}: indexes ensured on {', '.join(INDEXES)}"
        if self._store.search_unavailable:
            return f"{done}, except the text index: {self._store.search_unavailable}"
        return done
