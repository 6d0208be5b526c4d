"""Health of the service and its store."""

import time
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, StoragePing
from domain.errors import StoreTimeoutError, UnavailableError


@dataclass(frozen=True, slots=True)
class HealthReport:
    healthy: bool
    latency_ms: float | None
    checked_at: datetime


class CheckHealth:
    """Ping the store and time it; never raises for a store that is down."""

    def __init__(self, ping: StoragePing, clock: Clock) -> None:
        self._ping, self._clock = ping, clock

    async def execute(self) -> HealthReport:
        started = time.perf_counter()
        try:
            await self._ping.ping()
        except (UnavailableError, StoreTimeoutError):
            return HealthReport(False, None, self._clock.now())
        latency = round((time.perf_counter() - started) * 1000, 3)
        return HealthReport(True, latency, self._clock.now())
