"""Password hashing (Argon2id through pwdlib) with bounded concurrency, and opaque bearer tokens.

Argon2id is slow and memory-hard on purpose (64 MiB per hash by default), so hashing is the one place
where unbounded concurrency costs unbounded memory: 16 logins at once took over 1 GB. A
:class:`PasswordHasher` lets at most ``concurrency`` hashes run at once in the process, on threads of
its own; a caller beyond that waits in the event loop (holding no thread and no database connection) for
at most ``wait_seconds``, then gets a 503 with ``Retry-After``.

A token is ``secrets.token_urlsafe(32)`` (256 random bits) handed to the client once; the database keeps
only its SHA-256. A fast hash is enough for a random 256-bit secret (nothing to brute-force), and it makes
the per-request lookup one indexed equality.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import TypeVar

import anyio
import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from service.errors import ServiceUnavailable

TOKEN_BYTES = 32

T = TypeVar("T")


@lru_cache(maxsize=8)
def password_hasher(*, time_cost: int, memory_kib: int) -> PasswordHash:
    """The Argon2id hasher for these costs; verifying reads the costs stored in each hash instead."""
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


def hash_password(password: str, *, time_cost: int, memory_kib: int) -> str:
    """Hash on the calling thread, unbounded: for the CLI, tests and benches, not for requests."""
    return password_hasher(time_cost=time_cost, memory_kib=memory_kib).hash(password)


class HashingSlot:
    """One held hashing slot: the only way to hash or verify through a :class:`PasswordHasher`."""

    def __init__(self, owner: PasswordHasher) -> None:
        self._owner = owner

    async def hash(self, password: str) -> str:
        return await self._owner._in_thread(self._owner._hasher.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether ``password`` matches; with no stored hash (unknown user) the dummy hash is checked
        anyway, so the answer takes as long for a wrong username as for a wrong password."""
        if password_hash is None:
            await self._owner._in_thread(self._owner._hasher.verify, password, self._owner.dummy_hash)
            return False
        return await self._owner._in_thread(self._owner._hasher.verify, password, password_hash)


class PasswordHasher:
    """Argon2id for requests: at most ``concurrency`` hashes at once, waiting at most ``wait_seconds``.

    Built once per process at start-up; building it computes the dummy hash that unknown usernames are
    checked against, so the first unknown-user login costs what every other login costs.
    """

    def __init__(self, *, time_cost: int, memory_kib: int, concurrency: int, wait_seconds: float) -> None:
        self._hasher = password_hasher(time_cost=time_cost, memory_kib=memory_kib)
        self.dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self.concurrency = concurrency
        self._wait_seconds = wait_seconds
        self._slots = anyio.Semaphore(concurrency)
        self._threads = anyio.CapacityLimiter(concurrency)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[HashingSlot]:
        """Hold one of the ``concurrency`` hashing slots; ServiceUnavailable (503) if none frees up in time.

        A caller may do other short work while it holds the slot (the login charges its rate limit
        inside it, so that attempts refused for want of a slot never touch the database).
        """
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            with anyio.move_on_after(self._wait_seconds) as waiting:
                await self._slots.acquire()
            if waiting.cancelled_caught:
                raise ServiceUnavailable(
                    "too many logins at once; retry shortly",
                    retry_after=max(1, math.ceil(self._wait_seconds)),
                ) from None
        try:
            yield HashingSlot(self)
        finally:
            self._slots.release()

    async def hash(self, password: str) -> str:
        async with self.slot() as slot:
            return await slot.hash(password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        async with self.slot() as slot:
            return await slot.verify(password, password_hash)

    async def _in_thread(self, function: Callable[..., T], *args: str) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._threads)


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
