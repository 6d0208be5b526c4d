"""argon2id password hashing through pwdlib, off the event loop and bounded."""

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

HASH_THREAD_NICENESS = 10


def _lower_priority() -> None:
    """Run this worker thread at a lower CPU priority than the event loop (Linux: the nice
    value of one thread), so a burst of hashing never delays the loop's short requests."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


class Argon2PasswordHasher:
    """Defaults are pwdlib's (t=3, 64 MiB); tests and seeding may lower the cost.

    Each hash or verify runs in a worker thread of its own pool (argon2 would hold the event
    loop for tens of milliseconds; argon2-cffi releases the GIL) at a lower CPU priority than
    the loop, and at most `concurrency` run at once (default: the CPU count); the others wait
    on a semaphore, so a burst of sign-ups or logins costs at most `concurrency` x
    `memory_cost_kib` of memory and never starves the loop or the host.
    """

    def __init__(
        self, time_cost: int = 3, memory_cost_kib: int = 65536, concurrency: int | None = None
    ) -> None:
        hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._hash = PasswordHash((hasher,))
        self.concurrency = concurrency or os.cpu_count() or 1
        self._slots = asyncio.Semaphore(self.concurrency)
        self._pool = ThreadPoolExecutor(
            self.concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )

    async def hash(self, password: str) -> str:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool, self._hash.verify, password, password_hash
            )


class PrecomputedPasswordHasher:
    """For seeding: hashes its one password once (lazily, with the real hasher) and hands out
    that hash for it, so N seeded users cost one argon2id hash, not N. Any other password is
    hashed normally; `verify` is the real one, so seeded users can log in."""

    def __init__(self, hasher: Argon2PasswordHasher, password: str) -> None:
        self._hasher, self._password = hasher, password
        self._hash: str | None = None
        self._lock = asyncio.Lock()

    async def hash(self, password: str) -> str:
        if password != self._password:
            return await self._hasher.hash(password)
        async with self._lock:  # concurrent first calls wait for the one hash
            if self._hash is None:
                self._hash = await self._hasher.hash(password)
        return self._hash

    async def verify(self, password: str, password_hash: str) -> bool:
        return await self._hasher.verify(password, password_hash)
