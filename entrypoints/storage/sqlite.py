"""The SQLite storage container: its resources and the ports built on them.

Imported only when STORAGE_BACKEND selects it (entrypoints/container.py: build_storage), so a
server on one backend does not load the drivers of the others.
"""

from functools import partial

from dependency_injector import containers, providers

from adapters.sqlite.analytics import SqliteAnalyticsReader
from adapters.sqlite.db import SqlitePing, SqliteSchema, open_sqlite
from adapters.sqlite.orders import (
    SqliteIdempotencyRepository,
    SqliteOrderRepository,
    SqliteUnitOfWork,
)
from adapters.sqlite.products import (
    SqliteInventoryRepository,
    SqliteProductRepository,
    SqliteProductSearch,
)
from adapters.sqlite.refresh_tokens import SqliteRefreshTokenRepository
from adapters.sqlite.users import SqliteUserRepository
from entrypoints.settings import Settings


class SqliteStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    db = providers.Resource(
        open_sqlite,
        settings.provided.sqlite_path,
        settings.provided.sqlite_synchronous,
        settings.provided.sqlite_busy_timeout_ms,
        settings.provided.sqlite_read_threads,
    )
    users = providers.Singleton(SqliteUserRepository, db)
    products = providers.Singleton(SqliteProductRepository, db)
    inventory = providers.Singleton(SqliteInventoryRepository, db)
    product_search = providers.Singleton(SqliteProductSearch, db)
    orders = providers.Singleton(SqliteOrderRepository, db)
    idempotency = providers.Singleton(SqliteIdempotencyRepository, db)
    refresh_tokens = providers.Singleton(SqliteRefreshTokenRepository, db)
    uow = providers.Singleton(partial, SqliteUnitOfWork, db)
    ping = providers.Singleton(SqlitePing, db, settings.provided.sqlite_min_free_bytes)
    schema = providers.Singleton(SqliteSchema, db)
    analytics = providers.Singleton(SqliteAnalyticsReader, db)
