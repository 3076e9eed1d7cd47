"""The quiz service on both backends: hints (revealed in order, counted, the Hard cap on study reviews),
problem reports, and the per-field grade it returns."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.db.models import Card, QuestionInstance, ReviewLog
from service.errors import Conflict, InvalidSubmission, NotFound
from service.quiz import reports
from service.quiz import service as quiz_service
from service.quiz.schemas import ReportCreate
from service.study import reviews
from service.study.scheduler import Rating
from tests.factories import CardSpec, DeckSpec
from tests.service.study.conftest import T0, sync
from tests.service.study.test_reviews import assert_matches_replay

HINTED = "init.fans"  # a generator with hints (4 of them)
OTHER = "bagging.bootstrap"
# Generators not yet declared as step graphs have no hints (none once every generator is ported).
UNHINTED = [g.id for g in verifier.generators() if not g.hints(g.generate(1).inputs)]


def _question(session: Session, user_id: int, generator_id: str = HINTED, **kwargs: Any) -> QuestionInstance:
    kwargs.setdefault("calculator", True)
    return quiz_service.new_instance(session, generator_id, seed=1, now=T0, user_id=user_id, **kwargs)


def _hint(
    session: Session, settings: Settings, user_id: int, instance_id: str, key: str | None = None
) -> Any:
    return quiz_service.reveal_hint(
        session, instance_id, user_id=user_id, idempotency_key=key, settings=settings, now=T0
    )


def _answer(
    session: Session, settings: Settings, user_id: int, instance_id: str, answer: dict[str, Any]
) -> Any:
    return quiz_service.answer_question(
        session, instance_id, answer, user_id=user_id, idempotency_key=None, settings=settings, now=T0
    )


def _right(instance: QuestionInstance) -> dict[str, Any]:
    answer = verifier.to_jsonable(verifier.get(instance.generator_id).solve(instance.inputs))
    assert isinstance(answer, dict)
    return answer


class TestRevealHint:
    def test_hints_come_in_order_and_are_counted_until_none_is_left(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        texts = verifier.get(HINTED).hints(instance.inputs)
        assert len(texts) >= 2
        for number in range(1, len(texts) + 1):
            shown = _hint(db_session, settings, user, instance.id)
            assert [hint.number for hint in shown.hints] == list(range(1, number + 1))
            assert [hint.markdown for hint in shown.hints] == list(texts[:number])
            assert shown.total == len(texts) and instance.hints_used == number
        with pytest.raises(Conflict, match=f"no hints left: all {len(texts)} hints"):
            _hint(db_session, settings, user, instance.id)
        question = quiz_service.get_question(db_session, instance.id, user_id=user)
        assert [hint.markdown for hint in question.hints] == list(texts) and question.hints_total == len(
            texts
        )

    def test_a_generator_without_hints_is_a_conflict(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        for generator_id in UNHINTED:
            instance = _question(db_session, user, generator_id)
            with pytest.raises(Conflict, match="this question has no hints"):
                _hint(db_session, settings, user, instance.id)
            assert instance.hints_used == 0

    def test_someone_elses_question_is_not_found(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        owner, other = make_user(), make_user()
        instance = _question(db_session, owner)
        with pytest.raises(NotFound):
            _hint(db_session, settings, other, instance.id)
        assert instance.hints_used == 0

    def test_a_retry_with_the_same_key_reveals_nothing_more(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        first = _hint(db_session, settings, user, instance.id, key="k1")
        again = _hint(db_session, settings, user, instance.id, key="k1")
        assert first == again and instance.hints_used == 1
        assert len(_hint(db_session, settings, user, instance.id, key="k2").hints) == 2

    def test_a_new_question_shows_its_precision_and_no_hint(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        question = quiz_service.get_question(db_session, instance.id, user_id=user)
        assert question.hints == [] and question.hints_total == 4
        assert question.precision_note == verifier.get(HINTED).precision_note(instance.inputs)
        assert question.precision_note in question.prompt.markdown


class TestHintCap:
    """A numeric card's review, answered after a hint, is rated at most Hard; Again stays Again."""

    @pytest.fixture
    def card(self, db_session: Session, tmp_path: Path) -> Card:
        sync(
            db_session,
            tmp_path / "content",
            [DeckSpec("gamma", cards=[CardSpec("g-fans", generator=HINTED)])],
        )
        found = db_session.scalars(select(Card).where(Card.id == "g-fans")).one()
        return found

    @pytest.mark.parametrize(
        ("hints", "kind", "rating"),
        [
            (0, "right", Rating.GOOD),
            (1, "right", Rating.HARD),
            (2, "partial", Rating.HARD),
            (0, "nothing", Rating.AGAIN),
            (1, "nothing", Rating.AGAIN),
        ],
    )
    def test_rating_after_hints(
        self,
        db_session: Session,
        settings: Settings,
        make_user: Callable[[], int],
        card: Card,
        hints: int,
        kind: str,
        rating: Rating,
    ) -> None:
        user = make_user()
        instance = _question(db_session, user, card_key=card.key)
        for _ in range(hints):
            _hint(db_session, settings, user, instance.id)
        answer = _right(instance)
        if kind == "partial":
            answer["fan_in"] += 1000
        elif kind == "nothing":
            answer = {"fan_in": 1, "fan_out": 1, "glorot_limit": 1000.0, "he_std": 1000.0}
        attempt = _answer(db_session, settings, user, instance.id, answer)
        assert attempt.review is not None
        assert attempt.review.rating == rating and attempt.review.hints_used == hints
        log = db_session.get(ReviewLog, attempt.review.id)
        assert log is not None and log.rating == rating and log.hints_used == hints
        assert_matches_replay(db_session, user, card)

    def test_rule(self) -> None:
        assert reviews.rating_for_grade(correct=True, score=1.0) == Rating.GOOD
        assert reviews.rating_for_grade(correct=True, score=1.0, hints_used=3) == Rating.HARD
        assert reviews.rating_for_grade(correct=False, score=0.5, hints_used=1) == Rating.HARD
        assert reviews.rating_for_grade(correct=False, score=0.0, hints_used=1) == Rating.AGAIN


class TestGradeRead:
    def test_each_field_says_right_carried_forward_or_wrong(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        answer = _right(instance)
        fan_in = answer["fan_in"] * 2  # one slip, then the right formulas on it
        answer["fan_in"] = fan_in
        answer["glorot_limit"] = math.sqrt(6 / (fan_in + answer["fan_out"]))
        answer["he_std"] = math.sqrt(2 / fan_in)
        grade = _answer(db_session, settings, user, instance.id, answer).grade
        statuses = {name: field.status for name, field in grade.fields.items()}
        assert statuses == {
            "fan_in": "wrong",
            "fan_out": "right",
            "glorot_limit": "right_given_your_values",
            "he_std": "right_given_your_values",
        }
        assert [field.correct for field in grade.fields.values()] == [False, True, True, True]
        assert grade.fields["fan_in"].credit == 0 and grade.fields["fan_in"].entries_right == 0
        assert grade.score == pytest.approx(0.75) and grade.first_departure == "fan_in"

    def test_entry_level_credit(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user, "pooling.attention")
        answer = _right(instance)
        answer["max_pool"][0] += 100.0
        field = _answer(db_session, settings, user, instance.id, answer).grade.fields["max_pool"]
        assert (field.status, field.entries, field.entries_right) == ("wrong", 4, 3)
        assert field.credit == pytest.approx(0.75)

    @pytest.mark.parametrize(
        "bad",
        [10**5000, 18.5, float("nan"), float("inf"), {"nested": [1]}, [[1]], True, "12", None],
        ids=["huge-int", "fraction", "nan", "inf", "object", "list", "bool", "string", "null"],
    )
    def test_a_malformed_answer_names_the_field_and_is_not_an_attempt(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int], bad: object
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        answer = {**_right(instance), "fan_in": bad}
        with pytest.raises(InvalidSubmission, match="'fan_in'") as raised:
            _answer(db_session, settings, user, instance.id, answer)
        assert len(raised.value.message) < 300
        assert quiz_service.get_question(db_session, instance.id, user_id=user).attempts == 0

    def test_grading_ahead_of_the_lock_answers_as_grading_under_it(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        """The grade and solution are computed before the study lock (GradedAhead), but a key reused
        with a malformed answer is still a Conflict, and the answer is what grading in place gives."""
        user = make_user()
        instance = _question(db_session, user, "batchnorm.backward")
        answer = _right(instance)

        def submit(body: dict[str, Any], key: str) -> Any:
            return quiz_service.answer_question(
                db_session, instance.id, body, user_id=user, idempotency_key=key, settings=settings, now=T0
            )

        first = submit(answer, "key-1")
        assert submit(answer, "key-1") == first
        with pytest.raises(Conflict):
            submit({"nope": 1}, "key-1")
        with pytest.raises(InvalidSubmission):
            submit({"nope": 1}, "key-2")
        generator = verifier.get(instance.generator_id)
        assert first.solution == quiz_service.solution_steps(generator, instance.inputs)
        assert first.grade == quiz_service.grade_read(
            quiz_service.grade_answer(generator, instance.inputs, answer), generator
        )
        assert quiz_service.grade_ahead(db_session, instance.id, answer, user_id=make_user()) is None


class TestReports:
    def test_a_report_keeps_the_reproduction_and_the_last_submission(
        self, db_session: Session, settings: Settings, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        instance = _question(db_session, user)
        before = reports.report_question(
            db_session, instance.id, ReportCreate(text="  The prompt is unclear.  "), user_id=user, now=T0
        )
        assert before.submission is None and before.attempt_number is None
        assert before.text == "The prompt is unclear."
        first = _right(instance)
        second = {**first, "fan_out": first["fan_out"] + 5}
        _answer(db_session, settings, user, instance.id, first)
        _answer(db_session, settings, user, instance.id, second)
        report = reports.report_question(
            db_session, instance.id, ReportCreate(text="My second answer was right."), user_id=user, now=T0
        )
        assert (report.generator_id, report.seed, report.inputs) == (HINTED, 1, instance.inputs)
        assert report.attempt_number == 2 and report.submission == second

    def test_listed_newest_first_with_a_generator_filter(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        made = []
        for minutes, generator_id in enumerate([HINTED, OTHER, HINTED]):
            instance = _question(db_session, user, generator_id)
            made.append(
                reports.report_question(
                    db_session,
                    instance.id,
                    ReportCreate(text=f"report {minutes}"),
                    user_id=user,
                    now=T0 + timedelta(minutes=minutes),
                ).id
            )
        listed = [item.id for item in reports.list_reports(db_session).items if item.id in made]
        assert listed == made[::-1]
        hinted = reports.list_reports(db_session, generator_id=HINTED).items
        assert {item.generator_id for item in hinted} == {HINTED}
        assert [item.id for item in hinted if item.id in made] == [made[2], made[0]]

    def test_someone_elses_question_is_not_found(
        self, db_session: Session, make_user: Callable[[], int]
    ) -> None:
        owner, other = make_user(), make_user()
        instance = _question(db_session, owner)
        with pytest.raises(NotFound):
            reports.report_question(
                db_session, instance.id, ReportCreate(text="not mine"), user_id=other, now=T0
            )
