"""Mock interviews: a timed, mixed set of questions, self-assessed or graded, ending in a report.

The question set is drawn when the interview starts (:mod:`service.interview.selection`) and stored.
Questions are answered in order, so each one's time is the time since the previous answer (or the
start). The server's clock rules: an answer after ``deadline`` (every question's time plus
:data:`GRACE`) or after the interview was finished is a Conflict (409), and the interview counts as
finished at its deadline.

Scoring: a conceptual question scores the share of its key points the candidate ticked (a card
without a ``### Key points`` list uses its answer's sentences), and is a miss below
:data:`CONCEPTUAL_PASS`; a numeric question is graded by the verifier and is a miss when not correct.
Each miss is fed back into the review queue through the ordinary review path
(:func:`reviews.record_review`, so replay and undo hold): Again for a conceptual miss or a skipped
question, the derived rating (:func:`reviews.rating_for_grade`) for a numeric one. A misconception
named on a numeric answer opens a remediation (:func:`remediation.after_grade`).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import verifier
from service.content.service import card_read
from service.db.models import Attempt, Card, MockInterview, MockInterviewItem, QuestionInstance, ReviewLog
from service.db.session import begin_write
from service.errors import Conflict, InvalidSubmission, NotFound
from service.interview import remediation, selection
from service.interview.schemas import (
    FedBackReviewRead,
    MockAnswerCreate,
    MockInterviewCreate,
    MockInterviewRead,
    MockQuestionRead,
    MockReportRead,
    MockResultRead,
    NamedMisconceptionRead,
    TopicScoreRead,
)
from service.quiz import repository as quiz_repository
from service.quiz import service as quiz_service
from service.quiz.schemas import FieldResultRead, GradeRead, StepRead
from service.study import idempotency, reviews
from service.study import repository as study_repository
from service.study import settings as study_settings
from service.study.scheduler import Rating

GRACE = timedelta(seconds=60)
CONCEPTUAL_PASS = 0.5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$(\"'])")


def answer_sentences(markdown: str) -> list[str]:
    """The key points of a card without a list: its answer's sentences (code and display math kept whole)."""
    text = " ".join(markdown.split())
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def key_points_of(card: Card) -> list[str]:
    return list(card.key_points) if card.key_points else answer_sentences(card.back_md)


def start(session: Session, body: MockInterviewCreate, *, user_id: int, now: datetime) -> MockInterviewRead:
    """Draw and store a new mock interview for the caller; the clock starts now."""
    settings_row, spec = study_settings.load(session, user_id)
    seed = secrets.randbelow(quiz_service.MAX_SEED) if body.seed is None else body.seed
    picks = selection.draw(session, user_id=user_id, length=body.length, seed=seed, spec=spec, now=now)
    if not picks:
        raise NotFound("no cards to draw a mock interview from")
    begin_write(session)  # the draw read; the interview and its questions are written together
    interview = MockInterview(
        id=secrets.token_hex(16),
        user_id=user_id,
        seed=seed,
        length=len(picks),
        seconds_per_question=body.seconds_per_question,
        started_at=now,
        deadline=now + len(picks) * timedelta(seconds=body.seconds_per_question) + GRACE,
        finished_at=None,
    )
    session.add(interview)
    session.flush()
    for position, pick in enumerate(picks):
        question_id = None
        if pick.card.generator is not None:
            instance = quiz_service.new_instance(
                session,
                pick.card.generator,
                seed=pick.numeric_seed,
                now=now,
                user_id=user_id,
                calculator=settings_row.calculator,  # the caller's mode, as in the study queue
            )
            question_id = instance.id
        session.add(
            MockInterviewItem(
                interview_id=interview.id,
                position=position,
                card_key=pick.card.key,
                kind="numeric" if question_id else "conceptual",
                question_id=question_id,
                key_points=[] if question_id else key_points_of(pick.card),
            )
        )
    session.flush()
    return _read(session, interview, finished_at=interview.finished_at)


def _own(session: Session, interview_id: str, *, user_id: int) -> MockInterview:
    interview = session.get(MockInterview, interview_id)
    if interview is None or interview.user_id != user_id:
        raise NotFound(f"no mock interview with id '{interview_id}'")
    return interview


def _items(session: Session, interview_id: str) -> list[MockInterviewItem]:
    return list(
        session.scalars(
            select(MockInterviewItem)
            .where(MockInterviewItem.interview_id == interview_id)
            .order_by(MockInterviewItem.position)
        )
    )


def _effective_end(interview: MockInterview, *, now: datetime) -> datetime | None:
    if interview.finished_at is None and now > interview.deadline:
        return interview.deadline
    return interview.finished_at


def _close_if_timed_out(interview: MockInterview, *, now: datetime) -> None:
    interview.finished_at = _effective_end(interview, now=now)


def get(session: Session, interview_id: str, *, user_id: int, now: datetime) -> MockInterviewRead:
    """One of the caller's mock interviews, with the report once it is finished (reads only: past its
    deadline it is shown as finished at the deadline)."""
    interview = _own(session, interview_id, user_id=user_id)
    return _read(session, interview, finished_at=_effective_end(interview, now=now))


def finish(session: Session, interview_id: str, *, user_id: int, now: datetime) -> MockInterviewRead:
    """End the interview now (a no-op when it already ended); unanswered questions score 0."""
    begin_write(session)
    interview = _own(session, interview_id, user_id=user_id)
    _close_if_timed_out(interview, now=now)
    if interview.finished_at is None:
        interview.finished_at = now
    session.flush()
    return _read(session, interview, finished_at=interview.finished_at)


def answer(
    session: Session,
    interview_id: str,
    body: MockAnswerCreate,
    *,
    user_id: int,
    now: datetime,
    idempotency_key: str | None = None,
    key_ttl: timedelta = timedelta(hours=24),
) -> MockQuestionRead:
    """Record the answer to the next question; 409 once the interview is over or for another position.

    Runs under the user's study lock (a miss writes a review); a retry with the same
    ``Idempotency-Key`` gets the first response back instead of a 409 for an answered question.
    """
    study_repository.lock_user(session, user_id)
    return idempotency.run_once(
        session,
        user_id=user_id,
        key=idempotency_key,
        fingerprint=idempotency.request_hash(
            f"POST /mock-interviews/{interview_id}/answers", body.model_dump(mode="json")
        ),
        status_code=200,
        model=MockQuestionRead,
        now=now,
        ttl=key_ttl,
        action=lambda: _answer_once(session, interview_id, body, user_id=user_id, now=now),
    )


def _answer_once(
    session: Session, interview_id: str, body: MockAnswerCreate, *, user_id: int, now: datetime
) -> MockQuestionRead:
    interview = _own(session, interview_id, user_id=user_id)
    if _effective_end(interview, now=now) is not None:
        raise Conflict("this mock interview is over: it no longer takes answers")
    items = _items(session, interview.id)
    pending = [item for item in items if item.answered_at is None]
    if not pending or pending[0].position != body.position:
        expected = f"question {pending[0].position} is next" if pending else "every question is answered"
        raise Conflict(f"question {body.position} cannot be answered now: {expected}")
    item = pending[0]
    answered = [i.answered_at for i in items if i.answered_at is not None]
    since = max(answered) if answered else interview.started_at
    card = session.get(Card, item.card_key)
    assert card is not None
    rating: Rating | None
    grade: reviews.GradeInfo | None = None
    if body.skipped:
        item.score, item.correct, item.skipped, rating = 0.0, False, True, Rating.AGAIN
    elif item.kind == "conceptual":
        rating = _grade_conceptual(item, body)
    else:
        rating, grade = _grade_numeric(session, item, body, user_id=user_id, now=now)
    item.answered_at = now
    item.seconds = max(0.0, (now - since).total_seconds())
    if rating is not None and not card.archived:
        log = reviews.record_review(session, user_id=user_id, card=card, rating=rating, now=now, grade=grade)
        item.review_id = log.id
    if len(pending) == 1:
        interview.finished_at = now
    session.flush()
    return _question_read(
        session, item, card, ratings={item.review_id: int(rating)} if item.review_id and rating else {}
    )


def _grade_conceptual(item: MockInterviewItem, body: MockAnswerCreate) -> Rating | None:
    if body.answer is not None or body.covered is None:
        raise InvalidSubmission("a conceptual question is answered with 'covered' (the key points ticked)")
    covered = sorted(set(body.covered))
    if any(index >= len(item.key_points) for index in covered):
        raise InvalidSubmission(f"'covered' holds an index beyond the {len(item.key_points)} key points")
    item.covered = covered
    item.score = len(covered) / len(item.key_points) if item.key_points else 0.0
    item.correct = item.score >= CONCEPTUAL_PASS
    return None if item.correct else Rating.AGAIN


def _grade_numeric(
    session: Session, item: MockInterviewItem, body: MockAnswerCreate, *, user_id: int, now: datetime
) -> tuple[Rating | None, reviews.GradeInfo]:
    if body.answer is None or body.covered is not None:
        raise InvalidSubmission("a numeric question is answered with 'answer' (its answer fields)")
    assert item.question_id is not None
    instance = quiz_repository.get_instance(session, item.question_id)
    assert instance is not None
    if quiz_repository.count_attempts(session, instance.id):
        raise Conflict("this question was already answered outside the mock interview")
    attempt, grade = quiz_service.record_attempt(session, instance, body.answer, now=now)
    item.score, item.correct, item.misconception = attempt.score, attempt.correct, attempt.misconception
    remediation.after_grade(
        session,
        user_id=user_id,
        instance=instance,
        correct=grade.correct,
        misconception=grade.misconception,
        card_key=item.card_key,
        now=now,
    )
    info = reviews.GradeInfo(
        question_id=instance.id, score=grade.score, correct=grade.correct, misconception=grade.misconception
    )
    return (None if grade.correct else reviews.rating_for_grade(correct=False, score=grade.score)), info


def _numeric_result(session: Session, instance: QuestionInstance) -> tuple[GradeRead, list[StepRead]] | None:
    """The stored grade of the mock's answer (its instance's first attempt) and the worked solution."""
    attempt = session.scalar(
        select(Attempt).where(Attempt.instance_id == instance.id).order_by(Attempt.number).limit(1)
    )
    if attempt is None:
        return None
    grade = GradeRead(
        correct=attempt.correct,
        score=attempt.score,
        fields={name: FieldResultRead(**value) for name, value in attempt.fields.items()},
        misconception=attempt.misconception,
        feedback=attempt.feedback,
    )
    return grade, quiz_service.solution_steps(verifier.get(instance.generator_id), instance.inputs)


def _question_read(
    session: Session, item: MockInterviewItem, card: Card, *, ratings: dict[int, int]
) -> MockQuestionRead:
    question = None
    numeric = None
    if item.question_id is not None:
        instance = quiz_repository.get_instance(session, item.question_id)
        assert instance is not None
        question = quiz_service.question_read(
            instance, attempts=quiz_repository.count_attempts(session, instance.id)
        )
        if item.answered_at is not None and not item.skipped:
            numeric = _numeric_result(session, instance)
    result = None
    if item.answered_at is not None:
        assert item.seconds is not None and item.score is not None and item.correct is not None
        result = MockResultRead(
            answered_at=item.answered_at,
            seconds=item.seconds,
            score=item.score,
            correct=item.correct,
            skipped=item.skipped,
            covered=item.covered,
            grade=numeric[0] if numeric else None,
            solution=numeric[1] if numeric else None,
            misconception=item.misconception,
            review_rating=ratings.get(item.review_id) if item.review_id is not None else None,
        )
    return MockQuestionRead(
        position=item.position,
        kind="numeric" if item.kind == "numeric" else "conceptual",
        topic=card.deck_id,
        card=card_read(card),
        key_points=item.key_points,
        question=question,
        result=result,
    )


def _ratings(session: Session, items: list[MockInterviewItem]) -> dict[int, int]:
    ids = [item.review_id for item in items if item.review_id is not None]
    if not ids:
        return {}
    return dict(session.execute(select(ReviewLog.id, ReviewLog.rating).where(ReviewLog.id.in_(ids))).all())


def _report(
    items: list[MockInterviewItem],
    cards: dict[int, Card],
    generators: dict[str, str],
    ratings: dict[int, int],
) -> MockReportRead:
    topics: dict[str, list[MockInterviewItem]] = {}
    for item in items:
        topics.setdefault(cards[item.card_key].deck_id, []).append(item)
    answered = [item for item in items if item.answered_at is not None]
    return MockReportRead(
        score=sum(item.score or 0.0 for item in items) / len(items),
        answered=len(answered),
        topics=[
            TopicScoreRead(
                topic=topic,
                questions=len(group),
                answered=sum(1 for item in group if item.answered_at is not None),
                score=sum(item.score or 0.0 for item in group) / len(group),
            )
            for topic, group in sorted(topics.items())
        ],
        seconds_per_question=[item.seconds for item in items],
        misconceptions=[
            NamedMisconceptionRead(
                position=item.position,
                generator=generators[item.question_id],
                id=item.misconception,
                feedback=remediation.feedback_of(generators[item.question_id], item.misconception),
            )
            for item in items
            if item.misconception is not None and item.question_id is not None
        ],
        reviews=[
            FedBackReviewRead(
                position=item.position, card_id=cards[item.card_key].id, rating=ratings[item.review_id]
            )
            for item in items
            if item.review_id is not None and item.review_id in ratings
        ],
    )


def _read(session: Session, interview: MockInterview, *, finished_at: datetime | None) -> MockInterviewRead:
    items = _items(session, interview.id)
    cards = {
        card.key: card
        for card in session.scalars(select(Card).where(Card.key.in_({i.card_key for i in items})))
    }
    ratings = _ratings(session, items)
    question_ids = [item.question_id for item in items if item.question_id is not None]
    generators = dict(
        session.execute(
            select(QuestionInstance.id, QuestionInstance.generator_id).where(
                QuestionInstance.id.in_(question_ids)
            )
        ).all()
    )
    finished = finished_at is not None
    return MockInterviewRead(
        id=interview.id,
        seed=interview.seed,
        length=interview.length,
        seconds_per_question=interview.seconds_per_question,
        started_at=interview.started_at,
        deadline=interview.deadline,
        finished_at=finished_at,
        status="finished" if finished else "running",
        questions=[_question_read(session, item, cards[item.card_key], ratings=ratings) for item in items],
        report=_report(items, cards, generators, ratings) if finished else None,
    )
