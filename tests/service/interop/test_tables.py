"""Cards as CSV and JSON, and a user's review log in the FSRS tools' columns (both backends)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Card
from service.errors import NotFound
from service.interop import tables
from service.study import reviews
from service.study.schemas import ReviewCreate
from tests.service.study.conftest import NUMERIC_GENERATOR, T0


class TestCards:
    def test_csv_and_json_carry_the_same_cards_in_deck_order(
        self, db_session: Session, content: dict[str, Card]
    ) -> None:
        cards = tables.export_cards(db_session, deck=None)
        assert [c.id for c in cards] == ["a-one", "a-two", "a-num", "a-three", "b-one", "b-two", "b-three"]
        rows = list(csv.DictReader(io.StringIO(tables.cards_csv(cards))))
        assert list(rows[0]) == list(tables.CARD_COLUMNS)
        assert rows[2] == {
            "id": "a-num",
            "deck": "alpha",
            "question": content["a-num"].front_md,
            "answer": content["a-num"].back_md,
            "detail": "",
            "tags": "testing",
            "source": "DLB 5.2",
            "generator": NUMERIC_GENERATOR,
        }
        assert rows[0]["generator"] == ""
        assert json.loads(tables.cards_json(cards)) == [card.model_dump() for card in cards]

    def test_one_deck_and_an_unknown_deck(self, db_session: Session, content: dict[str, Card]) -> None:
        assert {c.deck for c in tables.export_cards(db_session, deck="beta")} == {"beta"}
        with pytest.raises(NotFound):
            tables.export_cards(db_session, deck="nope")


class TestReviewsCsv:
    def test_active_reviews_of_the_user_only_with_the_state_before_each(
        self,
        db_session: Session,
        content: dict[str, Card],
        make_user: Callable[[], int],
        settings: Settings,
    ) -> None:
        user, other = make_user(), make_user()

        def review(user_id: int, card_id: str, rating: int, minutes: int) -> None:
            body = ReviewCreate(card_id=card_id, rating=rating, duration_ms=4200)
            reviews.submit_review(
                db_session,
                user_id=user_id,
                body=body,
                idempotency_key=None,
                settings=settings,
                now=T0 + timedelta(minutes=minutes),
            )

        review(user, "a-one", 3, 0)
        review(other, "b-one", 1, 1)
        review(user, "a-one", 3, 11)
        review(user, "a-two", 1, 12)
        review(user, "a-two", 3, 13)
        reviews.undo_last_review(db_session, user_id=user, idempotency_key=None, settings=settings, now=T0)
        text = tables.reviews_csv(db_session, user_id=user)
        ms = int(T0.timestamp() * 1000)
        assert text.splitlines() == [
            "card_id,review_time,review_rating,review_state,review_duration",
            f"a-one,{ms},3,0,4200",
            f"a-one,{ms + 11 * 60_000},3,1,4200",
            f"a-two,{ms + 12 * 60_000},1,0,4200",
        ]
        assert tables.reviews_csv(db_session, user_id=make_user()).splitlines() == [
            "card_id,review_time,review_rating,review_state,review_duration"
        ]
