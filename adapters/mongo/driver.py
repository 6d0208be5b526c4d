"""The few places where PyMongo's async API and Motor differ, in one module."""

from typing import Any

DRIVERS = ("pymongo", "motor")


def make_client(
    driver: str,
    url: str,
    *,
    min_pool_size: int,
    max_pool_size: int,
    server_selection_timeout_ms: int,
    connect_timeout_ms: int,
    socket_timeout_ms: int,
    timeout_ms: int | None = None,
    event_listeners: list[Any] | None = None,
) -> Any:
    """A client for `url`; it connects lazily, so a server that is down does not stop start-up."""
    options = {
        "minPoolSize": min_pool_size,
        "maxPoolSize": max_pool_size,
        "serverSelectionTimeoutMS": server_selection_timeout_ms,
        "connectTimeoutMS": connect_timeout_ms,
        "socketTimeoutMS": socket_timeout_ms,
        "tz_aware": True,
        "appname": "storefront",
    }
    if event_listeners:
        options["event_listeners"] = event_listeners
    if timeout_ms:
        # client-side operation timeout; note it also bounds server selection instead of
        # serverSelectionTimeoutMS, so a dead server then takes timeoutMS to report
        options["timeoutMS"] = timeout_ms
    if driver == "pymongo":
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(url, **options)
    if driver == "motor":
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(url, **options)
    raise ValueError(f"MONGODB_DRIVER must be one of {', '.join(DRIVERS)}, not {driver!r}")


async def close_client(driver: str, client: Any) -> None:
    if driver == "motor":
        client.close()  # Motor's close is synchronous
    else:
        await client.close()


async def aggregate(driver: str, collection: Any, pipeline: list[dict], **kwargs: Any) -> list:
    """Run a pipeline and return all its documents."""
    if driver == "motor":
        cursor = collection.aggregate(pipeline, **kwargs)  # Motor: not awaited
    else:
        cursor = await collection.aggregate(pipeline, **kwargs)
    return await cursor.to_list(None)


async def start_session(driver: str, client: Any) -> Any:
    """A client session, to use as `async with await start_session(...) as session`."""
    if driver == "motor":
        return await client.start_session()
    return client.start_session()
