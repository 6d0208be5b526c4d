"""The AuditLog port as structured log lines (structlog): one `audit` event per change.

The line goes wherever the process's logs go (LOG_FORMAT=json: one JSON object), and carries
the request's `request_id`/`trace_id` from the logging context, so an audit event can be tied
to its access line. Secrets never reach it: the use cases pass only the fields that changed
(role, is_active, price, quantity, status...), and the log set-up redacts any key that names a
password, token or secret anyway.
"""

from collections.abc import Mapping
from typing import Any

import structlog

from domain.access import Principal

LOGGER = "storefront.audit"


class StructlogAuditLog:
    """`record(actor, action, target, before, after)` -> one `audit` event at INFO."""

    def __init__(self) -> None:
        self._log = structlog.get_logger()  # a lazy proxy: follows the current log set-up

    def record(
        self,
        actor: Principal,
        action: str,
        target: str,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
    ) -> None:
        self._log.info(
            "audit",
            logger=LOGGER,
            actor_id=actor.user_id,
            actor_role=actor.role.value if actor.role is not None else None,
            action=action,
            target=target,
            before=_plain(before),
            after=_plain(after),
        )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-friendly values: enums by value, everything else as the renderer shows it."""
    return {key: getattr(value, "value", value) for key, value in values.items()}
