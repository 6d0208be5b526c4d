"""Maintenance use cases."""

from datetime import UTC, datetime, timedelta

from application import policy
from application.audit import DISCARD
from application.policy import Action
from application.ports import AuditLog, Clock, UserRepository
from domain.access import Principal
from domain.errors import ValidationError
from domain.users import MAX_PURGE_DAYS

_OLDEST = datetime.min.replace(tzinfo=UTC)


class PurgeInactiveUsers:
    """Delete users inactive and unchanged for more than `days` days (>= 1); returns how many.

    A user whose updated_at is exactly `days` days ago is kept. Their orders are kept too.
    """

    def __init__(self, users: UserRepository, clock: Clock, audit: AuditLog = DISCARD) -> None:
        self._users, self._clock, self._audit = users, clock, audit

    async def execute(self, principal: Principal, days: int) -> int:
        policy.require(principal, Action.PURGE_USERS)
        if not 1 <= days <= MAX_PURGE_DAYS:
            raise ValidationError(f"days must be between 1 and {MAX_PURGE_DAYS}")
        now = self._clock.now()
        deleted = 0  # a cutoff before year 1: nothing can be that old
        if days <= (now - _OLDEST).days:
            deleted = await self._users.delete_inactive_before(now - timedelta(days=days))
        self._audit.record(
            principal, "users.purge", "users", {"inactive_for_days": days}, {"deleted": deleted}
        )
        return deleted
