"""Products, stock and search in SQLite: point reads inline, lists and search on the read
threads, writes on the writer thread."""

import sqlite3
from collections.abc import Sequence

import orjson

from adapters.sqlite.db import SqliteDatabase, translated
from adapters.sqlite.mapping import PRODUCT_COLUMNS, keyset, product_row, row_product
from domain.errors import ConcurrentChangeError, NotFoundError
from domain.inventory import InsufficientStockError
from domain.money import to_cents
from domain.pagination import Page, PageRequest
from domain.products import (
    SEARCH_WEIGHTS,
    BulkUpsertResult,
    Product,
    ProductFilter,
    SearchHit,
    search_terms,
)

_INSERT = f"INSERT INTO products ({PRODUCT_COLUMNS}) VALUES ({', '.join('?' * 11)})"
# conditional on the version the product was read at, which it moves on
_UPDATE = (
    "UPDATE products SET sku = ?, name = ?, description = ?, price_cents = ?, category = ?,"
    " tags = ?, is_active = ?, created_at = ?, updated_at = ?, version = version + 1"
    " WHERE id = ? AND version = ?"
)
_GET = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?"
_GET_MANY = f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN (SELECT value FROM json_each(?))"
# Bulk upsert: the rows go into a temporary staging table with executemany, then ONE
# INSERT ... SELECT ... ON CONFLICT(sku) DO UPDATE moves them, in the same transaction.
# Measured: executemany straight into products costs ~6x more, because every row is then its
# own statement and FTS5 flushes its pending terms at each statement (a segment per row).
_STAGE_CREATE = (
    "CREATE TEMP TABLE IF NOT EXISTS products_stage (id TEXT, sku TEXT, name TEXT,"
    " description TEXT, price_cents INTEGER, category TEXT, tags TEXT, is_active INTEGER,"
    " created_at TEXT, updated_at TEXT, version INTEGER)"
)
_STAGE_INSERT = (
    f"INSERT INTO temp.products_stage ({PRODUCT_COLUMNS}) VALUES ({', '.join('?' * 11)})"
)
_STAGE_CLEAR = "DELETE FROM temp.products_stage"
# an unchanged row is not touched (so it keeps updated_at and does not count as modified);
# "WHERE true" is how SQLite's grammar tells an upsert's SELECT from a join
_UPSERT = (
    f"INSERT INTO products ({PRODUCT_COLUMNS})"
    f" SELECT {PRODUCT_COLUMNS} FROM temp.products_stage WHERE true"
    " ON CONFLICT (sku) DO UPDATE SET name = excluded.name,"
    " description = excluded.description, price_cents = excluded.price_cents,"
    " category = excluded.category, tags = excluded.tags, is_active = excluded.is_active,"
    " updated_at = excluded.updated_at, version = products.version + 1"
    " WHERE (name, description, price_cents, category, tags, is_active) IS NOT"
    " (excluded.name, excluded.description, excluded.price_cents, excluded.category,"
    " excluded.tags, excluded.is_active)"
)
_MAX_PK = "SELECT coalesce(max(pk), 0) FROM products"
_COUNT_NEWER = "SELECT count(*) FROM products WHERE pk > ?"
_COLUMNS_P = ", ".join(f"p.{c.strip()}" for c in PRODUCT_COLUMNS.split(","))
_BM25 = "bm25(products_fts, {name}.0, {tags}.0, {description}.0)".format(**SEARCH_WEIGHTS)
# Search, step 1: the index alone ranks (bm25 is lower-is-better) and keeps the first rows in
# a LIMIT-bounded sorter; nothing is joined for the thousands of other matches.
_RANKED = f"SELECT rowid, {_BM25} FROM products_fts WHERE products_fts MATCH ? ORDER BY 2 LIMIT ?"
_N_COLUMNS = len(PRODUCT_COLUMNS.split(","))
# rows tied with the last one needed may lie past that cut; this many more settle most ties
TIE_SLACK = 64
_BY_PK = f"SELECT pk, {PRODUCT_COLUMNS} FROM products WHERE pk IN (SELECT value FROM json_each(?))"
# Step 2, only when ties run past the slack: every match scoring at least the cut's score,
# joined and ordered by (score, id), so ties always come out in id order.
_RANKED_TIES = (
    f"SELECT {_COLUMNS_P}, m.score FROM (SELECT rowid AS pk, {_BM25} AS score"
    " FROM products_fts WHERE products_fts MATCH ?) AS m JOIN products p ON p.pk = m.pk"
    " WHERE m.score <= ? AND (? = 0 OR p.is_active = 1) ORDER BY m.score, p.id LIMIT ? OFFSET ?"
)


def _where(where: ProductFilter) -> tuple[str, list[object]]:
    clauses, params = [], []
    if where.category is not None:
        clauses.append("category = ?")
        params.append(where.category)
    if where.min_price is not None:
        clauses.append("price_cents >= ?")
        params.append(to_cents(where.min_price))
    if where.max_price is not None:
        clauses.append("price_cents <= ?")
        params.append(to_cents(where.max_price))
    if where.tag is not None:
        clauses.append("pk IN (SELECT product_pk FROM product_tags WHERE tag = ?)")
        params.append(where.tag)
    if where.is_active is not None:
        clauses.append("is_active = ?")
        params.append(int(where.is_active))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def fts_query(text: str) -> str:
    """The words of `text` as quoted FTS5 strings joined by OR: user input is never syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in search_terms(text))


class SqliteProductRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, product: Product) -> None:
        row = product_row(product)
        await self._db.write(lambda conn: conn.execute(_INSERT, row))

    async def get(self, product_id: str) -> Product | None:
        with translated():
            row = self._db.reader.execute(_GET, (product_id,)).fetchone()
        return row_product(row) if row is not None else None

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        if not product_ids:
            return {}
        with translated():
            rows = self._db.reader.execute(_GET_MANY, (orjson.dumps(list(product_ids)).decode(),))
            products = [row_product(r) for r in rows.fetchall()]
        return {p.id: p for p in products}

    async def list(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        clause, params = _where(where)
        page_clause, page_params = keyset(clause, params, page)

        def work(conn: sqlite3.Connection) -> Page[Product]:
            (total,) = conn.execute(f"SELECT count(*) FROM products{clause}", params).fetchone()
            rows = conn.execute(
                f"SELECT {PRODUCT_COLUMNS} FROM products{page_clause}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [*page_params, page.limit, page.skip],
            ).fetchall()
            return Page([row_product(r) for r in rows], total)

        # a count and a page can take milliseconds: a read thread, not the event loop
        return await self._db.read(work, snapshot=True)

    async def update(self, product: Product) -> None:
        row = product_row(product)
        values = (*row[1:-1], row[0], product.version)

        def work(conn: sqlite3.Connection) -> None:
            if conn.execute(_UPDATE, values).rowcount == 0:
                if conn.execute(_PRODUCT_EXISTS, (product.id,)).fetchone():
                    raise ConcurrentChangeError(f"Product {product.id} was changed meanwhile")
                raise NotFoundError(f"Product {product.id} not found")

        await self._db.write(work)

    async def delete(self, product_id: str, version: int | None = None) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            # inventory and product_tags rows go by ON DELETE CASCADE, the FTS row by trigger
            if version is None:
                sql, params = "DELETE FROM products WHERE id = ?", (product_id,)
            else:
                sql, params = (
                    "DELETE FROM products WHERE id = ? AND version = ?",
                    (product_id, version),
                )
            if conn.execute(sql, params).rowcount > 0:
                return True
            if version is not None and conn.execute(_PRODUCT_EXISTS, (product_id,)).fetchone():
                raise ConcurrentChangeError(f"Product {product_id} was changed meanwhile")
            return False

        return await self._db.write(work)

    async def upsert_many(self, products: Sequence[Product]) -> BulkUpsertResult:
        def work(conn: sqlite3.Connection) -> BulkUpsertResult:
            rows = [product_row(p) for p in products]  # on the writer thread, not the loop
            conn.execute(_STAGE_CREATE)
            conn.execute(_STAGE_CLEAR)
            conn.executemany(_STAGE_INSERT, rows)
            (max_pk,) = conn.execute(_MAX_PK).fetchone()
            changed = conn.execute(_UPSERT).rowcount  # inserted + really updated
            (upserted,) = conn.execute(_COUNT_NEWER, (max_pk,)).fetchone()
            conn.execute(_STAGE_CLEAR)
            return BulkUpsertResult(len(rows) - upserted, changed - upserted, upserted)

        return await self._db.write(work)


_STOCK = "SELECT quantity FROM inventory WHERE product_id = ?"
_PRODUCT_EXISTS = "SELECT 1 FROM products WHERE id = ?"
_SET_STOCK = (
    "INSERT INTO inventory (product_id, quantity) VALUES (?, ?)"
    " ON CONFLICT (product_id) DO UPDATE SET quantity = excluded.quantity"
)
_ADJUST = (
    "UPDATE inventory SET quantity = quantity + ?"
    " WHERE product_id = ? AND quantity + ? >= 0 RETURNING quantity"
)


def _require_product(conn: sqlite3.Connection, product_id: str) -> None:
    if conn.execute(_PRODUCT_EXISTS, (product_id,)).fetchone() is None:
        raise NotFoundError(f"Product {product_id} not found")


class SqliteInventoryRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def get(self, product_id: str) -> int:
        with translated():
            row = self._db.reader.execute(_STOCK, (product_id,)).fetchone()
        return row[0] if row is not None else 0

    async def set(self, product_id: str, quantity: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            _require_product(conn, product_id)
            conn.execute(_SET_STOCK, (product_id, quantity))
            return quantity

        return await self._db.write(work)

    async def adjust(self, product_id: str, delta: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute(_ADJUST, (delta, product_id, delta)).fetchall()
            if rows:
                return rows[0][0]
            if delta < 0 or conn.execute(_STOCK, (product_id,)).fetchone() is not None:
                raise InsufficientStockError(product_id)
            _require_product(conn, product_id)
            conn.execute(_SET_STOCK, (product_id, delta))
            return delta

        return await self._db.write(work)


def _search(
    conn: sqlite3.Connection, query: str, skip: int, limit: int, active_only: bool
) -> list[SearchHit]:
    """The page of hits, best first, ties by id: a top-k of the index, then those rows
    joined. Inactive products (when left out) are dropped from the top-k, which is widened
    (x4) until enough remain or the matches run out."""
    wanted = skip + limit
    fetch = wanted + TIE_SLACK
    while True:
        ranked = conn.execute(_RANKED, (query, fetch)).fetchall()
        exhausted = len(ranked) < fetch
        score = dict(ranked)
        rows = conn.execute(_BY_PK, (orjson.dumps(list(score)).decode(),)).fetchall()
        products = [(score[r[0]], row_product(r[1:])) for r in rows]
        if active_only:
            products = [(s, p) for s, p in products if p.is_active]
        products.sort(key=lambda hit: (hit[0], hit[1].id))
        if len(products) <= skip and exhausted:
            return []
        if len(products) >= wanted or exhausted:
            break
        fetch *= 4  # too many inactive ones among the first matches
    cut = products[min(wanted, len(products)) - 1][0]
    if not exhausted and ranked[-1][1] == cut:  # ties run past what was fetched
        params = (query, cut, int(active_only), limit, skip)
        return [
            SearchHit(row_product(r), -r[_N_COLUMNS])
            for r in conn.execute(_RANKED_TIES, params).fetchall()
        ]
    return [SearchHit(p, -s) for s, p in products[skip:wanted]]


class SqliteProductSearch:
    """FTS5 over folded text (migration 8), weighted bm25, on a read thread."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def unavailable_reason(self) -> str | None:
        return None  # search always works on this store

    async def search(
        self, text: str, page: PageRequest, active_only: bool = False
    ) -> list[SearchHit]:
        query = fts_query(text)
        if not query:
            return []
        skip, limit = page.skip, page.limit
        return await self._db.read(lambda conn: _search(conn, query, skip, limit, active_only))
