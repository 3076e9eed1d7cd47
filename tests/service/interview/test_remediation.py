"""Remediation drills (both backends): opened when a misconception is named, cleared when answered
right, repeated the next day when named again, at most three rounds; listed for the study page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.db.models import Card, Remediation
from service.interview import remediation
from service.quiz import service as quiz_service
from service.study import service as study_service
from service.study import stats as study_stats
from tests.service.interview.helpers import misconception_answer, right_answer
from tests.service.study.conftest import NUMERIC_GENERATOR, T0

MISCONCEPTION = "bagging.one-over-n"


def _answer(
    session: Session,
    settings: Settings,
    user_id: int,
    question_id: str,
    answer: dict[str, object],
    *,
    at: timedelta,
    key: str | None = None,
) -> None:
    study_service.answer_question(
        session,
        question_id,
        answer,  # type: ignore[arg-type]
        user_id=user_id,
        idempotency_key=key,
        include_next=False,
        deck=None,
        settings=settings,
        now=T0 + at,
    )


def _name_it(
    session: Session, settings: Settings, user_id: int, *, at: timedelta, key: str | None = None
) -> None:
    """A free drill question answered with the misconception's answer."""
    question = quiz_service.create_question(session, NUMERIC_GENERATOR, user_id=user_id, seed=5, now=T0 + at)
    wrong = misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, question.inputs)
    _answer(session, settings, user_id, question.id, wrong, at=at, key=key)


def _only(session: Session, user_id: int) -> Remediation:
    rows = list(session.scalars(select(Remediation).where(Remediation.user_id == user_id)))
    assert len(rows) == 1
    return rows[0]


class TestOpen:
    def test_a_named_misconception_opens_a_drill_due_ten_minutes_later(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        _name_it(db_session, settings, user, at=timedelta(0))
        row = _only(db_session, user)
        assert (row.status, row.round, row.times_named, row.misconception) == ("open", 1, 1, MISCONCEPTION)
        assert row.due == T0 + remediation.FIRST_DELAY
        assert (
            row.card_key == content["a-num"].key
        )  # a free drill borrows the generator's card for its Detail

        early = remediation.list_open(db_session, user_id=user, now=T0 + timedelta(minutes=5)).items
        assert [item.is_due for item in early] == [False]
        (due,) = remediation.list_open(db_session, user_id=user, now=T0 + timedelta(minutes=11)).items
        assert due.is_due and due.card is not None and due.card.id == "a-num"
        assert due.misconception.feedback == next(
            m.feedback for m in verifier.get(NUMERIC_GENERATOR).misconceptions if m.id == MISCONCEPTION
        )
        # The drill's question tells the misconception apart: its answer there is graded as it.
        wrong = misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, due.question.inputs)
        grade = verifier.get(NUMERIC_GENERATOR).grade(due.question.inputs, wrong)
        assert grade.misconception == MISCONCEPTION and not grade.correct

    def test_the_drill_seed_is_deterministic(self) -> None:
        generator = verifier.get(NUMERIC_GENERATOR)
        seeds = {remediation.drill_seed(generator, MISCONCEPTION, user_id=7, round_=1) for _ in range(3)}
        assert len(seeds) == 1
        assert remediation.drill_seed(generator, MISCONCEPTION, user_id=7, round_=2) not in seeds

    def test_named_again_while_open_counts_and_a_replay_does_not(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        user = make_user()
        _name_it(db_session, settings, user, at=timedelta(0))
        question = quiz_service.create_question(db_session, NUMERIC_GENERATOR, user_id=user, seed=9, now=T0)
        wrong = misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, question.inputs)
        for _ in range(2):  # the retry with the same key replays the stored answer
            _answer(db_session, settings, user, question.id, wrong, at=timedelta(minutes=1), key="k1")
        row = _only(db_session, user)
        assert (row.times_named, row.round, row.status) == (2, 1, "open")


class TestResolve:
    def test_answered_right_it_is_cleared(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        user = make_user()
        _name_it(db_session, settings, user, at=timedelta(0))
        drill = _only(db_session, user)
        question = quiz_service.get_question(db_session, drill.question_id, user_id=user)
        _answer(
            db_session,
            settings,
            user,
            drill.question_id,
            right_answer(NUMERIC_GENERATOR, question.inputs),
            at=timedelta(minutes=12),
        )
        assert (drill.status, drill.resolved_at) == ("cleared", T0 + timedelta(minutes=12))
        assert remediation.list_open(db_session, user_id=user, now=T0 + timedelta(days=2)).items == []

    def test_named_again_it_repeats_the_next_day_at_most_three_rounds(
        self, db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        user = make_user()
        _name_it(db_session, settings, user, at=timedelta(0))
        drill = _only(db_session, user)
        questions = [drill.question_id]
        for round_, at in enumerate((timedelta(minutes=12), timedelta(days=1, hours=1)), start=2):
            inputs = quiz_service.get_question(db_session, drill.question_id, user_id=user).inputs
            _answer(
                db_session,
                settings,
                user,
                drill.question_id,
                misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, inputs),
                at=at,
            )
            assert (drill.status, drill.round) == ("open", round_)
            assert drill.question_id not in questions
            questions.append(drill.question_id)
            # The next study day starts at the default day-start hour (4:00 UTC for a UTC user).
            assert drill.due > T0 + at and drill.due.hour == 4 and drill.due - (T0 + at) < timedelta(days=1)
        inputs = quiz_service.get_question(db_session, drill.question_id, user_id=user).inputs
        _answer(
            db_session,
            settings,
            user,
            drill.question_id,
            misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, inputs),
            at=timedelta(days=2, hours=1),
        )
        assert (drill.status, drill.round, drill.times_named) == ("exhausted", 3, 4)
        assert remediation.list_open(db_session, user_id=user, now=T0 + timedelta(days=5)).items == []


@pytest.mark.parametrize("misconception", [m.id for m in verifier.get(NUMERIC_GENERATOR).misconceptions])
def test_every_misconception_gets_a_telling_drill_seed(misconception: str) -> None:
    generator = verifier.get(NUMERIC_GENERATOR)
    seed = remediation.drill_seed(generator, misconception, user_id=1, round_=1)
    inputs = generator.generate(seed).inputs_json()
    grade = generator.grade(inputs, misconception_answer(NUMERIC_GENERATOR, misconception, inputs))
    assert grade.misconception == misconception


def test_stats_count_named_cleared_open_and_the_persistent(
    db_session: Session, settings: Settings, content: dict[str, Card], make_user: Callable[[], int]
) -> None:
    del content
    user = make_user()
    _name_it(db_session, settings, user, at=timedelta(0))
    _name_it(db_session, settings, user, at=timedelta(minutes=1))
    other = "bagging.limit-for-finite-n"
    question = quiz_service.create_question(db_session, NUMERIC_GENERATOR, user_id=user, seed=4, now=T0)
    _answer(
        db_session,
        settings,
        user,
        question.id,
        misconception_answer(NUMERIC_GENERATOR, other, question.inputs),
        at=timedelta(minutes=2),
    )
    cleared = db_session.scalar(
        select(Remediation).where(Remediation.misconception == other, Remediation.user_id == user)
    )
    assert cleared is not None
    inputs = quiz_service.get_question(db_session, cleared.question_id, user_id=user).inputs
    _answer(
        db_session,
        settings,
        user,
        cleared.question_id,
        right_answer(NUMERIC_GENERATOR, inputs),
        at=timedelta(minutes=13),
    )

    stats = study_stats.get_stats(db_session, user_id=user, days_back=7, now=T0 + timedelta(minutes=14))
    assert (stats.remediation.named, stats.remediation.cleared, stats.remediation.open) == (2, 1, 1)
    (persistent,) = stats.remediation.persistent
    assert (persistent.id, persistent.times_named, persistent.status) == (MISCONCEPTION, 2, "open")
    assert persistent.feedback
