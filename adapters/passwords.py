"""argon2id password hashing through pwdlib, off the event loop."""

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class Argon2PasswordHasher:
    """Defaults are pwdlib's (t=3, 64 MiB); tests and seeding may lower the cost."""

    def __init__(self, time_cost: int = 3, memory_cost_kib: int = 65536) -> None:
        hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._hash = PasswordHash((hasher,))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await asyncio.to_thread(self._hash.verify, password, password_hash)
