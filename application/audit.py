"""The audit trail's helpers for the use cases: a null AuditLog and the event shapes.

Use cases take an `audit: AuditLog` (keyword, defaulting to DISCARD so unit tests may leave
it out; the container always passes the real one, and a test checks it does).
"""

from collections.abc import Mapping

from domain.access import Principal


class DiscardAuditLog:
    """An AuditLog that records nothing (unit tests that do not look at the trail)."""

    def record(
        self,
        actor: Principal,
        action: str,
        target: str,
        before: Mapping[str, object],
        after: Mapping[str, object],
    ) -> None:
        return None


DISCARD = DiscardAuditLog()

EXISTS: Mapping[str, object] = {"exists": True}
GONE: Mapping[str, object] = {"exists": False}
