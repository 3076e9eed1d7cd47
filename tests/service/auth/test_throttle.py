"""Rate-limit counters on both backends: charge before checking, lock at the limit, back off, forgive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from service.auth import throttle
from service.config import Settings
from service.db.models import AuthThrottle
from service.errors import TooManyRequests

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        login_max_failures=3,
        login_max_failures_per_address=5,
        register_max_per_address=2,
        login_failure_window_seconds=900,
        lockout_seconds=60,
        lockout_max_seconds=300,
        _env_file=None,
    )


def _row(session: Session, key: str) -> AuthThrottle:
    row = session.get(AuthThrottle, key, populate_existing=True)
    assert row is not None
    return row


class TestLockout:
    def test_none_below_the_limit_then_doubling_up_to_the_cap(self, settings: Settings) -> None:
        seconds = [throttle.lockout(n, 3, settings=settings) for n in range(1, 8)]
        assert seconds[:2] == [None, None]
        assert [s.total_seconds() for s in seconds[2:] if s is not None] == [60, 120, 240, 300, 300]


class TestCharge:
    def test_the_limit_th_failure_locks_and_a_locked_key_counts_nothing(
        self, db_session: Session, settings: Settings
    ) -> None:
        limits = throttle.login_limits("ada", "192.0.2.1", settings=settings)
        for _ in range(3):
            throttle.charge(db_session, limits, settings=settings, now=T0)
        user = _row(db_session, "login:user:ada")
        assert user.failures == 3 and user.locked_until == T0 + timedelta(seconds=60)
        assert _row(db_session, "login:addr:192.0.2.1").locked_until is None
        with pytest.raises(TooManyRequests) as info:
            throttle.charge(db_session, limits, settings=settings, now=T0 + timedelta(seconds=20))
        assert info.value.status_code == 429 and info.value.retry_after == 40
        assert _row(db_session, "login:user:ada").failures == 3
        assert _row(db_session, "login:addr:192.0.2.1").failures == 3

    def test_each_failure_after_a_lockout_doubles_it(self, db_session: Session, settings: Settings) -> None:
        limits = throttle.login_limits("ada", "192.0.2.1", settings=settings)
        for _ in range(3):
            throttle.charge(db_session, limits, settings=settings, now=T0)
        later = T0 + timedelta(seconds=61)
        throttle.charge(db_session, limits, settings=settings, now=later)
        assert _row(db_session, "login:user:ada").locked_until == later + timedelta(seconds=120)

    def test_the_address_limit_holds_across_usernames(self, db_session: Session, settings: Settings) -> None:
        for name in ["a1", "a2", "a3", "a4", "a5"]:
            throttle.charge(
                db_session,
                throttle.login_limits(name, "192.0.2.9", settings=settings),
                settings=settings,
                now=T0,
            )
        with pytest.raises(TooManyRequests):
            throttle.charge(
                db_session,
                throttle.login_limits("a6", "192.0.2.9", settings=settings),
                settings=settings,
                now=T0,
            )
        assert db_session.get(AuthThrottle, "login:user:a6") is not None  # created, but charged nothing
        assert _row(db_session, "login:user:a6").failures == 0

    def test_counts_restart_once_the_window_has_passed(self, db_session: Session, settings: Settings) -> None:
        limits = throttle.login_limits("ada", "192.0.2.1", settings=settings)
        for _ in range(2):
            throttle.charge(db_session, limits, settings=settings, now=T0)
        after_window = T0 + timedelta(seconds=900)
        throttle.charge(db_session, limits, settings=settings, now=after_window)
        row = _row(db_session, "login:user:ada")
        assert (row.failures, row.window_start, row.locked_until) == (1, after_window, None)

    def test_registrations_are_counted_per_address(self, db_session: Session, settings: Settings) -> None:
        limits = throttle.register_limits("192.0.2.7", settings=settings)
        throttle.charge(db_session, limits, settings=settings, now=T0)
        throttle.charge(db_session, limits, settings=settings, now=T0)
        with pytest.raises(TooManyRequests):
            throttle.charge(db_session, limits, settings=settings, now=T0)


class TestForgive:
    def test_clears_the_username_and_takes_back_the_address_charge(
        self, db_session: Session, settings: Settings
    ) -> None:
        limits = throttle.login_limits("ada", "192.0.2.1", settings=settings)
        for _ in range(3):
            throttle.charge(db_session, limits, settings=settings, now=T0)
        throttle.forgive(db_session, limits, settings=settings, now=T0)
        user = _row(db_session, "login:user:ada")
        assert (user.failures, user.locked_until) == (0, None)
        assert _row(db_session, "login:addr:192.0.2.1").failures == 2

    def test_unlocks_an_address_that_its_own_charge_locked(
        self, db_session: Session, settings: Settings
    ) -> None:
        for name in ["a1", "a2", "a3", "a4"]:
            throttle.charge(
                db_session,
                throttle.login_limits(name, "192.0.2.9", settings=settings),
                settings=settings,
                now=T0,
            )
        limits = throttle.login_limits("ada", "192.0.2.9", settings=settings)
        throttle.charge(db_session, limits, settings=settings, now=T0)  # the 5th: locks the address
        assert _row(db_session, "login:addr:192.0.2.9").locked_until is not None
        throttle.forgive(db_session, limits, settings=settings, now=T0)  # ... but it was the right password
        address = _row(db_session, "login:addr:192.0.2.9")
        assert (address.failures, address.locked_until) == (4, None)


class TestRefund:
    def test_takes_back_one_charge_from_every_key_and_unlocks_below_the_limit(
        self, db_session: Session, settings: Settings
    ) -> None:
        limits = throttle.login_limits("ada", "192.0.2.1", settings=settings)
        for _ in range(3):
            throttle.charge(db_session, limits, settings=settings, now=T0)
        throttle.refund(db_session, limits, settings=settings, now=T0)
        user = _row(db_session, "login:user:ada")
        assert (user.failures, user.locked_until) == (2, None)
        assert _row(db_session, "login:addr:192.0.2.1").failures == 2
