"""Reports computed from the reference adapter's state, the way the other stores do in place."""

import heapq
from collections import Counter
from datetime import UTC, date
from decimal import Decimal

from adapters.memory.state import MemoryState
from domain.analytics import DailyRegistrations, RoleCount, TopCustomer
from domain.money import ZERO
from domain.orders import OrderStatus
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
        counts: Counter[str] = Counter()
        spent: dict[str, Decimal] = {}
        for order in self._state.orders.values():
            if order.status is not OrderStatus.CANCELLED:
                counts[order.user_id] += 1
                # the subtotals are money already; Order.total re-checks each (3x slower)
                amount = sum((line.subtotal for line in order.lines), ZERO)
                spent[order.user_id] = spent.get(order.user_id, ZERO) + amount
        users = self._state.users
        present = (uid for uid in counts if uid in users)  # purged users' orders drop out
        top = heapq.nsmallest(limit, present, key=lambda uid: (-counts[uid], -spent[uid], uid))
        return [
            TopCustomer(uid, users[uid].username, users[uid].email, counts[uid], spent[uid])
            for uid in top
        ]
