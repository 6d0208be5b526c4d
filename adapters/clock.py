"""The system clock, at the millisecond precision every store keeps."""

from datetime import UTC, datetime


def to_millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class SystemClock:
    def now(self) -> datetime:
        return to_millis(datetime.now(UTC))
