"""Stats on both backends: per-day buckets in the user's day, true retention, forecast, decks, streak."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.db.models import Card
from service.quiz import service as quiz_service
from service.study import reviews, service, stats
from service.study import settings as study_settings
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.service.study.conftest import NUMERIC_GENERATOR, T0


def _rate(session: Session, settings: Settings, user: int, card_id: str, rating: int, at: datetime) -> None:
    reviews.submit_review(
        session,
        user_id=user,
        body=ReviewCreate(card_id=card_id, rating=rating),
        idempotency_key=None,
        settings=settings,
        now=at,
    )


class TestGetStats:
    def test_empty_user_has_zeros_and_nulls(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        read = stats.get_stats(db_session, user_id=make_user(), days_back=7, now=T0)
        assert [d.count for d in read.reviews_per_day] == [0] * 7
        assert read.reviews_per_day[-1].date == date(2026, 3, 2)
        assert read.retention_overall is None and all(d.retention is None for d in read.retention_per_day)
        assert len(read.forecast) == 30 and sum(f.due for f in read.forecast) == 0
        assert {(d.deck, d.new) for d in read.decks} == {("alpha", 4), ("beta", 3)}
        assert read.streak == 0 and read.numeric == []

    def test_day_buckets_follow_timezone_and_day_start(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(timezone="Asia/Tokyo", day_start_hour=4), now=T0
        )
        # Tokyo is UTC+9: 18:30 UTC on 1 March is 03:30 on 2 March, still study day 1 March.
        _rate(db_session, settings, user, "a-one", 3, datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
        # 19:30 UTC is 04:30 in Tokyo: study day 2 March.
        _rate(db_session, settings, user, "a-one", 3, datetime(2026, 3, 1, 19, 30, tzinfo=UTC))
        _rate(db_session, settings, user, "b-one", 3, datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
        read = stats.get_stats(
            db_session, user_id=user, days_back=3, now=datetime(2026, 3, 2, 12, tzinfo=UTC)
        )
        assert [(d.date, d.count) for d in read.reviews_per_day] == [
            (date(2026, 2, 28), 0),
            (date(2026, 3, 1), 1),
            (date(2026, 3, 2), 2),
        ]
        assert read.streak == 2

    def test_true_retention_counts_review_state_cards_only(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        start = T0 - timedelta(days=100)
        for card_id in ("a-one", "a-two", "b-one"):
            _rate(db_session, settings, user, card_id, 4, start)  # new -> review (not counted)
        later = T0 - timedelta(hours=2)
        _rate(db_session, settings, user, "a-one", 3, later)  # review, passed
        _rate(db_session, settings, user, "a-two", 1, later)  # review, lapsed
        _rate(db_session, settings, user, "b-one", 2, later)  # review, passed (Hard is not a lapse)
        _rate(db_session, settings, user, "a-two", 3, later + timedelta(minutes=1))  # relearning: not counted
        read = stats.get_stats(db_session, user_id=user, days_back=30, now=T0)
        today = read.retention_per_day[-1]
        assert (today.reviews, today.retention) == (3, 2 / 3)
        assert read.retention_overall == 2 / 3
        assert read.reviews_per_day[-1].count == 4

    def test_undone_reviews_do_not_count(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "a-one", 3, T0)
        reviews.undo_last_review(db_session, user_id=user, idempotency_key=None, settings=settings, now=T0)
        read = stats.get_stats(db_session, user_id=user, days_back=1, now=T0)
        assert read.reviews_per_day[-1].count == 0 and read.streak == 0

    def test_forecast_puts_overdue_cards_today(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "a-one", 4, T0 - timedelta(days=200))  # long overdue
        _rate(db_session, settings, user, "a-two", 3, T0)  # learning, due in 10 minutes
        _rate(db_session, settings, user, "b-one", 4, T0)  # review, due in some days
        read = stats.get_stats(db_session, user_id=user, days_back=1, now=T0)
        assert read.forecast[0].date == date(2026, 3, 2) and read.forecast[0].due == 2
        assert sum(f.due for f in read.forecast) == 3

    def test_streak_spans_chunks_and_tolerates_an_empty_today(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "b-one", 1, T0 - timedelta(days=45))  # before a gap
        for day in range(40, 0, -1):  # every day for the 40 days before today, none today
            _rate(db_session, settings, user, "a-one", 1, T0 - timedelta(days=day))
        assert stats.get_stats(db_session, user_id=user, days_back=1, now=T0).streak == 40

    def test_numeric_accuracy_by_topic_with_misconceptions(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        generator = verifier.get(NUMERIC_GENERATOR)
        for card_id in ("a-one", "a-two"):
            _rate(db_session, settings, user, card_id, 4, T0 - timedelta(days=1))
        outcomes = []
        for offset in range(3):
            now = T0 + timedelta(days=2 * offset)
            shown = service.next_card(db_session, user_id=user, deck="alpha", settings=settings, now=now)
            assert shown.question is not None and shown.card is not None and shown.card.id == "a-num"
            inputs = shown.question.inputs
            if offset == 1:
                answer = verifier.to_jsonable(generator.solve(inputs))
            else:
                misconception = next(m for m in generator.misconceptions if m.applies_to(inputs))
                answer = verifier.to_jsonable(misconception.answer(inputs))
            attempt = quiz_service.answer_question(
                db_session,
                shown.question.id,
                answer,
                user_id=user,
                idempotency_key=None,
                settings=settings,
                now=now,
            )
            outcomes.append(attempt.grade.misconception)  # the card is learning again: due in minutes
        read = stats.get_stats(db_session, user_id=user, days_back=30, now=T0 + timedelta(days=5))
        (topic,) = read.numeric
        assert topic.topic == generator.topic and topic.attempts == 3 and topic.correct == 1
        assert topic.accuracy == 1 / 3
        assert [(m.id, m.count) for m in topic.misconceptions] == [(outcomes[0], 2)]
