"""Report rows and the rules of report parameters."""

from dataclasses import dataclass
from datetime import date

from domain.errors import ValidationError
from domain.users import Role

MAX_REPORT_DAYS = 366


@dataclass(frozen=True, slots=True)
class RoleCount:
    """How many users have a role, split by is_active."""

    role: Role
    total_users: int
    active_users: int
    inactive_users: int


@dataclass(frozen=True, slots=True)
class DailyRegistrations:
    """Users created on one UTC calendar day."""

    day: date
    registrations: int


def check_report_days(start: date, end: date) -> None:
    """Both ends are included: start <= end and at most MAX_REPORT_DAYS days in all."""
    if start > end:
        raise ValidationError("start must be on or before end")
    days = (end - start).days + 1
    if days > MAX_REPORT_DAYS:
        raise ValidationError(
            f"the range covers {days} days; at most {MAX_REPORT_DAYS} days (both ends included)"
        )
