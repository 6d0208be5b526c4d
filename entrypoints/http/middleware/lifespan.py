"""A store that cannot be used at start-up is ONE log line naming it, not a traceback.

Starlette reports a failed start-up to the server with the whole traceback text, which uvicorn
logs (65 lines for a corrupt SQLite file). For a StoreUnusableError, whose message already
names the file and the reason, this keeps that message alone.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import StoreUnusableError

_PREFIX = f"{StoreUnusableError.__module__}.{StoreUnusableError.__qualname__}: "


class StartupErrors:
    """Rewrites `lifespan.startup.failed` for a StoreUnusableError to its one-line message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def one_line(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                text = message.get("message", "").rstrip()
                last = text.rsplit("\n", 1)[-1]
                if last.startswith(_PREFIX):
                    message = {**message, "message": last[len(_PREFIX) :]}
            await send(message)

        await self.app(scope, receive, one_line)
