"""Service-level study fixtures: a small synced deck set, users with cheap password hashing, a clock.

Everything runs inside ``db_session``'s transaction, so each test sees only its own users and content.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import service as auth_service
from service.auth.schemas import UserCreate
from service.config import Settings
from service.content.loader import sync_content
from service.content.parser import parse_content_dir
from service.db.models import Card
from tests.factories import CardSpec, DeckSpec, write_decks

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NUMERIC_GENERATOR = "bagging.bootstrap"
_names = itertools.count()


def study_decks() -> list[DeckSpec]:
    """Two decks: plain cards and one numeric card in ``alpha``, plain cards in ``beta``."""
    return [
        DeckSpec(
            "alpha",
            cards=[
                CardSpec("a-one"),
                CardSpec("a-two"),
                CardSpec("a-num", generator=NUMERIC_GENERATOR),
                CardSpec("a-three"),
            ],
        ),
        DeckSpec("beta", cards=[CardSpec("b-one"), CardSpec("b-two"), CardSpec("b-three")]),
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None
    )


def sync(session: Session, directory: Path, decks: list[DeckSpec]) -> None:
    sync_content(session, parse_content_dir(write_decks(directory, decks)), now=T0)


@pytest.fixture
def content(db_session: Session, tmp_path: Path) -> dict[str, Card]:
    """The study decks synced into the test's transaction, cards by id."""
    sync(db_session, tmp_path / "content", study_decks())
    return {card.id: card for card in db_session.scalars(select(Card))}


@pytest.fixture
def make_user(db_session: Session, settings: Settings) -> Callable[[], int]:
    """Registers a fresh user and returns its id."""

    def make() -> int:
        body = UserCreate(username=f"user{next(_names)}", password="password-1")
        return auth_service.register(db_session, body, settings=settings, now=T0).id

    return make
