"""Timestamps at the HTTP edge: ISO-8601 UTC, always with milliseconds and a Z.

A fixed width means text order is time order for clients too (pydantic's default drops the
fraction on a whole second, so "...:05Z" would sort after "...:05.001Z").
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def _iso_millis(moment: datetime) -> str:
    # isoformat is C and ~4x faster than strftime; the offset it writes (+00:00) becomes Z
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso_millis, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-11-27T20:56:28.123Z"]}
    ),
]
