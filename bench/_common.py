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

# every bench server starts with this admin (FIRST_ADMIN_*) and its clients log in as it
ADMIN = {"first_admin_email": "bench@example.com", "first_admin_password": "bench-admin-password"}
BENCH_JWT_SECRET = "bench-only-jwt-secret-0123456789abcdef"


def settings_for(backend: str, folder: str, **overrides) -> Settings:
    return Settings(
        _env_file=None,
        storage_backend=backend,
        sqlite_path=str(Path(folder) / "bench.db"),
        jwt_secret=BENCH_JWT_SECRET,
        **ADMIN,
        **{"rate_limit_enabled": False, **overrides},  # a bench is one client, flat out
    )


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
                transport=transport,
                base_url="http://localhost",  # a host ALLOWED_HOSTS accepts
                timeout=120,
            ) as client:
                form = {"username": ADMIN["first_admin_email"]}
                form["password"] = ADMIN["first_admin_password"]
                token = (await client.post("/api/auth/token", data=form)).raise_for_status()
                client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
                yield client, app


def machine() -> str:
    import os
    import platform
    import sqlite3

    return (
        f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
