"""Shared helpers: an app on a backend, served in-process through httpx's ASGI transport."""

import tempfile
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from _postgres import fresh_database
from asgi_lifespan import LifespanManager

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench admin password 1"


def settings_for(backend: str, folder: str, **overrides) -> Settings:
    values = {
        "jwt_secret": "bench-only-secret-at-least-32-bytes-long",
        "first_admin_email": ADMIN_EMAIL,
        "first_admin_password": ADMIN_PASSWORD,
        **overrides,
    }
    return Settings(
        _env_file=None,
        storage_backend=backend,
        sqlite_path=str(Path(folder) / "bench.db"),
        **values,
    )


async def log_in(client: httpx.AsyncClient) -> None:
    """Send the first admin's bearer token with every request of `client` (catalog writes
    need it since issue 11)."""
    form = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    answer = (await client.post("/api/auth/token", data=form)).raise_for_status().json()
    client.headers["Authorization"] = f"Bearer {answer['access_token']}"


@asynccontextmanager
async def client_for(backend: str, **overrides):
    """(client, app) on a fresh store: memory, SQLite in a temporary folder, or a new
    PostgreSQL database on POSTGRES_URL's server (dropped afterwards)."""
    async with AsyncExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        if backend == "postgres":
            overrides.setdefault("postgres_url", await stack.enter_async_context(fresh_database()))
        settings = settings_for(backend, folder, **overrides)
        app = create_app(settings, build_container(settings))
        async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost", timeout=120
            ) as client:
                await log_in(client)
                yield client, app


def machine() -> str:
    import os
    import platform
    import sqlite3

    return (
        f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
