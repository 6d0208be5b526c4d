"""The `storefront` command line."""

import asyncio

import typer
import uvicorn
from rich.console import Console

from entrypoints.container import build_container, provide, start, stop
from entrypoints.settings import Settings

app = typer.Typer(help="Storefront: a hexagonal commerce API.", no_args_is_help=True)
console = Console()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="port to listen on"),
    reload: bool = typer.Option(False, help="restart on code changes (development)"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
) -> None:
    """Serve the API with uvicorn on the backend chosen by STORAGE_BACKEND."""
    settings = Settings()
    uvicorn.run(
        "entrypoints.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
        log_level=settings.log_level.lower(),
    )


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

    console.print(asyncio.run(run()))
