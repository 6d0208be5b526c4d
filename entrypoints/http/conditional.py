"""Conditional requests (RFC 9110 §13): strong ETags from resource versions, If-None-Match on
reads (304), If-Match on writes (412 when the resource changed since)."""

import re
from typing import Annotated

from fastapi import Header, Response

_STRONG = re.compile(r'"(\d{1,18})"')
_MAX_HEADER = 2048
# RFC 9110 §8.8.3 / §13.1.1: `*` or a comma-separated list of entity tags, weak or strong
_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
ETAG_LIST = rf"^\s*(\*|{_TAG}(\s*,\s*{_TAG})*)\s*$"

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=_MAX_HEADER,
        pattern=ETAG_LIST,
        description=(
            "Apply the change only if the resource's current ETag is one of these (RFC 9110"
            ' §13.1.1), e.g. `"3"`; else 412 `precondition_failed` and nothing changes.'
            " `*` matches any current version. Not a list of entity tags: 422."
        ),
        examples=['"1"'],
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=_MAX_HEADER,
        pattern=ETAG_LIST,
        description=(
            "304 Not Modified, without a body, when the resource's current ETag is one of"
            " these (RFC 9110 §13.1.2)."
        ),
        examples=['"1"'],
    ),
]

ETAG_HEADER = {
    "ETag": {
        "description": 'The strong entity tag of this version of the resource, e.g. `"3"`.',
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    }
}
NOT_MODIFIED = {304: {"description": "Not Modified: If-None-Match holds the current ETag."}}


def etag(version: int) -> str:
    """The strong ETag of a resource version (RFC 9110 §8.8.3): the version, quoted."""
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def accepted_versions(if_match: str | None) -> frozenset[int] | None:
    """The versions an If-Match accepts; None when there is no precondition (absent or `*`).

    Strong comparison (RFC 9110 §13.1.1): a weak tag (`W/"3"`) or anything else that is not
    one of our ETags matches nothing, so a list of only such tags always fails (412).
    """
    if if_match is None or if_match.strip() == "*":
        return None
    return frozenset(
        int(match.group(1)) for tag in _tags(if_match) if (match := _STRONG.fullmatch(tag))
    )


def not_modified(response: Response, version: int, if_none_match: str | None) -> Response | None:
    """Set the ETag of `version` on `response`; a 304 response to send instead when
    If-None-Match holds it (weak comparison, RFC 9110 §13.1.2), else None."""
    tag = etag(version)
    response.headers["ETag"] = tag
    if if_none_match is not None and if_none_match_holds(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return None


def if_none_match_holds(if_none_match: str, tag: str) -> bool:
    """True when an If-None-Match value holds `tag` or is `*` (weak comparison, RFC 9110
    §13.1.2: `W/"3"` holds `"3"`), so the answer is 304 Not Modified."""
    tags = _tags(if_none_match)
    return "*" in tags or any(t.removeprefix("W/") == tag for t in tags)
