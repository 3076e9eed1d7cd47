"""Accounts on both backends: registration rules, tokens stored by hash, expiry, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import security, service
from service.auth.schemas import UserCreate
from service.config import Settings
from service.db.models import AccessToken, SchedulerConfig, User, UserSettings
from service.errors import Conflict, Unauthorized
from service.study import scheduler

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None
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
        token = service.issue_token(
            db_session, username="ADA", password="password-1", settings=settings, now=T0
        )
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
                service.issue_token(
                    db_session, username=username, password=password, settings=settings, now=T0
                )
            messages.add(info.value.message)
        assert messages == {"incorrect username or password"}

    def test_expired_revoked_and_unknown_tokens_are_401(
        self, db_session: Session, settings: Settings
    ) -> None:
        _register(db_session, settings)
        token = service.issue_token(
            db_session, username="ada", password="password-1", settings=settings, now=T0
        )
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, token.access_token, now=token.expires_at)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, "not-a-token", now=T0)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, None, now=T0)
        principal = service.authenticate(db_session, token.access_token, now=T0)
        other = service.issue_token(
            db_session, username="ada", password="password-1", settings=settings, now=T0
        )
        service.logout(db_session, principal, now=T0)
        with pytest.raises(Unauthorized):
            service.authenticate(db_session, token.access_token, now=T0)
        assert service.authenticate(db_session, other.access_token, now=T0).user_id == principal.user_id

    def test_token_ttl_is_a_setting(self, db_session: Session, tmp_path: Path) -> None:
        settings = Settings(
            data_dir=tmp_path,
            token_ttl_hours=2,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
            _env_file=None,
        )
        _register(db_session, settings)
        token = service.issue_token(
            db_session, username="ada", password="password-1", settings=settings, now=T0
        )
        assert token.expires_at == T0 + timedelta(hours=2)


def test_unknown_user_still_pays_for_a_hash_check(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    hasher = security.password_hasher(time_cost=1, memory_kib=1024)
    original = type(hasher).verify
    monkeypatch.setattr(
        type(hasher),
        "verify",
        lambda self, password, hash: calls.append(hash) or original(self, password, hash),
    )
    assert not security.verify_password("x" * 8, None, time_cost=1, memory_kib=1024)
    assert len(calls) == 1
