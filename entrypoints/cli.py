"""The `storefront` command line."""

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from importlib.metadata import version as package_version
from pathlib import Path

import structlog
import typer
import uvicorn
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console

from domain.errors import DuplicateError, StoreTimeoutError, UnavailableError, ValidationError
from domain.orders import OrderStatus
from entrypoints.container import build_container, provide, start, stop
from entrypoints.jwt_secret import SecretConfigError, jwt_secret
from entrypoints.settings import Settings, describe_errors

app = typer.Typer(help="Storefront: a hexagonal commerce API.", no_args_is_help=True)
console = Console()
SETTINGS_ERROR_EXIT = 2


def _print_version(value: bool) -> None:
    if value:
        print(f"storefront {package_version('storefront')}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="print the version"
    ),
) -> None:
    """Storefront: a hexagonal commerce API. Settings come from the environment and `.env`."""
    try:
        Settings()
    except PydanticValidationError as exc:
        # one line per bad setting, no traceback; exit 2 like any other usage error
        for line in describe_errors(exc):
            print(f"storefront: {line}", file=sys.stderr)
        raise typer.Exit(SETTINGS_ERROR_EXIT) from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="port to listen on"),
    reload: bool = typer.Option(False, help="restart on code changes (development)"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    shutdown_timeout: float = typer.Option(
        25.0, min=0, help="seconds in-flight requests get to finish on SIGTERM/SIGINT"
    ),
) -> None:
    """Serve the API with uvicorn on the backend chosen by STORAGE_BACKEND.

    Logs go through our set-up (LOG_FORMAT), uvicorn's access log is off (ours replaces it),
    and X-Forwarded-For is read by our middleware from FORWARDED_ALLOW_IPS only. With
    --workers > 1 the Prometheus metrics of all workers are summed through a fresh
    PROMETHEUS_MULTIPROC_DIR, removed at exit. On SIGTERM uvicorn stops accepting, lets the
    requests in flight finish (up to --shutdown-timeout), then the lifespan closes the store
    (the SQLite writer drains its queue, the pools close).
    """
    from entrypoints.logs import configure_logging

    settings = Settings()
    try:
        jwt_secret(settings)  # fail now, in one line, rather than in the lifespan
    except SecretConfigError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(token_hint(settings, f"http://{host}:{port}"), soft_wrap=True, highlight=False)
    configure_logging(settings.log_level, settings.log_format)
    if workers > 1 and settings.rate_limit_enabled and not settings.redis_url:
        structlog.get_logger().warning(
            "rate limits are counted per worker without REDIS_URL",
            workers=workers,
            effective_per_minute=settings.rate_limit_per_minute * workers,
        )
    with metrics_directory(workers if not reload else 1):
        uvicorn.run(
            "entrypoints.http.app:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=None if reload else workers,
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=shutdown_timeout or None,
            # a deadline and a size cap for request headers (slow clients, huge headers)
            http="entrypoints.http.server:GuardedHttpToolsProtocol",
        )


@contextlib.contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
    """Prometheus multiprocess mode for several workers: PROMETHEUS_MULTIPROC_DIR set to a
    fresh directory (or the operator's, emptied) for the workers to inherit, removed after."""
    from entrypoints.metrics import MULTIPROC_ENV

    given = os.environ.get(MULTIPROC_ENV)
    if workers <= 1 and not given:
        yield
        return
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    path = tempfile.mkdtemp(prefix="storefront-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def token_hint(settings: Settings, base: str) -> str:
    """How to get an admin's token: with FIRST_ADMIN_* set, the curl line; else how to make one."""
    curl = f"curl -s -X POST {base}/api/auth/token -d username=%s -d password=%s"
    password = settings.first_admin_password
    if settings.first_admin_email and password and password.get_secret_value():
        who = settings.first_admin_email
        line = curl % (who, '"$FIRST_ADMIN_PASSWORD"')
        return (
            f"First admin: {who} (FIRST_ADMIN_EMAIL; created at start-up if missing). "
            f"Get a token:\n  {line}"
        )
    line = curl % ("you@example.com", "'your password'")
    return (
        "No admin is configured. Either set FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD "
        "(environment or .env) and start again, or run "
        "`.venv/bin/storefront create-admin --email you@example.com --username admin`. "
        f"Then get a token:\n  {line}"
    )


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., "--email", help="the admin's email"),
    username: str = typer.Option(..., "--username", help="the admin's username"),
) -> None:
    """Create an admin user. The password comes from STOREFRONT_ADMIN_PASSWORD, else a hidden
    prompt (asked twice). Exit 1 naming the field when the email or username is taken."""
    password = os.environ.get("STOREFRONT_ADMIN_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    err = Console(stderr=True)

    async def run():
        container = build_container(Settings())
        services = await start(container)
        try:
            return await services.create_admin.execute(email, username, password)
        finally:
            await stop(container)

    try:
        user = asyncio.run(run())
    except DuplicateError as exc:
        err.print(f"[red]error:[/red] {exc.field} is already taken: {exc.detail}", soft_wrap=True)
        raise typer.Exit(1) from None
    except (ValidationError, UnavailableError, StoreTimeoutError) as exc:
        err.print(f"[red]error:[/red] {exc.detail}", soft_wrap=True)
        raise typer.Exit(1) from None
    assert user is not None
    console.print(f"admin created: {user.username} <{user.email}> id {user.id}", soft_wrap=True)


@app.command("create-indexes")
def create_indexes() -> None:
    """Create the store's schema and indexes now (idempotent); fails if the store is down."""

    async def run() -> str:
        settings = Settings()
        container = build_container(settings)
        await start(container)
        try:
            schema = await provide(container.storage.schema)
            return await schema.ensure()
        finally:
            await stop(container)

    try:
        console.print(asyncio.run(run()))
    except (UnavailableError, StoreTimeoutError) as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None


@app.command("import-products")
def import_products_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    format: str | None = typer.Option(
        None, "--format", help="jsonl or csv (default: from the file extension)"
    ),
    batch_size: int = typer.Option(1000, min=1, max=10_000, help="products per bulk upsert"),
) -> None:
    """Upsert products (by sku) from a JSON Lines or CSV file, in batches.

    CSV: a header row naming the fields (sku,name,price,description,category,tags,is_active);
    tags separated by '|'. Rejected rows are listed by line number; the exit code is 1 when
    any row was rejected (the valid rows are still imported), 2 when the file is unusable.
    """
    from entrypoints.importer import (
        FORMATS,
        ImportFileError,
        count_rows,
        detect_format,
        import_products,
    )
    from entrypoints.progress import progress_bar

    err = Console(stderr=True)
    try:
        fmt = detect_format(file, format)
        if fmt not in FORMATS:
            raise ImportFileError(f"--format must be one of {', '.join(FORMATS)}")
        total = count_rows(file, fmt)
    except (ImportFileError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    async def run():
        container = build_container(Settings())
        services = await start(container)
        try:
            with progress_bar(console) as progress:
                task = progress.add_task(f"importing {file.name}", total=total)
                return await import_products(
                    file,
                    fmt,
                    services.bulk_upsert_products,
                    batch_size,
                    on_progress=lambda n: progress.advance(task, n),
                )
        finally:
            await stop(container)

    try:
        report = asyncio.run(run())
    except ImportFileError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    for line, reason in report.rejected:
        err.print(f"line {line}: rejected: {reason}", markup=False, highlight=False, soft_wrap=True)
    rate = report.read / report.seconds if report.seconds else 0.0
    console.print(
        f"read {report.read} rows in {report.seconds:.2f}s ({rate:,.0f} rows/s): "
        f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected",
        soft_wrap=True,
    )
    if report.rejected:
        raise typer.Exit(1)


@app.command()
def seed(
    users: int = typer.Option(0, min=0, help="users to register"),
    products: int = typer.Option(0, min=0, help="products to upsert"),
    orders: int = typer.Option(
        0, min=0, help="orders to place among the seeded users and active seeded products"
    ),
    seed: int = typer.Option(42, help="random seed: the same seed gives the same data"),
) -> None:
    """Fill the store with deterministic demo data through the API's use cases.

    Every seeded user's password is 'seeded-password', hashed once with argon2id and reused
    (one hash for N users). Re-running is safe: users that exist are counted and skipped,
    products are upserted by sku. Orders go through PlaceOrder (1-3 lines, stock added first)
    and about half of them move on through ChangeOrderStatus: paid, shipped, delivered, or
    cancelled (about 15%); every run places new orders.
    """
    from entrypoints.progress import progress_bar
    from entrypoints.seed import SeedReport, seed_store

    async def run() -> SeedReport:
        container = build_container(Settings())
        services = await start(container)
        try:
            with progress_bar(console) as progress:
                return await seed_store(
                    container, services, progress, users, products, orders, seed
                )
        finally:
            await stop(container)

    try:
        report = asyncio.run(run())
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(
        f"users: {report.users_created} created, {report.users_existing} already there; "
        f"products: {report.products_inserted} inserted, {report.products_updated} updated, "
        f"{report.products_unchanged} unchanged",
        soft_wrap=True,
    )
    if orders:
        by_status = ", ".join(
            f"{status.value} {report.orders.by_status[status]}" for status in OrderStatus
        )
        console.print(f"orders: {report.orders.placed} placed ({by_status})", soft_wrap=True)
