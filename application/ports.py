"""The ports: what the core needs from the outside world, as Protocols."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from domain.access import AccessClaims, IssuedAccessToken, Principal, RefreshToken
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.orders import IdempotencyRecord, Order, OrderFilter, OrderStatus
from domain.pagination import Page, PageRequest
from domain.products import BulkUpsertResult, Product, ProductFilter, SearchHit
from domain.users import User, UserFilter


class UserRepository(Protocol):
    """Users by id; `add`/`update` raise DuplicateError naming a taken email or username."""

    async def add(self, user: User) -> None: ...

    async def get(self, user_id: str) -> User | None:
        """The user, or None when missing (also for an id that is not 24 hex digits)."""

    async def get_by_email(self, email: str) -> User | None:
        """The user with this (already normalised, lower-case) email, or None."""

    async def get_by_username(self, username: str) -> User | None:
        """The user with exactly this username, or None."""

    async def list(self, where: UserFilter, page: PageRequest) -> Page[User]:
        """Matching users newest first (created_at, then id, descending) and their total;
        with `page.after`, only those after that position (keyset, served by an index)."""

    async def update(self, user: User) -> None:
        """Replace the stored user if it is still at `user.version` (the version it was read
        at), moving it to version + 1, in one conditional write; ConcurrentChangeError when it
        has moved on, NotFoundError when it is gone."""

    async def delete(self, user_id: str, version: int | None = None) -> bool:
        """True when a user was deleted, False when there was none; with `version`, only a
        user still at that version is deleted (one conditional write), else
        ConcurrentChangeError."""

    async def delete_inactive_before(self, cutoff: datetime) -> int:
        """Maintenance purge: delete every user with is_active false and updated_at < cutoff
        (strictly; one delete_many / one DELETE statement) and return how many were deleted.
        It lives here, not in a maintenance port, because it is a user deletion like `delete`.
        """


class ProductRepository(Protocol):
    """Products by id; `add`/`update` raise DuplicateError("sku") on a taken sku."""

    async def add(self, product: Product) -> None: ...

    async def get(self, product_id: str) -> Product | None:
        """The product, or None when missing (also for an id that is not 24 hex digits)."""

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        """The products found among `product_ids`, by id, in one round trip; missing left out."""

    async def list(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        """Matching products newest first (created_at, then id, descending) and their total;
        with `page.after`, only those after that position (keyset, served by an index)."""

    async def update(self, product: Product) -> None:
        """Replace the stored product if it is still at `product.version` (the version it was read
        at), moving it to version + 1, in one conditional write; ConcurrentChangeError when it
        has moved on, NotFoundError when it is gone."""

    async def delete(self, product_id: str, version: int | None = None) -> bool:
        """True when a product (and its stock) was deleted, False when there was none; with
        `version`, only a product still at that version is deleted, else
        ConcurrentChangeError."""

    async def upsert_many(self, products: Sequence[Product]) -> BulkUpsertResult:
        """Upsert by sku in one round trip, skus unique within the call: a new sku is inserted
        as given; a known one keeps its id and created_at, takes the other fields, and moves
        updated_at and its version only when something changed (then it counts as
        modified)."""


class InventoryRepository(Protocol):
    """Stock per product id; quantities never go below zero. Callers check the product exists."""

    async def get(self, product_id: str) -> int:
        """The quantity in stock, 0 when it was never set."""

    async def set(self, product_id: str, quantity: int) -> int:
        """Set the quantity (>= 0); returns it."""

    async def adjust(self, product_id: str, delta: int) -> int:
        """Add `delta` atomically and return the new quantity; InsufficientStockError and
        no change when the result would be below zero."""


class ProductSearch(Protocol):
    """Relevance-ranked full-text search, weights name 10, tags 5, description 1."""

    async def search(
        self, text: str, page: PageRequest, active_only: bool = False
    ) -> list[SearchHit]:
        """Products matching any word of `text`, best first (score desc, then id asc); a text
        with no words is an empty list, and no input is ever read as query syntax.
        `active_only`: inactive products are left out (before paging)."""

    def unavailable_reason(self) -> str | None:
        """None when search works here; else why not (e.g. the store refused the text index
        search needs), and `search` then raises SearchUnsupportedError."""


class OrderRepository(Protocol):
    """Placed orders, the read side; every write goes through a UnitOfWork."""

    async def get(self, order_id: str) -> Order | None:
        """The order, or None when missing (also for an id that is not 24 hex digits)."""

    async def list(self, where: OrderFilter, page: PageRequest) -> Page[Order]:
        """Matching orders newest first (created_at, then id, descending) and their total;
        with `page.after`, only those after that position (keyset, served by an index)."""

    async def pending_before(self, cutoff: datetime, limit: int) -> Sequence[Order]:
        """Up to `limit` orders still pending that were created before `cutoff`, oldest
        first (served by the (status, created_at) index on every store)."""


class IdempotencyRepository(Protocol):
    """Idempotency records, the read side."""

    async def find(self, key: str, not_before: datetime) -> IdempotencyRecord | None:
        """The record under `key` created at or after `not_before` (older ones have expired)."""


class StockWriter(Protocol):
    """Stock changes inside a unit of work."""

    def reserve(self, product_id: str, quantity: int) -> None:
        """Take `quantity` if at least that much is in stock (a conditional decrement), else
        InsufficientStockError naming the product, at commit at the latest."""

    def release(self, product_id: str, quantity: int) -> None:
        """Give `quantity` back (a product deleted since is skipped)."""


class OrderWriter(Protocol):
    """Order writes inside a unit of work."""

    def add(self, order: Order) -> None:
        """Insert the order; DuplicateError at commit at the latest when its id is taken."""

    def update(self, order: Order, expected_status: OrderStatus) -> None:
        """Replace the order if it is still in `expected_status` and at `order.version` (the
        version it was read at), moving it to version + 1, else ConcurrentChangeError
        (NotFoundError when it is gone) at commit at the latest."""


class IdempotencyWriter(Protocol):
    """Idempotency writes inside a unit of work."""

    def add(self, record: IdempotencyRecord, expired_before: datetime) -> None:
        """Store the record; a record under the same key created before `expired_before` is
        replaced, a newer one is DuplicateError("idempotency_key") at commit at the latest."""


class UnitOfWork(Protocol):
    """One atomic unit: `async with uow: ...; await uow.commit()`.

    Writes are recorded, then applied together by `commit`, all or nothing (a store
    transaction); leaving the block without committing, or by an exception, applies nothing.
    A write's conflict (stock, duplicate, concurrent change) is raised by `commit` at the
    latest, and then nothing of the unit was applied.
    """

    stock: StockWriter
    orders: OrderWriter
    idempotency: IdempotencyWriter

    async def __aenter__(self) -> "UnitOfWork": ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """A new, empty unit of work per call (cheap: no I/O until commit)."""

    def __call__(self) -> UnitOfWork: ...


class StoragePing(Protocol):
    """`ping` returns when the store answers, else raises UnavailableError/StoreTimeoutError."""

    async def ping(self) -> None: ...


class PasswordHasher(Protocol):
    """argon2id-style hashing; `verify` never raises on a wrong password."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...


class Clock(Protocol):
    """`now` is an aware UTC datetime truncated to milliseconds (what every store keeps)."""

    def now(self) -> datetime: ...


class AnalyticsReader(Protocol):
    """Reports computed inside the store (aggregation pipelines, SQL GROUP BY), never by
    loading a whole collection into the process; each answer is already sorted."""

    async def users_by_role(self) -> list[RoleCount]:
        """One row per role that has users, by total_users descending, then role name."""

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        """Users created per UTC day, start and end included, by day; days with none omitted.

        The caller checks the range (start <= end, at most 366 days).
        """

    async def top_customers(self, limit: int) -> list[TopCustomer]:
        """At most `limit` users by count of their orders that are not cancelled (descending),
        then the exact sum of those orders' totals (descending), then user id (ascending);
        users with no such order, and users that no longer exist, are left out.

        The caller checks the limit (1 to 100).
        """


class RefreshTokenRepository(Protocol):
    """Refresh tokens by the SHA-256 hex digest of the opaque token (the token itself is never
    stored). Writes are single conditional statements, so concurrent callers cannot both win."""

    async def add(self, token: RefreshToken) -> None:
        """Store a new token; DuplicateError("token_hash") when that hash exists."""

    async def get(self, token_hash: str) -> RefreshToken | None:
        """The token, or None when there is none (never stored, or removed after expiry)."""

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        """Set used_at = `at` only if the token is neither used nor revoked (one conditional
        write): True for the one caller that did it, False for everyone else."""

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Set revoked_at on every token of the family not yet revoked; how many."""

    async def revoke_user(self, user_id: str, at: datetime) -> int:
        """Set revoked_at on every token of the user not yet revoked; how many."""


class TokenIssuer(Protocol):
    """Signed, short-lived access tokens (a JWT adapter); pure CPU, microseconds: sync."""

    def issue(self, user_id: str, role: str) -> IssuedAccessToken:
        """A token for `user_id` with claims sub, role, iat (now, by the verifier's own clock:
        exp is checked against it), exp, jti."""

    def verify(self, token: str) -> AccessClaims:
        """The claims of a genuine, unexpired token; InvalidTokenError otherwise (bad
        signature, wrong algorithm or `alg: none`, expired, missing claims, malformed)."""


class AuditLog(Protocol):
    """Privileged changes, one event each: `actor` (the caller's principal; SYSTEM for the
    CLI), `action` ("user.role_change", "stock.set", ...), `target` ("user:<id>",
    "product:<id>", "order:<id>", "users"), and the changed fields `before` -> `after`.
    Called after the change is made; never raises; never given a secret."""

    def record(
        self,
        actor: Principal,
        action: str,
        target: str,
        before: Mapping[str, object],
        after: Mapping[str, object],
    ) -> None: ...
