"""CORS (the Fetch standard's CORS protocol) for browser clients, from CORS_ORIGINS; off when
that is empty. Starlette's CORSMiddleware answers preflights and adds the headers."""

from typing import Any

# what a browser client may send beyond the CORS-safelisted request headers
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
]
# the response headers a browser script may read (the rest stay hidden from it)
EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "Location",
    "X-Total-Count",
    "Idempotent-Replayed",
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "WWW-Authenticate",
]


def cors_options(origins: list[str]) -> dict[str, Any]:
    """CORSMiddleware options for these origins. No credentials mode: the API authenticates
    with bearer tokens, never cookies, so a browser never needs to send its cookies here."""
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ALLOWED_HEADERS,
        "expose_headers": EXPOSED_HEADERS,
        "allow_credentials": False,
        "max_age": 600,
    }
