"""The in-process store every in-memory repository shares."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from domain.access import RefreshToken
from domain.orders import IdempotencyRecord, Order
from domain.products import Product
from domain.users import User


@dataclass
class MemoryState:
    users: dict[str, User] = field(default_factory=dict)
    # unique indexes: (collection, field) -> value -> id
    unique: defaultdict[tuple[str, str], dict[object, str]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    products: dict[str, Product] = field(default_factory=dict)
    inventory: dict[str, int] = field(default_factory=dict)  # product id -> quantity
    orders: dict[str, Order] = field(default_factory=dict)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)  # by token hash
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # units of work, one at a time


async def open_memory_state():
    """An async resource, like the other stores' clients, so start-up is the same everywhere."""
    yield MemoryState()


class InMemoryPing:
    async def ping(self) -> None:
        return None


class InMemorySchema:
    async def ensure(self) -> str:
        return "memory store: nothing to create"
