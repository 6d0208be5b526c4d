"""Connection-pool counts from PyMongo's CMAP events (the driver exposes no pool gauge)."""

from typing import Any

from pymongo import monitoring


class PoolMonitor(monitoring.ConnectionPoolListener):
    """Counts connections open and checked out over every server pool of one client.

    Registered on the client at creation (`event_listeners=[monitor]`); `stats()` is read by
    the metrics sampler. Counters only move by events, so reading them costs nothing.
    """

    def __init__(self) -> None:
        self.in_use = 0
        self.open = 0
        self.maximum = 0

    def stats(self) -> tuple[int, int, int]:
        """(connections checked out, connections open, sum of the pools' maxPoolSize)."""
        return self.in_use, self.open, self.maximum

    def pool_created(self, event: Any) -> None:
        self.maximum += int(event.options.get("maxPoolSize", 0) or 0)

    def pool_closed(self, event: Any) -> None:
        pass

    def pool_ready(self, event: Any) -> None:
        pass

    def pool_cleared(self, event: Any) -> None:
        pass

    def connection_created(self, event: Any) -> None:
        self.open += 1

    def connection_ready(self, event: Any) -> None:
        pass

    def connection_closed(self, event: Any) -> None:
        self.open = max(0, self.open - 1)

    def connection_check_out_started(self, event: Any) -> None:
        pass

    def connection_check_out_failed(self, event: Any) -> None:
        pass

    def connection_checked_out(self, event: Any) -> None:
        self.in_use += 1

    def connection_checked_in(self, event: Any) -> None:
        self.in_use = max(0, self.in_use - 1)
