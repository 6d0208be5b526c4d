"""The composition root: one storage container per adapter, one application container."""

import importlib
import inspect
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from dependency_injector import containers, providers

from adapters.audit import StructlogAuditLog
from adapters.clock import SystemClock
from adapters.passwords import Argon2PasswordHasher
from adapters.tokens import JwtTokenIssuer
from application.analytics import ReportRegistrations, ReportTopCustomers, ReportUsersByRole
from application.auth import Authenticate, CreateAdmin, Login, Logout, RefreshAccess
from application.health import CheckHealth
from application.inventory import AdjustStock, GetStock, SetStock
from application.maintenance import PurgeInactiveUsers
from application.orders import (
    ChangeOrderStatus,
    ExpirePendingOrders,
    GetOrder,
    ListOrders,
    PlaceOrder,
)
from application.products import (
    BulkUpsertProducts,
    CreateProduct,
    DeleteProduct,
    GetProduct,
    ListProducts,
    SearchProducts,
    UpdateProduct,
)
from application.users import DeleteUser, GetUser, ListUsers, RegisterUser, UpdateUser
from entrypoints.jwt_secret import jwt_secret
from entrypoints.metrics import instrument_storage
from entrypoints.settings import Backend, Settings

# Each backend's storage container, imported on first use: a server loads only the drivers
# of its STORAGE_BACKEND (pymongo and motor alone add ~7 MiB to a SQLite worker, measured).
STORAGES: dict[Backend, str] = {
    Backend.MEMORY: "entrypoints.storage.memory:MemoryStorage",
    Backend.SQLITE: "entrypoints.storage.sqlite:SqliteStorage",
    Backend.MONGO: "entrypoints.storage.mongo:MongoStorage",
    Backend.POSTGRES: "entrypoints.storage.postgres:PostgresStorage",
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
    create_product: CreateProduct
    get_product: GetProduct
    list_products: ListProducts
    update_product: UpdateProduct
    delete_product: DeleteProduct
    search_products: SearchProducts
    bulk_upsert_products: BulkUpsertProducts
    get_stock: GetStock
    set_stock: SetStock
    adjust_stock: AdjustStock
    place_order: PlaceOrder
    get_order: GetOrder
    list_orders: ListOrders
    change_order_status: ChangeOrderStatus
    users_by_role: ReportUsersByRole
    registrations: ReportRegistrations
    top_customers: ReportTopCustomers
    purge_inactive_users: PurgeInactiveUsers
    expire_pending_orders: ExpirePendingOrders
    authenticate: Authenticate
    login: Login
    refresh_access: RefreshAccess
    logout: Logout
    create_admin: CreateAdmin


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    storage = providers.DependenciesContainer()

    clock = providers.Singleton(SystemClock)
    audit = providers.Singleton(StructlogAuditLog)  # the `audit` log events (issue 13)
    change_order_status = providers.Singleton(
        ChangeOrderStatus, storage.orders, storage.uow, clock, audit=audit
    )
    hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.password_hash_time_cost,
        memory_cost_kib=settings.provided.password_hash_memory_kib,
        concurrency=settings.provided.password_hash_concurrency,
    )
    token_issuer = providers.Singleton(
        JwtTokenIssuer,
        secret=providers.Callable(partial, jwt_secret, settings),
        minutes=settings.provided.access_token_minutes,
    )

    services = providers.Singleton(
        Services,
        register_user=providers.Singleton(RegisterUser, storage.users, hasher, clock),
        get_user=providers.Singleton(GetUser, storage.users),
        list_users=providers.Singleton(ListUsers, storage.users),
        update_user=providers.Singleton(
            UpdateUser, storage.users, hasher, clock, storage.refresh_tokens, audit=audit
        ),
        delete_user=providers.Singleton(DeleteUser, storage.users, audit=audit),
        check_health=providers.Singleton(CheckHealth, storage.ping, clock, storage.product_search),
        create_product=providers.Singleton(CreateProduct, storage.products, clock),
        get_product=providers.Singleton(GetProduct, storage.products),
        list_products=providers.Singleton(ListProducts, storage.products),
        update_product=providers.Singleton(UpdateProduct, storage.products, clock, audit=audit),
        delete_product=providers.Singleton(DeleteProduct, storage.products, audit=audit),
        search_products=providers.Singleton(SearchProducts, storage.product_search),
        bulk_upsert_products=providers.Singleton(BulkUpsertProducts, storage.products, clock),
        get_stock=providers.Singleton(GetStock, storage.products, storage.inventory),
        set_stock=providers.Singleton(SetStock, storage.products, storage.inventory, audit=audit),
        adjust_stock=providers.Singleton(
            AdjustStock, storage.products, storage.inventory, audit=audit
        ),
        place_order=providers.Singleton(
            PlaceOrder,
            storage.users,
            storage.products,
            storage.orders,
            storage.idempotency,
            storage.uow,
            clock,
        ),
        get_order=providers.Singleton(GetOrder, storage.orders),
        list_orders=providers.Singleton(ListOrders, storage.orders),
        change_order_status=change_order_status,
        users_by_role=providers.Singleton(ReportUsersByRole, storage.analytics),
        registrations=providers.Singleton(ReportRegistrations, storage.analytics),
        top_customers=providers.Singleton(ReportTopCustomers, storage.analytics),
        purge_inactive_users=providers.Singleton(
            PurgeInactiveUsers, storage.users, clock, audit=audit
        ),
        expire_pending_orders=providers.Singleton(
            ExpirePendingOrders,
            storage.orders,
            change_order_status,
            clock,
            ttl=providers.Callable(
                lambda minutes: timedelta(minutes=minutes),
                settings.provided.order_pending_ttl_minutes,
            ),
        ),
        authenticate=providers.Singleton(Authenticate, token_issuer, storage.users),
        login=providers.Singleton(
            Login,
            storage.users,
            hasher,
            token_issuer,
            storage.refresh_tokens,
            clock,
            settings.provided.refresh_token_days,
        ),
        refresh_access=providers.Singleton(
            RefreshAccess,
            storage.users,
            token_issuer,
            storage.refresh_tokens,
            clock,
            settings.provided.refresh_token_days,
        ),
        logout=providers.Singleton(Logout, storage.refresh_tokens, clock),
        create_admin=providers.Singleton(CreateAdmin, storage.users, hasher, clock),
    )


def storage_class(backend: Backend) -> type[containers.DeclarativeContainer]:
    """The storage container class of `backend`, importing its module (and driver) now."""
    module, name = STORAGES[backend].split(":")
    cls: type[containers.DeclarativeContainer] = getattr(importlib.import_module(module), name)
    return cls


def build_storage(settings: Settings) -> containers.DeclarativeContainer:
    """The storage container of settings.storage_backend (only that backend is imported)."""
    return storage_class(settings.storage_backend)(settings=settings)


def build_container(
    settings: Settings, storage: containers.DeclarativeContainer | None = None
) -> Container:
    """The container for `settings`; tests may pass a storage container with overrides.

    The store's ports are timed for the metrics (entrypoints/metrics.py: instrument_storage).
    """
    storage = instrument_storage(storage or build_storage(settings), settings.storage_backend.value)
    return Container(settings=settings, storage=storage)


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
