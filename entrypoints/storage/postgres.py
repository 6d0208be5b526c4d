"""The PostgreSQL storage container: its resources and the ports built on them.

Imported only when STORAGE_BACKEND selects it (entrypoints/container.py: build_storage), so a
server on one backend does not load the drivers of the others.
"""

from functools import partial

from dependency_injector import containers, providers

from adapters.postgres.analytics import PostgresAnalyticsReader
from adapters.postgres.db import PostgresPing, PostgresSchema, open_postgres
from adapters.postgres.orders import (
    PostgresIdempotencyRepository,
    PostgresOrderRepository,
    PostgresUnitOfWork,
)
from adapters.postgres.products import (
    PostgresInventoryRepository,
    PostgresProductRepository,
    PostgresProductSearch,
)
from adapters.postgres.refresh_tokens import PostgresRefreshTokenRepository
from adapters.postgres.users import PostgresUserRepository
from entrypoints.settings import Settings


class PostgresStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    db = providers.Resource(
        open_postgres,
        settings.provided.postgres_url,
        schema=settings.provided.postgres_schema,
        min_size=settings.provided.postgres_min_pool_size,
        max_size=settings.provided.postgres_max_pool_size,
        command_timeout_s=settings.provided.postgres_command_timeout_s,
        acquire_timeout_s=settings.provided.postgres_acquire_timeout_s,
        connect_timeout_s=settings.provided.postgres_connect_timeout_s,
        application_name=settings.provided.postgres_application_name,
    )
    users = providers.Singleton(PostgresUserRepository, db)
    products = providers.Singleton(PostgresProductRepository, db)
    inventory = providers.Singleton(PostgresInventoryRepository, db)
    product_search = providers.Singleton(PostgresProductSearch, db)
    orders = providers.Singleton(PostgresOrderRepository, db)
    idempotency = providers.Singleton(PostgresIdempotencyRepository, db)
    refresh_tokens = providers.Singleton(PostgresRefreshTokenRepository, db)
    uow = providers.Singleton(partial, PostgresUnitOfWork, db)
    ping = providers.Singleton(PostgresPing, db)
    schema = providers.Singleton(PostgresSchema, db)
    analytics = providers.Singleton(PostgresAnalyticsReader, db)
