"""A throwaway database for a benchmark run on the postgres backend.

POSTGRES_URL names the server (default: this machine's, as in .ci/run); each run creates a
database of its own there and drops it at the end, so runs never see each other's rows.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlsplit

import asyncpg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def _create() -> tuple[str, str]:
    url = os.environ.get("POSTGRES_URL", DEFAULT_URL)
    name = f"storefront_bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url, name


async def _drop(url: str, name: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _url_of(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped afterwards (inside an event loop)."""
    url, name = await _create()
    try:
        yield _url_of(url, name)
    finally:
        await _drop(url, name)


@contextmanager
def fresh_database_sync() -> Iterator[str]:
    """The same, for code that runs no event loop of its own (a server in a subprocess)."""
    url, name = asyncio.run(_create())
    try:
        yield _url_of(url, name)
    finally:
        asyncio.run(_drop(url, name))
