"""Keyset pagination over HTTP: opaque, tamper-evident cursors and the `Link: rel="next"`
header (RFC 8288).

A cursor is the position of the last item of a page, (created_at, id), as 8 bytes of
microseconds since the epoch and the 12 bytes of the id, followed by the first 16 bytes of an
HMAC-SHA256 over the list's name and those 20 bytes, all base64url without padding (48
characters). The HMAC (the standard library's `hmac`, RFC 2104) makes a cursor tamper-evident:
a client can keep and replay one, but not forge or edit one, nor use a users cursor on orders.
"""

import base64
import binascii
import hmac
import secrets
import struct
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from domain.errors import ValidationError
from domain.pagination import Position

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAC_BYTES = 16
_SIZE = 8 + 12 + _MAC_BYTES

CursorQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_-]{48}$",
        description=(
            'Opaque cursor from the previous page\'s `Link: <...>; rel="next"` header: the'
            " page after it (keyset pagination, stable while items are added or removed)."
            " `skip` then counts from the cursor. A cursor this server did not sign for this"
            " list: 422 `invalid_cursor`."
        ),
    ),
]

LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 `<url>; rel="next"`: the next page, sent while a page is full.',
        "schema": {"type": "string"},
    }
}
TOTAL_HEADER = {
    "X-Total-Count": {
        "description": "How many items match the filters, over all pages.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


class InvalidCursorError(ValidationError):
    """The cursor was not made by this server for this list (or was edited): 422."""

    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("cursor is not valid for this list; start again without it")


class Cursors:
    """Encodes and checks cursors with one server key (CURSOR_SECRET, else a random key
    made at start-up, so cursors then die with the process)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, scope: str, body: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\0" + body, sha256).digest()[:_MAC_BYTES]

    def encode(self, scope: str, position: Position) -> str:
        micros = (position.created_at - _EPOCH) // timedelta(microseconds=1)
        body = struct.pack(">q", micros) + bytes.fromhex(position.id)
        return base64.urlsafe_b64encode(body + self._mac(scope, body)).rstrip(b"=").decode()

    def decode(self, scope: str, cursor: str) -> Position:
        """The position in `cursor`; InvalidCursorError for anything this server did not make."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursorError() from None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) != _SIZE or not hmac.compare_digest(mac, self._mac(scope, body)):
            raise InvalidCursorError()
        (micros,) = struct.unpack(">q", body[:8])
        return Position(_EPOCH + timedelta(microseconds=micros), body[8:].hex())

    def after(self, scope: str, cursor: str | None) -> Position | None:
        return None if cursor is None else self.decode(scope, cursor)

    def link_next(
        self, request: Request, response: Response, scope: str, items: list, limit: int
    ) -> None:
        """Set `Link: <...>; rel="next"` when the page is full: the same query with the cursor
        of its last item, and without `skip` (it counted from the previous position)."""
        if not items or len(items) < limit:
            return
        last = items[-1]
        cursor = self.encode(scope, Position(last.created_at, last.id))
        url = request.url.remove_query_params("skip").include_query_params(cursor=cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'


async def _cursors(request: Request) -> Cursors:
    return request.app.state.cursors


CursorsDep = Annotated[Cursors, Depends(_cursors)]
