"""The the in-memory store storage container: its resources and the ports built on them.

Imported only when STORAGE_BACKEND selects it (entrypoints/container.py: build_storage), so a
server on one backend does not load the drivers of the others.
"""

from functools import partial

from dependency_injector import containers, providers

from adapters.memory.analytics import InMemoryAnalyticsReader
from adapters.memory.orders import (
    InMemoryIdempotencyRepository,
    InMemoryOrderRepository,
    InMemoryUnitOfWork,
)
from adapters.memory.products import (
    InMemoryInventoryRepository,
    InMemoryProductRepository,
    InMemoryProductSearch,
)
from adapters.memory.refresh_tokens import InMemoryRefreshTokenRepository
from adapters.memory.state import InMemoryPing, InMemorySchema, open_memory_state
from adapters.memory.users import InMemoryUserRepository
from entrypoints.settings import Settings


class MemoryStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    state = providers.Resource(open_memory_state)
    users = providers.Singleton(InMemoryUserRepository, state)
    products = providers.Singleton(InMemoryProductRepository, state)
    inventory = providers.Singleton(InMemoryInventoryRepository, state)
    product_search = providers.Singleton(InMemoryProductSearch, state)
    orders = providers.Singleton(InMemoryOrderRepository, state)
    idempotency = providers.Singleton(InMemoryIdempotencyRepository, state)
    refresh_tokens = providers.Singleton(InMemoryRefreshTokenRepository, state)
    uow = providers.Singleton(partial, InMemoryUnitOfWork, state)
    ping = providers.Singleton(InMemoryPing)
    schema = providers.Singleton(InMemorySchema)
    analytics = providers.Singleton(InMemoryAnalyticsReader, state)
