"""The composition root: one storage container per adapter, one application container."""

import inspect
from dataclasses import dataclass

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.memory.state import InMemoryPing, InMemorySchema, open_memory_state
from adapters.memory.users import InMemoryUserRepository
from adapters.mongo.store import MongoPing, MongoSchema, open_client, open_store
from adapters.mongo.users import MongoUserRepository
from adapters.passwords import Argon2PasswordHasher
from adapters.postgres.db import PostgresPing, PostgresSchema, open_postgres
from adapters.postgres.users import PostgresUserRepository
from adapters.sqlite.db import SqlitePing, SqliteSchema, open_sqlite
from adapters.sqlite.users import SqliteUserRepository
from application.health import CheckHealth
from application.users import DeleteUser, GetUser, ListUsers, RegisterUser, UpdateUser
from entrypoints.settings import Backend, Settings


class MemoryStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    state = providers.Resource(open_memory_state)
    users = providers.Singleton(InMemoryUserRepository, state)
    ping = providers.Singleton(InMemoryPing)
    schema = providers.Singleton(InMemorySchema)


class SqliteStorage(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    db = providers.Resource(
        open_sqlite,
        settings.provided.sqlite_path,
        settings.provided.sqlite_synchronous,
        settings.provided.sqlite_busy_timeout_ms,
    )
    users = providers.Singleton(SqliteUserRepository, db)
    ping = providers.Singleton(SqlitePing, db)
    schema = providers.Singleton(SqliteSchema, db)


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
    ping = providers.Singleton(MongoPing, store)
    schema = providers.Singleton(MongoSchema, store)


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
    ping = providers.Singleton(PostgresPing, db)
    schema = providers.Singleton(PostgresSchema, db)


STORAGES: dict[Backend, type[containers.DeclarativeContainer]] = {
    Backend.MEMORY: MemoryStorage,
    Backend.SQLITE: SqliteStorage,
    Backend.MONGO: MongoStorage,
    Backend.POSTGRES: PostgresStorage,
}


@dataclass(frozen=True, slots=True)
class Services:
    """Every use case, built once after the resources are up; routers read it from app.state."""

    register_user: RegisterUser
    get_user: GetUser
    list_users: ListUsers
    update_user: UpdateUser
    delete_user: DeleteUser
    check_health: CheckHealth


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    storage = providers.DependenciesContainer()

    clock = providers.Singleton(SystemClock)
    hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.password_hash_time_cost,
        memory_cost_kib=settings.provided.password_hash_memory_kib,
    )

    services = providers.Singleton(
        Services,
        register_user=providers.Singleton(RegisterUser, storage.users, hasher, clock),
        get_user=providers.Singleton(GetUser, storage.users),
        list_users=providers.Singleton(ListUsers, storage.users),
        update_user=providers.Singleton(UpdateUser, storage.users, hasher, clock),
        delete_user=providers.Singleton(DeleteUser, storage.users),
        check_health=providers.Singleton(CheckHealth, storage.ping, clock),
    )


def build_storage(settings: Settings) -> containers.DeclarativeContainer:
    return STORAGES[settings.storage_backend](settings=settings)


def build_container(
    settings: Settings, storage: containers.DeclarativeContainer | None = None
) -> Container:
    """The container for `settings`; tests may pass a storage container with overrides."""
    return Container(settings=settings, storage=storage or build_storage(settings))


async def provide(provider: providers.Provider):
    """A provider's value; providers that depend on an async resource return awaitables."""
    value = provider()
    return await value if inspect.isawaitable(value) else value


async def start(container: Container) -> Services:
    """Open every resource (clients, connections) and build the use cases once."""
    await container.init_resources()
    return await provide(container.services)


async def stop(container: Container) -> None:
    await container.shutdown_resources()
