"""Identifiers: 24 lowercase hex digits (the ObjectId layout), on every store."""

import itertools
import os
import re
import time

ID_PATTERN = "[0-9a-f]{24}"  # a regular expression, also used by the HTTP routes
_ID = re.compile(ID_PATTERN)
_process_random = os.urandom(5)
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))


def new_id() -> str:
    """A new id: 4 bytes of seconds, 5 random bytes per process, a 3-byte counter."""
    seconds = int(time.time()) & 0xFFFFFFFF
    count = next(_counter) & 0xFFFFFF
    return (seconds.to_bytes(4, "big") + _process_random + count.to_bytes(3, "big")).hex()


def is_valid_id(value: str) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None
