"""Password hashing (Argon2id through pwdlib) and opaque bearer tokens.

A token is ``secrets.token_urlsafe(32)`` (256 random bits) handed to the client once; the database keeps
only its SHA-256. A fast hash is enough for a random 256-bit secret (nothing to brute-force), and it makes
the per-request lookup one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

TOKEN_BYTES = 32


@lru_cache(maxsize=8)
def password_hasher(*, time_cost: int, memory_kib: int) -> PasswordHash:
    """The Argon2id hasher for these costs; verifying reads the costs stored in each hash instead."""
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


@lru_cache(maxsize=8)
def _dummy_hash(*, time_cost: int, memory_kib: int) -> str:
    return password_hasher(time_cost=time_cost, memory_kib=memory_kib).hash(secrets.token_urlsafe(16))


def hash_password(password: str, *, time_cost: int, memory_kib: int) -> str:
    return password_hasher(time_cost=time_cost, memory_kib=memory_kib).hash(password)


def verify_password(password: str, password_hash: str | None, *, time_cost: int, memory_kib: int) -> bool:
    """Whether ``password`` matches; with no stored hash (unknown user) a dummy hash is checked anyway,
    so the answer takes as long for a wrong username as for a wrong password."""
    hasher = password_hasher(time_cost=time_cost, memory_kib=memory_kib)
    if password_hash is None:
        hasher.verify(password, _dummy_hash(time_cost=time_cost, memory_kib=memory_kib))
        return False
    return hasher.verify(password, password_hash)


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
