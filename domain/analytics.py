"""Report rows and the rules of report parameters."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import ValidationError
from domain.users import Role

MAX_REPORT_DAYS = 366
MAX_TOP_CUSTOMERS = 100
# Report days every store can compute with (the day after the last one included): no
# registration predates the Unix epoch, and year 9999 is where Python's dates end.
FIRST_REPORT_DAY = date(1970, 1, 1)
LAST_REPORT_DAY = date(9998, 12, 31)


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


@dataclass(frozen=True, slots=True)
class TopCustomer:
    """A user and the orders that count for them (every status but cancelled)."""

    user_id: str
    username: str
    email: str
    order_count: int
    total_spent: Decimal


def check_report_days(start: date, end: date) -> None:
    """Both ends are included: start <= end and at most MAX_REPORT_DAYS days in all."""
    for day in (start, end):
        if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
            raise ValidationError(f"report days are from {FIRST_REPORT_DAY} to {LAST_REPORT_DAY}")
    if start > end:
        raise ValidationError("start must be on or before end")
    days = (end - start).days + 1
    if days > MAX_REPORT_DAYS:
        raise ValidationError(
            f"the range covers {days} days; at most {MAX_REPORT_DAYS} days (both ends included)"
        )


def check_top_limit(limit: int) -> None:
    """A top-customers report has 1 to MAX_TOP_CUSTOMERS rows."""
    if not 1 <= limit <= MAX_TOP_CUSTOMERS:
        raise ValidationError(f"limit must be between 1 and {MAX_TOP_CUSTOMERS}")
