"""Reports computed from the reference adapter's state, the way the other stores do in place."""

import heapq
from collections import Counter
from datetime import UTC, date

from adapters.memory.state import MemoryState
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.users import Role


class InMemoryAnalyticsReader:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def users_by_role(self) -> list[RoleCount]:
        totals: Counter[Role] = Counter()
        active: Counter[Role] = Counter()
        for user in self._state.users.values():
            totals[user.role] += 1
            active[user.role] += user.is_active
        rows = [RoleCount(r, n, active[r], n - active[r]) for r, n in totals.items()]
        rows.sort(key=lambda row: (-row.total_users, row.role.value))
        return rows

    async def registrations(self, start: date, end: date) -> list[DailyRegistrations]:
        per_day: Counter[date] = Counter()
        for user in self._state.users.values():
            day = user.created_at.astimezone(UTC).date()
            if start <= day <= end:
                per_day[day] += 1
        return [DailyRegistrations(day, n) for day, n in sorted(per_day.items())]

    async def top_customers(self, limit: int) -> list[TopCustomer]:
        """From the running totals the unit of work keeps (no pass over the orders)."""
        users = self._state.users
        ranked = (
            (-count, -spent, uid)
            for uid, (count, spent) in self._state.customer_totals.items()
            if count > 0 and uid in users  # purged users' orders drop out
        )
        return [
            TopCustomer(uid, users[uid].username, users[uid].email, -count, -spent)
            for count, spent, uid in heapq.nsmallest(limit, ranked)
        ]
