"""Timestamps leave the API with a fixed width, so their text order is their time order."""

from datetime import UTC, datetime, timedelta, timezone

from pydantic import BaseModel

from entrypoints.http.schemas.timestamps import Timestamp


class Body(BaseModel):
    at: Timestamp


def test_whole_seconds_keep_their_milliseconds_and_order():
    whole = Body(at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).model_dump_json()
    later = Body(at=datetime(2026, 1, 2, 3, 4, 5, 1000, tzinfo=UTC)).model_dump_json()
    assert whole == '{"at":"2026-01-02T03:04:05.000Z"}'
    assert later == '{"at":"2026-01-02T03:04:05.001Z"}'
    assert whole < later


def test_other_offsets_are_converted_to_utc():
    moment = datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=timezone(timedelta(hours=2)))
    assert Body(at=moment).model_dump_json() == '{"at":"2026-01-02T01:04:05.678Z"}'
