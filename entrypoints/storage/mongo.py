"""The MongoDB storage container: its resources and the ports built on them.

Imported only when STORAGE_BACKEND selects it (entrypoints/container.py: build_storage), so a
server on one backend does not load the drivers of the others.
"""

from functools import partial

from dependency_injector import containers, providers

from adapters.mongo.analytics import MongoAnalyticsReader
from adapters.mongo.orders import (
    MongoIdempotencyRepository,
    MongoOrderRepository,
    MongoUnitOfWork,
)
from adapters.mongo.products import (
    MongoInventoryRepository,
    MongoProductRepository,
    MongoProductSearch,
)
from adapters.mongo.refresh_tokens import MongoRefreshTokenRepository
from adapters.mongo.store import MongoPing, MongoSchema, open_client, open_store
from adapters.mongo.users import MongoUserRepository
from entrypoints.settings import Settings


class MongoStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    client = providers.Resource(
        open_client,
        settings.provided.mongodb_driver,
        settings.provided.mongodb_url,
        min_pool_size=settings.provided.mongodb_min_pool_size,
        max_pool_size=settings.provided.mongodb_max_pool_size,
        server_selection_timeout_ms=settings.provided.mongodb_server_selection_timeout_ms,
        connect_timeout_ms=settings.provided.mongodb_connect_timeout_ms,
        socket_timeout_ms=settings.provided.mongodb_socket_timeout_ms,
        timeout_ms=settings.provided.mongodb_timeout_ms,
    )
    store = providers.Resource(
        open_store, client, settings.provided.mongodb_database, settings.provided.mongodb_driver
    )
    users = providers.Singleton(MongoUserRepository, store)
    products = providers.Singleton(MongoProductRepository, store)
    inventory = providers.Singleton(MongoInventoryRepository, store)
    product_search = providers.Singleton(MongoProductSearch, store)
    orders = providers.Singleton(MongoOrderRepository, store)
    idempotency = providers.Singleton(MongoIdempotencyRepository, store)
    refresh_tokens = providers.Singleton(MongoRefreshTokenRepository, store)
    uow = providers.Singleton(partial, MongoUnitOfWork, store)
    ping = providers.Singleton(MongoPing, store)
    schema = providers.Singleton(MongoSchema, store)
    analytics = providers.Singleton(MongoAnalyticsReader, store)
