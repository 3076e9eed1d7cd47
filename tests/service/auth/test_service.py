"""Accounts on both backends: registration rules, tokens stored by hash, expiry, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import anyio
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.auth import security, service
from service.auth.schemas import TokenRead, UserCreate
from service.config import Settings
from service.db.database import Database
from service.db.models import AccessToken, AuthThrottle, SchedulerConfig, User, UserSettings
from service.errors import Conflict, ServiceUnavailable, Unauthorized
from service.study import scheduler

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None
    )


def _database(session: Session) -> Database:
    """The service's :class:`Database` on the test's connection: each of its short transactions is a
    savepoint of the test's rolled-back transaction."""
    return Database(
        sessionmaker(
            bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
        )
    )


def _issue(
    session: Session, settings: Settings, *, username: str = "ada", password: str = "password-1"
) -> TokenRead:
    hasher = security.PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
        concurrency=1,
        wait_seconds=5,
    )
    return anyio.run(
        partial(
            service.issue_token,
            _database(session),
            hasher,
            username=username,
            password=password,
            address="192.0.2.1",
            settings=settings,
            now=T0,
        )
    )


def _register(
    session: Session, settings: Settings, username: str = "Ada", password: str = "password-1"
) -> int:
    return service.register(
        session, UserCreate(username=username, password=password), settings=settings, now=T0
    ).id


class TestRegister:
    def test_stores_lowercase_name_argon2_hash_and_default_settings(
        self, db_session: Session, settings: Settings
    ) -> None:
        user_id = _register(db_session, settings)
        user = db_session.get(User, user_id)
        assert user is not None and user.username == "ada"
        assert user.password_hash.startswith("$argon2id$") and "password-1" not in user.password_hash
        row = db_session.get(UserSettings, user_id)
        assert row is not None and (row.new_cards_per_day, row.timezone, row.day_start_hour) == (20, "UTC", 4)
        config = db_session.get(SchedulerConfig, row.scheduler_config_id)
        assert config is not None and tuple(config.parameters) == scheduler.DEFAULT_PARAMETERS
        assert (config.desired_retention, config.learning_steps, config.relearning_steps) == (
            0.9,
            [60, 600],
            [600],
        )

    def test_taken_username_in_any_case_is_a_conflict(self, db_session: Session, settings: Settings) -> None:
        _register(db_session, settings, "ada")
        with pytest.raises(Conflict, match="'ada' is taken"):
            _register(db_session, settings, "ADA")

    @pytest.mark.parametrize(
        ("username", "password", "field"),
        [
            ("ab", "password-1", "username"),
            ("a b c", "password-1", "username"),
            ("x" * 33, "password-1", "username"),
            ("ada", "short", "password"),
            ("ada", "p" * 129, "password"),
        ],
    )
    def test_rules(self, username: str, password: str, field: str) -> None:
        with pytest.raises(ValidationError) as info:
            UserCreate(username=username, password=password)
        assert info.value.errors()[0]["loc"] == (field,)


class TestTokens:
    def test_issue_and_authenticate(self, db_session: Session, settings: Settings) -> None:
        user_id = _register(db_session, settings)
        token = _issue(db_session, settings, username="ADA", password="password-1")
        assert token.token_type == "bearer" and token.expires_at == T0 + timedelta(hours=720)
        stored = db_session.scalar(select(AccessToken).where(AccessToken.user_id == user_id))
        assert stored is not None and stored.token_hash == security.token_hash(token.access_token)
        assert token.access_token not in stored.token_hash
        assert service.authenticate(db_session, token.access_token, now=T0).user_id == user_id

    def test_wrong_username_and_wrong_password_get_the_same_401(
        self, db_session: Session, settings: Settings
    ) -> None:
        _register(db_session, settings)
        messages = set()
        for username, password in [("ada", "wrong-password"), ("nobody", "password-1")]:
            with pytest.raises(Unauthorized) as info:
                _issue(db_session, settings, username=username, password=password)
            messages.add(info.value.message)
        assert messages == {"incorrect username or password"}

    def test_expired_revoked_and_unknown_tokens_are_401(
        self, db_session: Session, settings: Settings
    ) -> None:
        _register(db_session, settings)
        token = _issue(db_session, settings, username="ada", password="password-1")
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, token.access_token, now=token.expires_at)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, "not-a-token", now=T0)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, None, now=T0)
        principal = service.authenticate(db_session, token.access_token, now=T0)
        other = _issue(db_session, settings, username="ada", password="password-1")
        service.logout(db_session, principal, now=T0)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, token.access_token, now=T0)
        assert service.authenticate(db_session, other.access_token, now=T0).user_id == principal.user_id

    def test_a_login_refused_for_want_of_a_hashing_slot_is_not_counted_as_a_failure(
        self, db_session: Session, settings: Settings
    ) -> None:
        _register(db_session, settings)
        hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=1, wait_seconds=0)

        async def while_the_only_slot_is_held() -> None:
            async with hasher.slot():
                await service.issue_token(
                    _database(db_session),
                    hasher,
                    username="ada",
                    password="wrong-password",
                    address="192.0.2.1",
                    settings=settings,
                    now=T0,
                )

        with pytest.raises(ServiceUnavailable):
            anyio.run(while_the_only_slot_is_held)
        assert db_session.get(AuthThrottle, "login:user:ada") is None  # never charged

    def test_token_ttl_is_a_setting(self, db_session: Session, tmp_path: Path) -> None:
        settings = Settings(
            data_dir=tmp_path,
            token_ttl_hours=2,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
            _env_file=None,
        )
        _register(db_session, settings)
        token = _issue(db_session, settings, username="ada", password="password-1")
        assert token.expires_at == T0 + timedelta(hours=2)


class TestPasswordHasher:
    def test_dummy_hash_for_unknown_users_is_made_at_construction_with_the_configured_cost(self) -> None:
        hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=1, wait_seconds=1)
        assert hasher.dummy_hash.startswith("$argon2id$") and "m=1024,t=1" in hasher.dummy_hash
        assert anyio.run(hasher.verify, "x" * 8, None) is False
        assert anyio.run(hasher.verify, "x" * 8, hasher.dummy_hash) is False

    def test_hash_and_verify(self) -> None:
        hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=2, wait_seconds=1)
        stored = anyio.run(hasher.hash, "password-1")
        assert anyio.run(hasher.verify, "password-1", stored) is True
        assert anyio.run(hasher.verify, "password-2", stored) is False

    def test_beyond_its_concurrency_a_hash_waits_then_is_503_with_retry_after(self) -> None:
        hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=1, wait_seconds=0.05)

        async def while_the_only_slot_is_held() -> None:
            async with hasher.slot():
                await hasher.verify("password-1", hasher.dummy_hash)

        with pytest.raises(ServiceUnavailable) as info:
            anyio.run(while_the_only_slot_is_held)
        assert info.value.status_code == 503 and info.value.retry_after == 1

    def test_a_freed_slot_serves_the_next_hash(self) -> None:
        hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=1, wait_seconds=0)

        async def one_after_another() -> list[bool]:
            return [await hasher.verify("password-1", hasher.dummy_hash) for _ in range(3)]

        assert anyio.run(one_after_another) == [False, False, False]
