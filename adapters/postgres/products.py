"""Products, stock and full-text search in PostgreSQL."""

import asyncio
from collections.abc import Sequence
from decimal import Decimal

import asyncpg
from asyncpg import exceptions as pg

from adapters.postgres.db import PostgresDatabase
from adapters.postgres.mapping import (
    PRODUCT_COLUMNS,
    SEARCH_COLUMNS,
    keyset,
    product_columns,
    product_row,
    row_product,
    search_row,
)
from domain.errors import ConcurrentChangeError, NotFoundError
from domain.ids import is_valid_id
from domain.inventory import InsufficientStockError
from domain.pagination import Page, PageRequest
from domain.products import (
    SEARCH_WEIGHTS,
    BulkUpsertResult,
    Product,
    ProductFilter,
    SearchHit,
    search_terms,
)

_INSERT = (
    f"INSERT INTO products ({PRODUCT_COLUMNS}, {SEARCH_COLUMNS})"
    f" VALUES ({', '.join(f'${n}' for n in range(1, 15))})"
)
# conditional on the version the product was read at ($11), which it moves on
_UPDATE = (
    "UPDATE products SET sku = $2, name = $3, description = $4, price = $5, category = $6,"
    " tags = $7, is_active = $8, created_at = $9, updated_at = $10, version = version + 1,"
    " search_name = $12, search_tags = $13, search_description = $14"
    " WHERE id = $1 AND version = $11"
)
_EXISTS = "SELECT 1 FROM products WHERE id = $1"
_GET = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"
_GET_MANY = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ANY($1)"
# Bulk upsert: the whole batch as ten column arrays, one statement, one round trip.
# A known sku keeps its id and created_at; the row is only touched (updated_at moved, counted
# as modified) when a content field differs; RETURNING (xmax = 0) is true for inserted rows
# (counted inside the statement: one row comes back).
_CONTENT = ("name", "description", "price", "category", "tags", "is_active")
INLINE_ROWS = 200  # a larger batch is mapped to columns in a worker thread
_UPSERT = (
    "WITH written AS ("
    f"INSERT INTO products ({PRODUCT_COLUMNS}, {SEARCH_COLUMNS})"
    " SELECT id, sku, name, description, price, category,"
    " ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)), is_active, created_at, updated_at,"
    f" version, {SEARCH_COLUMNS}"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[],"
    " $7::text[], $8::boolean[], $9::timestamptz[], $10::timestamptz[], $11::integer[],"
    f" $12::text[], $13::text[], $14::text[]) AS s ({PRODUCT_COLUMNS}, {SEARCH_COLUMNS})"
    " ON CONFLICT (sku) DO UPDATE SET version = products.version + 1, "
    + ", ".join(
        f"{c} = excluded.{c}"
        for c in (*_CONTENT, "updated_at", *SEARCH_COLUMNS.replace(" ", "").split(","))
    )
    + f" WHERE ({', '.join(f'products.{c}' for c in _CONTENT)}) IS DISTINCT FROM"
    f" ({', '.join(f'excluded.{c}' for c in _CONTENT)})"
    " RETURNING (xmax = 0) AS inserted)"
    # one row back, not one per product: (inserted, inserted + really updated)
    " SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
)
# ts_rank's weights are {D, C, B, A}; the tsvector puts name in A, tags in B, description in D
_RANK_WEIGHTS = "{{{description}, 0, {tags}, {name}}}".format(
    **{f: w / SEARCH_WEIGHTS["name"] for f, w in SEARCH_WEIGHTS.items()}
)
# The user's words arrive as one text[] bind parameter; each goes through plainto_tsquery
# (which reads no syntax at all) and the resulting queries are ORed together.
_SEARCH = (
    "WITH q AS (SELECT storefront_tsquery_or(plainto_tsquery('english', w)) AS query"
    " FROM unnest($1::text[]) AS w)"
    f" SELECT {', '.join(f'p.{c.strip()}' for c in PRODUCT_COLUMNS.split(','))},"
    f" ts_rank('{_RANK_WEIGHTS}', p.search, q.query) AS score"
    " FROM products p, q WHERE p.search @@ q.query AND (NOT $4::boolean OR p.is_active)"
    " ORDER BY score DESC, p.id LIMIT $2 OFFSET $3"
)


def _where(where: ProductFilter) -> tuple[str, list[object]]:
    """Typed values as bind parameters only, so no request value becomes SQL."""
    clauses: list[str] = []
    params: list[object] = []

    def add(clause: str, value: object) -> None:
        params.append(value)
        clauses.append(clause.format(f"${len(params)}"))

    if where.category is not None:
        add("category = {}", str(where.category))
    if where.min_price is not None:
        add("price >= {}", Decimal(where.min_price))
    if where.max_price is not None:
        add("price <= {}", Decimal(where.max_price))
    if where.tag is not None:
        add("tags @> ARRAY[{}::text]", str(where.tag))  # served by the GIN index on tags
    if where.is_active is not None:
        add("is_active = {}", bool(where.is_active))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class PostgresProductRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def add(self, product: Product) -> None:
        async with self._db.connection() as conn:
            await conn.execute(_INSERT, *product_row(product), *search_row(product))

    async def get(self, product_id: str) -> Product | None:
        if not is_valid_id(product_id):
            return None
        row = await self._db.read(lambda conn: conn.fetchrow(_GET, product_id))
        return row_product(row) if row is not None else None

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        ids = [i for i in dict.fromkeys(product_ids) if is_valid_id(i)]
        if not ids:
            return {}
        rows = await self._db.read(lambda conn: conn.fetch(_GET_MANY, ids))
        return {p.id: p for p in map(row_product, rows)}

    async def list(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page)
        n = len(page_params)

        async def count_and_page(conn: asyncpg.Connection) -> tuple[int, list]:
            total = await conn.fetchval(f"SELECT count(*) FROM products{clause}", *params)
            if total <= page.skip:
                return total, []
            rows = await conn.fetch(
                f"SELECT {PRODUCT_COLUMNS} FROM products{page_clause}"
                f" ORDER BY created_at DESC, id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *page_params,
                page.limit,
                page.skip,
            )
            return total, rows

        total, rows = await self._db.read(count_and_page, snapshot=True)
        return Page([row_product(r) for r in rows], total)

    async def update(self, product: Product) -> None:
        async with self._db.connection() as conn:
            status = await conn.execute(_UPDATE, *product_row(product), *search_row(product))
            if status == "UPDATE 0":
                if await conn.fetchval(_EXISTS, product.id):
                    raise ConcurrentChangeError(f"Product {product.id} was changed meanwhile")
                raise NotFoundError(f"Product {product.id} not found")

    async def delete(self, product_id: str, version: int | None = None) -> bool:
        if not is_valid_id(product_id):
            return False
        async with self._db.connection() as conn:
            # its inventory row goes by ON DELETE CASCADE
            if version is None:
                status = await conn.execute("DELETE FROM products WHERE id = $1", product_id)
            else:
                sql = "DELETE FROM products WHERE id = $1 AND version = $2"
                status = await conn.execute(sql, product_id, version)
                if status == "DELETE 0" and await conn.fetchval(_EXISTS, product_id):
                    raise ConcurrentChangeError(f"Product {product_id} was changed meanwhile")
        return status != "DELETE 0"

    async def upsert_many(self, products: Sequence[Product]) -> BulkUpsertResult:
        if not products:
            return BulkUpsertResult(0, 0, 0)
        if len(products) > INLINE_ROWS:  # ~1 us a product: a large batch off the event loop
            columns = await asyncio.to_thread(product_columns, products)
        else:
            columns = product_columns(products)
        async with self._db.connection() as conn:
            upserted, changed = await conn.fetchrow(_UPSERT, *columns)
        return BulkUpsertResult(len(products) - upserted, changed - upserted, upserted)


_STOCK = "SELECT quantity FROM inventory WHERE product_id = $1"
_SET_STOCK = (
    "INSERT INTO inventory (product_id, quantity) SELECT id, $2 FROM products WHERE id = $1"
    " ON CONFLICT (product_id) DO UPDATE SET quantity = excluded.quantity"
)
# conditional: never below zero, decided by the row's own value under its row lock
_ADJUST = (
    "UPDATE inventory SET quantity = quantity + $2"
    " WHERE product_id = $1 AND quantity + $2 >= 0 RETURNING quantity"
)
# the first stock of a product: a racing first insert turns into the same addition
_ADJUST_NEW = (
    "INSERT INTO inventory (product_id, quantity) SELECT id, $2 FROM products WHERE id = $1"
    " ON CONFLICT (product_id) DO UPDATE SET quantity = inventory.quantity + excluded.quantity"
    " RETURNING quantity"
)


class PostgresInventoryRepository:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def get(self, product_id: str) -> int:
        if not is_valid_id(product_id):
            return 0
        quantity = await self._db.read(lambda conn: conn.fetchval(_STOCK, product_id))
        return quantity if quantity is not None else 0

    async def set(self, product_id: str, quantity: int) -> int:
        if not is_valid_id(product_id):
            raise NotFoundError(f"Product {product_id} not found")
        async with self._db.connection() as conn:
            try:
                status = await conn.execute(_SET_STOCK, product_id, quantity)
            except pg.ForeignKeyViolationError:  # the product was deleted meanwhile
                status = "INSERT 0 0"
        if status == "INSERT 0 0":
            raise NotFoundError(f"Product {product_id} not found")
        return quantity

    async def adjust(self, product_id: str, delta: int) -> int:
        if not is_valid_id(product_id):
            raise NotFoundError(f"Product {product_id} not found")
        async with self._db.connection() as conn:
            quantity = await conn.fetchval(_ADJUST, product_id, delta)
            if quantity is not None:
                return int(quantity)
            if delta < 0:  # no row (0 + delta < 0) or not enough in it
                raise InsufficientStockError(product_id)
            try:
                quantity = await conn.fetchval(_ADJUST_NEW, product_id, delta)
            except pg.ForeignKeyViolationError:  # the product was deleted meanwhile
                quantity = None
        if quantity is None:
            raise NotFoundError(f"Product {product_id} not found")
        return int(quantity)


class PostgresProductSearch:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    def unavailable_reason(self) -> str | None:
        return None  # search always works on this store

    async def search(
        self, text: str, page: PageRequest, active_only: bool = False
    ) -> list[SearchHit]:
        terms = search_terms(text)
        if not terms:
            return []
        rows = await self._db.read(
            lambda conn: conn.fetch(_SEARCH, terms, page.limit, page.skip, active_only)
        )
        return [SearchHit(row_product(r), round(float(r["score"]), 6)) for r in rows]
