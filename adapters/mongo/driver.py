"""The few places where PyMongo's async API and Motor differ, in one module."""

import time
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


_TRANSACTION_RETRY_SECONDS = 120  # PyMongo's with_transaction limit, documented
_MAX_TIME_MS_EXPIRED = 50


def _max_time_expired(exc: Any) -> bool:
    from pymongo.errors import OperationFailure

    if not isinstance(exc, OperationFailure):
        return False
    concern_error = (exc.details or {}).get("writeConcernError") or {}
    return _MAX_TIME_MS_EXPIRED in (exc.code, concern_error.get("code"))


async def run_in_transaction(
    driver: str, session: Any, callback: Any, *, read_concern: Any, write_concern: Any
) -> Any:
    """`session.with_transaction(callback, ...)` as PyMongo documents it: an error labelled
    TransientTransactionError, raised by the callback or by the commit, runs the whole
    transaction again; UnknownTransactionCommitResult retries the commit (unless the commit hit
    its maxTimeMS); retrying stops after 120 s.

    PyMongo's async API does exactly that. Motor 3.7's with_transaction commits in the
    `async with start_transaction()` block's exit, outside its retry loop, so a commit that
    fails with TransientTransactionError escapes unretried (seen on the real wire with a
    failCommand failpoint); for Motor this is the same loop, over Motor's own session calls.
    """
    if driver != "motor":
        return await session.with_transaction(
            callback, read_concern=read_concern, write_concern=write_concern
        )
    from pymongo.errors import PyMongoError

    started = time.monotonic()

    def in_time() -> bool:
        return time.monotonic() - started < _TRANSACTION_RETRY_SECONDS

    while True:
        session.start_transaction(read_concern=read_concern, write_concern=write_concern)
        try:
            result = await callback(session)
        except Exception as exc:
            if session.in_transaction:
                await session.abort_transaction()
            if (
                isinstance(exc, PyMongoError)
                and exc.has_error_label("TransientTransactionError")
                and in_time()
            ):
                continue
            raise
        if not session.in_transaction:
            return result  # the callback ended the transaction itself
        while True:
            try:
                await session.commit_transaction()
            except PyMongoError as exc:
                if (
                    exc.has_error_label("UnknownTransactionCommitResult")
                    and in_time()
                    and not _max_time_expired(exc)
                ):
                    continue
                if exc.has_error_label("TransientTransactionError") and in_time():
                    break  # run the whole transaction again
                raise
            return result
