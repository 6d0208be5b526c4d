"""Logging set-up: structlog for our events, the stdlib's records rendered the same way.

`configure_logging(level, fmt)` is called once per process by `create_app()` (uvicorn calls the
factory in each worker). Every line carries what `structlog.contextvars` holds for the current
request (request_id, trace_id, user_id), whichever logger wrote it: our structlog events
directly, and the stdlib's records (uvicorn's, the adapters' `logging.getLogger`) through
structlog's `ProcessorFormatter`. `LOG_FORMAT=json` writes one JSON object a line (orjson);
`console` writes aligned, human-readable lines. uvicorn's own access log is switched off: the
access line is ours (entrypoints/http/middleware/observe.py), one a request.

Secrets never reach a line: any key that names a password, a token, a secret, a cookie or an
Authorization header is replaced by "[redacted]", also one level down in nested dicts (the
audit events' before/after).
"""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import orjson
import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor

SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authorization|cookie|api[_-]?key|credential",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
_HANDLER_NAME = "storefront"


# Key names seen and found harmless; log keys are a small set, so after warm-up the check is
# one set difference in C per line (the regex runs once per new key name).
_safe_keys: set[str] = {"event"}


def _redact_mapping(values: MutableMapping[str, Any]) -> None:
    for key in values.keys() - _safe_keys:
        if SENSITIVE_KEY.search(str(key)):
            values[key] = REDACTED
        elif len(_safe_keys) < 4096:
            _safe_keys.add(key)
    for key, value in values.items():
        if type(value) is dict:
            values[key] = {
                k: REDACTED if SENSITIVE_KEY.search(str(k)) else v for k, v in value.items()
            }


def redact_secrets(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask every value whose key names a secret (see SENSITIVE_KEY)."""
    _redact_mapping(event_dict)
    return event_dict


def _drop_duplicates(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn passes a coloured copy of its message as an `extra`; the line has it already."""
    event_dict.pop("color_message", None)
    event_dict.pop("message", None)  # the formatted copy of `event` some handlers leave
    return event_dict


def _orjson_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(fmt: str, stream: TextIO) -> Processor:
    if fmt == "json":
        return structlog.processors.JSONRenderer(serializer=_orjson_dumps)
    # plain tracebacks: rich's (the default when rich is installed) print local variables,
    # and a request's locals hold its headers (Authorization) and body
    return structlog.dev.ConsoleRenderer(
        colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def configure_logging(level: str = "INFO", fmt: str = "console", stream: TextIO | None = None):
    """Route structlog and the stdlib to `stream` (stdout by default) in format `fmt`.

    Idempotent: calling it again (each test builds an app) replaces the previous set-up.
    """
    stream = stream or sys.stdout
    numeric = logging.getLevelNamesMapping()[level.upper()]
    shared = _shared_processors()
    # tracebacks as data, without local variables (they hold a request's headers and body)
    exceptions: list[Processor] = (
        [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
        if fmt == "json"
        else []
    )
    structlog.configure(
        processors=[
            *shared,
            redact_secrets,
            structlog.processors.StackInfoRenderer(),
            *exceptions,
            _renderer(fmt, stream),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _drop_duplicates,
            redact_secrets,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exceptions,
            _renderer(fmt, stream),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)

    # uvicorn's loggers: their records go through our handler, and no access line of theirs
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
