"""Start-up steps after the store is open: the first admin (FIRST_ADMIN_*) and warm-ups."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from domain.errors import DuplicateError, StoreTimeoutError, UnavailableError
from entrypoints.container import Services
from entrypoints.settings import Settings

log = logging.getLogger("storefront.bootstrap")
RETRY_S = 5.0


async def ensure_first_admin(settings: Settings, services: Services) -> None:
    """Create the FIRST_ADMIN_* admin when no user has that email (the FastAPI project
    template's first-superuser convention); idempotent. True when there is nothing left to do.
    A username taken by another email is logged as an error, not retried; a store that is
    down raises UnavailableError/StoreTimeoutError."""
    email = settings.first_admin_email
    password = (
        settings.first_admin_password.get_secret_value() if settings.first_admin_password else ""
    )
    if not email or not password:
        if email or password:
            log.warning("FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD must both be set; no admin")
        return
    try:
        user = await services.create_admin.execute(
            email, settings.first_admin_username, password, if_missing=True
        )
    except DuplicateError as exc:
        log.error("first admin %s not created: %s is taken by another user", email, exc.field)
        return
    if user is not None:
        log.warning("first admin created: %s (username %s)", user.email, user.username)


@contextlib.asynccontextmanager
async def bootstrap(settings: Settings, services: Services) -> AsyncIterator[None]:
    """Run the start-up steps before serving; when the store is down, keep retrying in the
    background instead (the service starts anyway and recovers by itself), until shutdown."""

    async def retry() -> None:
        while True:
            await asyncio.sleep(RETRY_S)
            try:
                await ensure_first_admin(settings, services)
                return
            except (UnavailableError, StoreTimeoutError) as exc:
                log.warning("first admin: store unavailable (%s); retrying", exc.detail)

    await services.login.warm_up()
    task = None
    try:
        await ensure_first_admin(settings, services)
    except (UnavailableError, StoreTimeoutError) as exc:
        log.warning("first admin: store unavailable (%s); retrying in the background", exc.detail)
        task = asyncio.create_task(retry())
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
