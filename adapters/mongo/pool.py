"""Connection-pool counts from PyMongo's CMAP events (the driver exposes no pool gauge)."""

from typing import Any

from pymongo import monitoring


class PoolMonitor(monitoring.ConnectionPoolListener):
    """Counts connections open and checked out over every server pool of one client.

    Registered on the client at creation (`event_listeners=[monitor]`); `stats()` is read by
    the metrics sampler. Counters only move by events, so reading them costs nothing.
    """

    def __init__(self, max_pool_size: int) -> None:
        self.max_pool_size = max_pool_size  # the events name only non-default options
        self.in_use = 0
        self.open = 0
        self.pools = 0

    def stats(self) -> tuple[int, int, int]:
        """(connections checked out, connections open, maxPoolSize times the server pools)."""
        return self.in_use, self.open, self.pools * self.max_pool_size

    def pool_created(self, event: Any) -> None:
        self.pools += 1

    def pool_closed(self, event: Any) -> None:
        self.pools = max(0, self.pools - 1)

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
