"""The study queue on both backends: order, daily new-card limit, learn-ahead, counts, next_due, labels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.db.models import Card, CardState, QuestionInstance, ReviewLog
from service.errors import NotFound
from service.quiz import service as quiz_service
from service.study import reviews, service
from service.study import settings as study_settings
from service.study.queue_schemas import StudyNext
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.service.study.conftest import NUMERIC_GENERATOR, T0


def _next(
    session: Session, settings: Settings, user: int, *, at: timedelta = timedelta(0), deck: str | None = None
) -> StudyNext:
    return service.next_card(session, user_id=user, deck=deck, settings=settings, now=T0 + at)


def _rate(session: Session, settings: Settings, user: int, card_id: str, rating: int, at: timedelta) -> None:
    reviews.submit_review(
        session,
        user_id=user,
        body=ReviewCreate(card_id=card_id, rating=rating),
        idempotency_key=None,
        settings=settings,
        now=T0 + at,
    )


class TestNextCard:
    def test_new_user_gets_the_first_card_in_deck_order(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        shown = _next(db_session, settings, make_user())
        assert shown.kind == "new" and shown.card is not None and shown.card.id == "a-one"
        assert shown.question is None and shown.next_due is None
        assert shown.counts.model_dump() == {"new": 7, "learning": 0, "review": 0}
        assert shown.intervals is not None
        assert (shown.intervals.again.seconds, shown.intervals.again.label) == (60, "1m")
        assert (shown.intervals.good.seconds, shown.intervals.good.label) == (600, "10m")
        assert shown.intervals.easy.seconds >= 86_400 and shown.intervals.easy.label.endswith("d")

    def test_intervals_are_what_the_review_then_schedules(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "a-one", 4, timedelta(0))
        shown = _next(db_session, settings, user, at=timedelta(days=40))
        assert shown.kind == "review" and shown.card is not None and shown.intervals is not None
        done = reviews.submit_review(
            db_session,
            user_id=user,
            body=ReviewCreate(card_id="a-one", rating=3),
            idempotency_key=None,
            settings=settings,
            now=T0 + timedelta(days=40),
        )
        assert done.state_after.due == shown.intervals.good.due

    def test_due_cards_come_before_new_ones_most_overdue_first(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _rate(db_session, settings, user, "b-one", 4, timedelta(0))  # review, due in days
        _rate(db_session, settings, user, "a-two", 4, timedelta(hours=1))
        shown = _next(db_session, settings, user, at=timedelta(days=400))
        dues = {
            card_id: db_session.get(CardState, (user, content[card_id].key)).due  # type: ignore[union-attr]
            for card_id in ("b-one", "a-two")
        }
        assert dues["b-one"] != dues["a-two"]
        assert shown.kind == "review" and shown.card is not None
        assert shown.card.id == min(dues, key=lambda card_id: dues[card_id])
        assert shown.counts.review == 2

    def test_daily_new_card_limit_uses_the_users_day(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session,
            user_id=user,
            update=SettingsUpdate(new_cards_per_day=2, timezone="America/New_York", day_start_hour=4),
            now=T0,
        )
        # T0 is 07:00 in New York; the study day ends at 04:00 local (09:00 UTC) tomorrow.
        _rate(db_session, settings, user, "a-one", 4, timedelta(0))
        _rate(db_session, settings, user, "a-two", 4, timedelta(0))
        shown = _next(db_session, settings, user, at=timedelta(hours=1))
        assert shown.card is None and shown.counts.new == 0
        assert shown.next_due == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # new cards again tomorrow
        tomorrow = _next(db_session, settings, user, at=timedelta(hours=21))
        assert tomorrow.kind == "new" and tomorrow.counts.new == 2

    def test_learning_cards_within_20_minutes_count_as_due_after_new_ones(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(new_cards_per_day=1), now=T0
        )
        _rate(db_session, settings, user, "a-one", 3, timedelta(0))  # learning, due in 10 minutes
        shown = _next(db_session, settings, user, at=timedelta(minutes=1))
        assert shown.kind == "learning" and shown.card is not None and shown.card.id == "a-one"
        assert shown.counts.learning == 1

    def test_nothing_due_says_when_the_next_card_is(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(new_cards_per_day=1), now=T0
        )
        _rate(db_session, settings, user, "a-one", 4, timedelta(0))
        shown = _next(db_session, settings, user, at=timedelta(minutes=1))
        assert (
            shown.card is None and shown.kind is None and shown.intervals is None and shown.question is None
        )
        state = reviews.snapshot_of(db_session.get(CardState, (user, content["a-one"].key)))
        tomorrow = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
        assert state.due is not None and shown.next_due == min(state.due, tomorrow)

    def test_deck_filter_and_unknown_deck(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        shown = _next(db_session, settings, user, deck="beta")
        assert shown.card is not None and shown.card.id == "b-one" and shown.counts.new == 3
        with pytest.raises(NotFound, match="no deck"):
            _next(db_session, settings, user, deck="gamma")

    def test_numeric_card_comes_with_a_fresh_owned_question(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        for card_id in ("a-one", "a-two"):
            _rate(db_session, settings, user, card_id, 4, timedelta(0))
        shown = _next(db_session, settings, user)
        assert shown.card is not None and shown.card.id == "a-num" and shown.question is not None
        assert shown.question.generator.id == NUMERIC_GENERATOR
        instance = db_session.get(QuestionInstance, shown.question.id)
        assert instance is not None and instance.user_id == user and instance.card_key == content["a-num"].key
        again = _next(db_session, settings, user)
        assert again.question is not None and again.question.id != shown.question.id


class TestStudyCounts:
    def test_each_deck_and_the_total_are_what_next_card_reports(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        study_settings.update_settings(
            db_session, user_id=user, update=SettingsUpdate(new_cards_per_day=4), now=T0
        )
        _rate(db_session, settings, user, "a-one", 4, timedelta(0))  # review, due in days
        _rate(db_session, settings, user, "a-two", 1, timedelta(0))  # learning
        _rate(db_session, settings, user, "b-one", 3, timedelta(0))  # learning
        for at in (timedelta(minutes=30), timedelta(days=5), timedelta(days=40)):
            counts = service.study_counts(db_session, user_id=user, now=T0 + at)
            assert [d.deck for d in counts.decks] == ["alpha", "beta"]
            for deck in counts.decks:
                shown = _next(db_session, settings, user, at=at, deck=deck.deck)
                assert deck.model_dump(exclude={"deck"}) == shown.counts.model_dump()
            assert counts.total == _next(db_session, settings, user, at=at).counts
        # One new card left today (4 minus the 3 introduced): each deck's new count is capped by it.
        counts = service.study_counts(db_session, user_id=user, now=T0 + timedelta(minutes=30))
        assert [(d.deck, d.new, d.learning, d.review) for d in counts.decks] == [
            ("alpha", 1, 1, 0),
            ("beta", 1, 1, 0),
        ]
        assert counts.total.model_dump() == {"new": 1, "learning": 2, "review": 0}

    def test_reads_only_even_when_the_next_card_is_numeric(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        for card_id in ("a-one", "a-two"):
            _rate(db_session, settings, user, card_id, 4, timedelta(0))
        db_session.flush()
        instances = select(QuestionInstance).where(QuestionInstance.user_id == user)
        counts = service.study_counts(db_session, user_id=user, now=T0)
        assert not db_session.new and not db_session.dirty and not db_session.deleted
        assert db_session.scalars(instances).all() == []
        assert counts.total.model_dump() == {"new": 5, "learning": 0, "review": 0}
        assert _next(db_session, settings, user).question is not None  # the queue's next is numeric

    def test_another_users_reviews_do_not_count(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user, other = make_user(), make_user()
        before = service.study_counts(db_session, user_id=user, now=T0)
        _rate(db_session, settings, other, "a-one", 1, timedelta(0))
        _rate(db_session, settings, other, "b-one", 1, timedelta(0))
        assert service.study_counts(db_session, user_id=user, now=T0) == before
        theirs = service.study_counts(db_session, user_id=other, now=T0)
        assert theirs.total.model_dump() == {"new": 5, "learning": 2, "review": 0}


class TestNumericReview:
    # A misconception's whole answer earns partial credit where later fields are right given its wrong
    # step (error carried forward), so it rates Hard; only an answer with nothing right rates Again.
    @pytest.mark.parametrize(
        ("answer_kind", "rating"), [("right", 3), ("misconception", 2), ("partial", 2), ("nothing", 1)]
    )
    def test_answer_records_a_review_rated_from_the_grade(
        self,
        db_session: Session,
        settings: Settings,
        content: dict[str, Card],
        make_user: Callable[[], int],
        answer_kind: str,
        rating: int,
    ) -> None:
        user = make_user()
        for card_id in ("a-one", "a-two"):
            _rate(db_session, settings, user, card_id, 4, timedelta(0))
        shown = _next(db_session, settings, user)
        assert shown.question is not None
        generator = verifier.get(NUMERIC_GENERATOR)
        inputs = shown.question.inputs
        right = verifier.to_jsonable(generator.solve(inputs))
        if answer_kind == "right":
            answer = right
        elif answer_kind == "misconception":
            misconception = next(m for m in generator.misconceptions if m.applies_to(inputs))
            answer = verifier.to_jsonable(misconception.answer(inputs))
        elif answer_kind == "nothing":
            answer = {
                name: -1.0 if not isinstance(value, list) else [-1.0] * len(value)
                for name, value in right.items()
            }
        else:
            answer = dict(right)
            first = next(iter(answer))
            answer[first] = -1.0 if not isinstance(answer[first], list) else [-1.0] * len(answer[first])
        attempt = quiz_service.answer_question(
            db_session,
            shown.question.id,
            answer,
            user_id=user,
            idempotency_key=None,
            settings=settings,
            now=T0,
        )
        assert attempt.review is not None
        assert attempt.review.source == "numeric" and attempt.review.question_id == shown.question.id
        expected = reviews.rating_for_grade(correct=attempt.grade.correct, score=attempt.grade.score)
        assert attempt.review.rating == expected == rating
        log = db_session.get(ReviewLog, attempt.review.id)
        assert log is not None and log.score == attempt.grade.score
        assert log.misconception == attempt.grade.misconception
        second = quiz_service.answer_question(
            db_session,
            shown.question.id,
            right,
            user_id=user,
            idempotency_key=None,
            settings=settings,
            now=T0,
        )
        assert second.review is None and second.number == 2

    def test_practice_questions_record_no_review_and_are_private(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        owner, other = make_user(), make_user()
        question = quiz_service.create_question(db_session, NUMERIC_GENERATOR, user_id=owner, seed=3, now=T0)
        right = verifier.to_jsonable(verifier.get(NUMERIC_GENERATOR).solve(question.inputs))
        with pytest.raises(NotFound):
            quiz_service.get_question(db_session, question.id, user_id=other)
        with pytest.raises(NotFound):
            quiz_service.answer_question(
                db_session, question.id, right, user_id=other, idempotency_key=None, settings=settings, now=T0
            )
        attempt = quiz_service.answer_question(
            db_session, question.id, right, user_id=owner, idempotency_key=None, settings=settings, now=T0
        )
        assert attempt.review is None and attempt.grade.correct
        assert db_session.scalars(select(ReviewLog).where(ReviewLog.user_id == owner)).all() == []


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (30, "30s"),
        (60, "1m"),
        (330, "6m"),
        (600, "10m"),
        (5400, "1.5h"),
        (86_400, "1d"),
        (12 * 86_400, "12d"),
        (105 * 86_400, "3.5mo"),
        (438 * 86_400, "1.2y"),
    ],
)
def test_interval_labels(seconds: int, label: str) -> None:
    assert service.interval_label(seconds) == label
