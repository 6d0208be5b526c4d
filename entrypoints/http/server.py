"""uvicorn, with the two limits it lacks: a deadline for a request's headers and a cap on
their size.

uvicorn drops idle keep-alive connections (`timeout_keep_alive`) but has no deadline for a
request whose headers trickle in (slowloris: 200 clients sending a header byte every few
seconds are held forever), and its default httptools parser has no header size limit.
`GuardedHttpToolsProtocol` arms a timer when a connection opens and whenever a new request
begins, and cancels it when the headers are complete: a client still sending headers after
HTTP_HEADER_TIMEOUT_S is disconnected. Header bytes beyond HTTP_MAX_HEADER_BYTES are answered
431 and the connection closed. Bodies are limited by the app (middleware/body_limit.py).
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.settings import Settings


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header deadline and a header size cap.

    uvicorn builds it by import path (so worker processes do too); the limits are read from
    the settings once, when this module is imported, never per connection.
    """

    header_timeout_s = 10.0
    max_header_bytes = 32 * 1024

    @classmethod
    def configure(cls, settings: Settings) -> None:
        cls.header_timeout_s = settings.http_header_timeout_s
        cls.max_header_bytes = settings.http_max_header_bytes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._awaiting_headers = True

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers and not self.transport.is_closing():
            self.logger.info(
                "Closing a connection whose headers took over %ss", self.header_timeout_s
            )
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        counting = self._awaiting_headers
        super().data_received(data)
        # checked after parsing: body bytes that arrive with the end of the headers are not
        # header bytes; headers still incomplete after this many bytes are refused
        if counting and self._awaiting_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
                self._refuse_large_headers()

    def _refuse_large_headers(self) -> None:
        body = b'{"detail":"Request headers too large","code":"headers_too_large"}'
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()
        self._disarm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._arm()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm()
        super().on_headers_complete()


GuardedHttpToolsProtocol.configure(Settings())
