"""Content sync on both backends: create, edit in place, archive, idempotence, refusal on errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.content.loader import SyncReport, sync_content
from service.content.parser import parse_content_dir
from service.content.service import load_content
from service.db.models import Card, CardTag, ContentState, Deck
from service.errors import ContentError
from tests.factories import CardSpec, DeckSpec, write_decks

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _decks() -> list[DeckSpec]:
    return [
        DeckSpec("alpha", cards=[CardSpec("a-one", tags=("x", "y")), CardSpec("a-two")]),
        DeckSpec("beta", cards=[CardSpec("b-one", detail="More words.")]),
    ]


def _sync(session: Session, directory: Path, now: datetime = T0) -> SyncReport:
    return sync_content(session, parse_content_dir(directory), now=now)


class TestSyncContent:
    def test_first_sync_creates_decks_cards_and_tags(self, db_session: Session, tmp_path: Path) -> None:
        report = _sync(db_session, write_decks(tmp_path, _decks()))
        assert report.created == 3 and report.updated == 0 and report.archived == 0
        assert db_session.scalar(select(func.count(Deck.id))) == 2
        card = db_session.scalar(select(Card).where(Card.id == "a-one"))
        assert card is not None and card.tags == ["x", "y"] and card.deck_id == "alpha"
        tags = db_session.scalars(select(CardTag.tag).where(CardTag.card_key == card.key)).all()
        assert sorted(tags) == ["x", "y"]
        assert card.created_at == T0 and card.updated_at.tzinfo is not None

    def test_editing_a_card_keeps_its_key_and_updates_in_place(
        self, db_session: Session, tmp_path: Path
    ) -> None:
        decks = _decks()
        _sync(db_session, write_decks(tmp_path, decks))
        before = db_session.scalar(select(Card).where(Card.id == "a-one"))
        assert before is not None
        key, old_hash = before.key, before.content_hash
        decks[0].cards[0].back = "An edited answer. Still two sentences."
        decks[0].cards[0].tags = ("x", "z")
        report = _sync(db_session, write_decks(tmp_path, decks), T0 + timedelta(days=1))
        assert (report.created, report.updated, report.archived) == (0, 1, 0)
        db_session.expire_all()
        after = db_session.scalar(select(Card).where(Card.id == "a-one"))
        assert after is not None and after.key == key
        assert after.content_hash != old_hash and "edited" in after.back_md
        assert after.updated_at == T0 + timedelta(days=1) and after.created_at == T0
        tags = db_session.scalars(select(CardTag.tag).where(CardTag.card_key == key)).all()
        assert sorted(tags) == ["x", "z"]

    def test_removing_a_card_archives_it_and_restoring_revives_the_same_row(
        self, db_session: Session, tmp_path: Path
    ) -> None:
        decks = _decks()
        _sync(db_session, write_decks(tmp_path, decks))
        key = db_session.scalar(select(Card.key).where(Card.id == "a-two"))
        removed = decks[0].cards.pop()
        report = _sync(db_session, write_decks(tmp_path, decks))
        assert report.archived == 1
        db_session.expire_all()
        archived = db_session.scalar(select(Card).where(Card.id == "a-two"))
        assert archived is not None and archived.archived and archived.key == key
        decks[0].cards.append(removed)
        report = _sync(db_session, write_decks(tmp_path, decks))
        assert report.updated == 1
        db_session.expire_all()
        revived = db_session.scalar(select(Card).where(Card.id == "a-two"))
        assert revived is not None and not revived.archived and revived.key == key

    def test_removing_a_deck_file_archives_the_deck(self, db_session: Session, tmp_path: Path) -> None:
        decks = _decks()
        _sync(db_session, write_decks(tmp_path, decks))
        _sync(db_session, write_decks(tmp_path, decks[:1]))
        db_session.expire_all()
        beta = db_session.get(Deck, "beta")
        assert beta is not None and beta.archived
        assert db_session.scalar(select(Card.archived).where(Card.id == "b-one")) is True

    def test_unchanged_content_writes_nothing(self, db_session: Session, tmp_path: Path) -> None:
        directory = write_decks(tmp_path, _decks())
        first = _sync(db_session, directory)
        db_session.commit()
        db_session.expire_all()
        state_before = db_session.get(ContentState, 1)
        assert state_before is not None
        synced_at = state_before.synced_at
        report = _sync(db_session, directory, T0 + timedelta(days=3))
        assert not report.changed and report.unchanged == 3
        assert report.version == first.version
        assert not db_session.dirty and not db_session.new
        db_session.expire_all()
        assert db_session.scalar(select(func.max(Card.updated_at))) == T0
        state = db_session.get(ContentState, 1)
        assert state is not None and state.synced_at == synced_at

    def test_content_with_errors_is_refused_with_every_issue(
        self, db_session: Session, tmp_path: Path
    ) -> None:
        decks = _decks()
        decks[0].cards[1].id = "a-one"  # duplicate id
        decks[1].cards[0].tags = ("two words",)
        with pytest.raises(ContentError) as caught:
            _sync(db_session, write_decks(tmp_path, decks))
        assert len(caught.value.issues) >= 2
        assert all(".md:" in issue for issue in caught.value.issues)


class TestLoadContent:
    def test_broken_markdown_keeps_the_last_good_content(self, db_session: Session, tmp_path: Path) -> None:
        decks = _decks()
        load_content(db_session, write_decks(tmp_path, decks), now=T0)
        decks[0].cards[0].back = ""  # empty answer: an error
        decks[0].cards[1].back = "Changed, but the deck is broken so this must not load. Really."
        assert load_content(db_session, write_decks(tmp_path, decks), now=T0) is None
        db_session.expire_all()
        card = db_session.scalar(select(Card).where(Card.id == "a-two"))
        assert card is not None and "Changed" not in card.back_md

    def test_broken_markdown_on_an_empty_database_refuses(self, db_session: Session, tmp_path: Path) -> None:
        decks = _decks()
        decks[0].cards[0].back = ""
        with pytest.raises(ContentError):
            load_content(db_session, write_decks(tmp_path, decks), now=T0)

    def test_the_real_content_loads(self, db_session: Session, content_dir: Path) -> None:
        report = load_content(db_session, content_dir, now=T0)
        assert report is not None and report.decks == 7 and report.cards >= 100
