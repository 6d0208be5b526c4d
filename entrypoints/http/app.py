"""create_app(): the FastAPI application, its lifespan and its routers."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from entrypoints.background import expire_pending_orders
from entrypoints.bootstrap import bootstrap
from entrypoints.container import Container, build_container, start, stop
from entrypoints.http import admin, analytics, auth, errors, health, openapi, orders, users
from entrypoints.http import inventory as inventory_routes
from entrypoints.http import products as product_routes
from entrypoints.http.cors import cors_options
from entrypoints.http.middleware import install as install_middleware
from entrypoints.http.middleware.body_limit import BodyLimit
from entrypoints.http.middleware.conventions import HttpConventions, collection_paths
from entrypoints.http.middleware.hosts import AllowedHosts
from entrypoints.http.middleware.lifespan import StartupErrors
from entrypoints.http.paging import Cursors
from entrypoints.jwt_secret import jwt_secret
from entrypoints.settings import Settings

NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or Settings()
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jwt_secret(settings)  # no secret where one is required: fail now, with the reason
        app.state.services = await start(container)
        expiry = asyncio.create_task(
            expire_pending_orders(
                app.state.services.expire_pending_orders, settings.order_expiry_interval_s
            ),
            name="expire-pending-orders",
        )
        try:
            async with bootstrap(settings, app.state.services):
                # The start-up heap (modules, the app, the container: ~120k objects) lives
                # as long as the process; frozen, the collector's full passes no longer walk
                # it (each one held the event loop 20-60 ms under bulk upserts, measured).
                gc.freeze()
                yield
        finally:
            gc.unfreeze()  # an app started again in this process (tests) frees the old one
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
            await stop(container)

    # /docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package
    # (under /static-offline-docs), never from a CDN, so they work on air-gapped machines; no
    # validator badge either (Swagger UI would send the spec's URL to validator.swagger.io).
    app = FastAPIOffline(
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry hooks off: the app has its own request and trace ids,
        # access lines and metrics (middleware/observe.py), and with them on FastAPI asks the
        # global providers on every request whether anyone is listening
        telemetry=NO_NATIVE_TELEMETRY,
        swagger_ui_parameters={"validatorUrl": None},
        redirect_slashes=False,  # HttpConventions serves collections with or without "/"
        **openapi.app_metadata(),
    )
    openapi.install(app)
    app.state.container = container
    secret = settings.cursor_secret
    app.state.cursors = Cursors(secret.get_secret_value().encode() if secret else None)
    errors.install(app)
    routers = (
        health.router,
        auth.router,
        users.router,
        product_routes.router,
        inventory_routes.router,
        orders.router,
        analytics.router,
        admin.router,
    )
    app.add_middleware(HttpConventions, collections=collection_paths(routers))
    # bodies over MAX_BODY_BYTES -> 413 before they are read whole (the bulk route: 32 MiB)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        per_path={"/api/products/bulk": product_routes.BULK_MAX_BODY_BYTES},
    )
    # CORS inside the host check, outside the rest: their errors carry CORS headers too
    if origins := settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, **cors_options(origins))
    app.add_middleware(AllowedHosts, allowed=settings.allowed_hosts)
    app.add_middleware(StartupErrors)
    install_middleware(app, settings, container)  # request id, logs, metrics, rate limits
    for router in routers:
        app.include_router(router)
    return app
