"""Rate limits for logins and registrations, counted in the database (table ``auth_throttles``).

Each attempt is *charged* to its keys before the password is checked, in a short write transaction:
a key that is locked refuses the attempt (429 with ``Retry-After``) and counts nothing; otherwise the
attempt counts as a failure. A login that turns out right is then *forgiven* (its username's count is
cleared, its address's charge taken back). Charging first, with the row locked (SQLite ``BEGIN
IMMEDIATE``, PostgreSQL ``SELECT ... FOR UPDATE``), is what makes the limit hold across workers and
replicas: concurrent attempts on other processes see each other's charges, so no burst slips past it.

A key's window starts at its first failure; once the window and any lockout have passed, the next
attempt starts a new window. Reaching the key's limit locks it for ``lockout_seconds``; each further
failure after a lockout doubles the lockout (exponential backoff) up to ``lockout_max_seconds``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import AuthThrottle
from service.db.session import begin_write
from service.errors import TooManyRequests


@dataclass(frozen=True, slots=True)
class Limit:
    """One counted key and the failures it may have within a window."""

    key: str
    max_failures: int


def login_limits(username: str, address: str, *, settings: Settings) -> tuple[Limit, Limit]:
    """The username's limit first, then the client address's."""
    return (
        Limit(f"login:user:{username}"[:128], settings.login_max_failures),
        Limit(f"login:addr:{address}"[:128], settings.login_max_failures_per_address),
    )


def register_limits(address: str, *, settings: Settings) -> tuple[Limit]:
    """Registrations are limited per address only: each costs a hash whatever the name."""
    return (Limit(f"register:addr:{address}"[:128], settings.register_max_per_address),)


def lockout(failures: int, max_failures: int, *, settings: Settings) -> timedelta | None:
    """How long a key with ``failures`` in its window is locked: none below the limit, then doubling."""
    if failures < max_failures:
        return None
    doublings = min(failures - max_failures, 32)  # 2**32 s is far past any cap
    return timedelta(seconds=min(settings.lockout_seconds * 2**doublings, settings.lockout_max_seconds))


def _locked_row(session: Session, key: str, *, now: datetime) -> AuthThrottle:
    """The key's row, created if missing, locked for this transaction (which begins writing here)."""
    begin_write(session)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(AuthThrottle)
        .values(key=key, failures=0, window_start=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalar(
        select(AuthThrottle)
        .where(AuthThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # inserted above, and rows are never deleted
    return row


def charge(session: Session, limits: Sequence[Limit], *, settings: Settings, now: datetime) -> None:
    """Count one attempt against every key, or raise TooManyRequests (counting nothing) if any is locked."""
    rows = [_locked_row(session, limit.key, now=now) for limit in limits]
    waits = [
        row.locked_until - now for row in rows if row.locked_until is not None and row.locked_until > now
    ]
    if waits:
        retry_after = max(1, math.ceil(max(waits).total_seconds()))
        raise TooManyRequests(f"too many attempts; try again in {retry_after} s", retry_after=retry_after)
    window = timedelta(seconds=settings.login_failure_window_seconds)
    for limit, row in zip(limits, rows, strict=True):
        if now >= row.window_start + window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        locked_for = lockout(row.failures, limit.max_failures, settings=settings)
        row.locked_until = None if locked_for is None else now + locked_for
    session.flush()


def refund(session: Session, limits: Sequence[Limit], *, settings: Settings, now: datetime) -> None:
    """Take back one charge from every key (the attempt was never checked: no hashing slot was free)."""
    for limit in limits:
        row = _locked_row(session, limit.key, now=now)
        row.failures = max(0, row.failures - 1)
        if lockout(row.failures, limit.max_failures, settings=settings) is None:
            row.locked_until = None
    session.flush()


def forgive(session: Session, limits: Sequence[Limit], *, settings: Settings, now: datetime) -> None:
    """After a successful login: clear the username's count and take back the address's charge."""
    user_limit, *address_limits = limits
    # Reset rather than delete: a concurrent charge may already hold the row's key (see _locked_row).
    user_row = _locked_row(session, user_limit.key, now=now)
    user_row.failures, user_row.window_start, user_row.locked_until = 0, now, None
    refund(session, address_limits, settings=settings, now=now)
