"""Mock interviews in the service (both backends): a deterministic weighted draw, answers in order,
server-side deadline, misses fed back as ordinary reviews, and the end report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Card, Remediation, ReviewLog
from service.errors import Conflict, InvalidSubmission, NotFound
from service.interview import mock, selection
from service.interview.schemas import MockAnswerCreate, MockInterviewCreate, MockInterviewRead
from service.study import settings as study_settings
from tests.service.interview.helpers import misconception_answer
from tests.service.study.conftest import NUMERIC_GENERATOR, T0
from tests.service.study.test_reviews import assert_matches_replay

MISCONCEPTION = "bagging.one-over-n"


def _start(session: Session, user: int, *, length: int = 4, seed: int = 11) -> MockInterviewRead:
    body = MockInterviewCreate(length=length, seconds_per_question=60, seed=seed)
    return mock.start(session, body, user_id=user, now=T0)


class TestStart:
    def test_same_seed_same_history_same_questions(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        first, second = _start(db_session, make_user()), _start(db_session, make_user())
        assert [q.card.id for q in first.questions] == [q.card.id for q in second.questions]
        assert len({q.card.id for q in first.questions}) == 4
        assert first.status == "running" and first.report is None
        assert first.deadline == T0 + timedelta(seconds=4 * 60) + mock.GRACE

    def test_mixed_set_with_key_points_or_sentences(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        interview = _start(db_session, make_user())
        kinds = {q.kind for q in interview.questions}
        assert kinds == {"conceptual", "numeric"}
        for question in interview.questions:
            if question.kind == "numeric":
                assert question.question is not None and question.question.generator.id == NUMERIC_GENERATOR
                assert question.key_points == []
            else:
                assert question.question is None
                # The test cards have no list: their answer's two sentences are the key points.
                assert question.key_points == ["A card written by the test suite.", "It has two sentences."]

    def test_weak_cards_weigh_more(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        interview = _start(db_session, user, length=2)
        conceptual = next(q for q in interview.questions if q.kind == "conceptual")
        mock.answer(
            db_session, interview.id, MockAnswerCreate(position=0, skipped=True), user_id=user, now=T0
        )
        mock.answer(
            db_session, interview.id, MockAnswerCreate(position=1, skipped=True), user_id=user, now=T0
        )
        _row, spec = study_settings.load(db_session, user)
        cards = list(content.values())
        weights = selection.weights(db_session, cards, user_id=user, spec=spec, now=T0 + timedelta(minutes=1))
        lapsed = content[conceptual.card.id].key
        assert weights[lapsed] > max(
            w for key, w in weights.items() if key not in {lapsed, content["a-num"].key}
        )

    def test_a_deck_with_fewer_cards_gives_a_shorter_interview(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        interview = _start(db_session, make_user(), length=30)
        assert interview.length == len(content) == len(interview.questions)


class TestAnswer:
    def test_end_to_end_report_and_reviews(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        user = make_user()
        interview = _start(db_session, user)
        at = T0
        for question in interview.questions:
            at += timedelta(seconds=30)
            if question.kind == "numeric":
                assert question.question is not None
                wrong = misconception_answer(NUMERIC_GENERATOR, MISCONCEPTION, question.question.inputs)
                body = MockAnswerCreate(position=question.position, answer=wrong)  # type: ignore[arg-type]
            elif question.position == 0:
                body = MockAnswerCreate(position=0, covered=[0, 1])
            else:
                body = MockAnswerCreate(position=question.position, covered=[])
            result = mock.answer(db_session, interview.id, body, user_id=user, now=at).result
            assert result is not None and result.seconds == 30
        done = mock.get(db_session, interview.id, user_id=user, now=at)
        assert done.status == "finished" and done.finished_at == at and done.report is not None
        report = done.report
        assert report.seconds_per_question == [30.0] * 4 and report.answered == 4
        assert sum(t.questions for t in report.topics) == 4
        (named,) = report.misconceptions
        assert (named.id, named.generator) == (MISCONCEPTION, NUMERIC_GENERATOR) and named.feedback
        # Every miss but the first (fully covered) question became a review of its card: Again for a
        # conceptual one, Hard for the numeric misconception (a later field is right given the wrong
        # first one, error carried forward: partial credit, reviews.rating_for_grade).
        missed = {q.card.id for q in interview.questions if q.position != 0 or q.kind == "numeric"}
        assert {r.card_id for r in report.reviews} == missed
        assert {r.card_id: r.rating for r in report.reviews} == {
            card_id: 2 if card_id == "a-num" else 1 for card_id in missed
        }
        numeric = next(q for q in done.questions if q.kind == "numeric")
        assert numeric.result is not None and numeric.result.grade is not None and numeric.result.solution
        for card_id in missed:
            assert_matches_replay(db_session, user, content[card_id])
        logs = list(db_session.scalars(select(ReviewLog).where(ReviewLog.user_id == user)))
        assert {log.source for log in logs} == {"self", "numeric"}
        remediation = db_session.scalar(select(Remediation).where(Remediation.user_id == user))
        assert remediation is not None and remediation.card_key == content["a-num"].key

    def test_out_of_order_wrong_shape_finished_and_timed_out_are_refused(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        user = make_user()
        interview = _start(db_session, user)
        with pytest.raises(Conflict, match="question 0 is next"):
            mock.answer(
                db_session, interview.id, MockAnswerCreate(position=1, skipped=True), user_id=user, now=T0
            )
        first = interview.questions[0]
        wrong_shape = (
            MockAnswerCreate(position=0, covered=[0])
            if first.kind == "numeric"
            else MockAnswerCreate(position=0, covered=[5])
        )
        with pytest.raises(InvalidSubmission):
            mock.answer(db_session, interview.id, wrong_shape, user_id=user, now=T0)
        late = interview.deadline + timedelta(seconds=1)
        with pytest.raises(Conflict, match="over"):
            mock.answer(
                db_session, interview.id, MockAnswerCreate(position=0, skipped=True), user_id=user, now=late
            )
        timed_out = mock.get(db_session, interview.id, user_id=user, now=late)
        assert timed_out.finished_at == interview.deadline and timed_out.report is not None
        assert timed_out.report.answered == 0 and timed_out.report.score == 0

        other = _start(db_session, user, seed=3)
        finished = mock.finish(db_session, other.id, user_id=user, now=T0 + timedelta(seconds=5))
        assert finished.status == "finished" and finished.report is not None
        with pytest.raises(Conflict):
            mock.answer(
                db_session,
                other.id,
                MockAnswerCreate(position=0, skipped=True),
                user_id=user,
                now=T0 + timedelta(seconds=6),
            )

    def test_another_users_interview_is_not_found(
        self, db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
    ) -> None:
        del content
        owner, stranger = make_user(), make_user()
        interview = _start(db_session, owner)
        with pytest.raises(NotFound):
            mock.get(db_session, interview.id, user_id=stranger, now=T0)
        with pytest.raises(NotFound):
            mock.answer(
                db_session, interview.id, MockAnswerCreate(position=0, skipped=True), user_id=stranger, now=T0
            )


def test_a_retry_with_the_same_key_gets_the_first_answer_back(
    db_session: Session, content: dict[str, Card], make_user: Callable[[], int]
) -> None:
    del content
    user = make_user()
    interview = _start(db_session, user)
    body = MockAnswerCreate(position=0, skipped=True)
    first = mock.answer(db_session, interview.id, body, user_id=user, now=T0, idempotency_key="k")
    again = mock.answer(
        db_session, interview.id, body, user_id=user, now=T0 + timedelta(seconds=2), idempotency_key="k"
    )
    assert again == first and first.result is not None and first.result.review_rating == 1
    with pytest.raises(Conflict):  # without the key, an answered question is not answered twice
        mock.answer(db_session, interview.id, body, user_id=user, now=T0 + timedelta(seconds=3))
    logs = db_session.scalars(select(ReviewLog).where(ReviewLog.user_id == user)).all()
    assert len(logs) == 1
