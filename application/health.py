"""Health of the service and its store."""

import time
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, ProductSearch, StoragePing
from domain.errors import StoreTimeoutError, UnavailableError


@dataclass(frozen=True, slots=True)
class HealthReport:
    """`search_unavailable` is None when search works, else why it cannot (a store capability,
    so it does not make the report unhealthy)."""

    healthy: bool
    latency_ms: float | None
    checked_at: datetime
    search_unavailable: str | None = None


class CheckHealth:
    """Ping the store and time it; never raises for a store that is down."""

    def __init__(
        self, ping: StoragePing, clock: Clock, search: ProductSearch | None = None
    ) -> None:
        self._ping, self._clock, self._search = ping, clock, search

    async def execute(self) -> HealthReport:
        search = self._search.unavailable_reason() if self._search is not None else None
        started = time.perf_counter()
        try:
            await self._ping.ping()
        except (UnavailableError, StoreTimeoutError):
            return HealthReport(False, None, self._clock.now(), search)
        latency = round((time.perf_counter() - started) * 1000, 3)
        return HealthReport(True, latency, self._clock.now(), search)
