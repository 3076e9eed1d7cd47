"""Misconception remediation: chase a misconception the verifier named with drills until it is gone.

When a numeric answer (study, drill, mock interview or a remediation drill itself) names a
misconception, the user gets one open remediation for that (generator, misconception): a fresh
question of the same generator, due :data:`FIRST_DELAY` later, with a seed chosen so that grading the
misconception's own answer names it (so its answer is far from the right one on that question).
Answered right, the remediation is cleared. Answered wrong, the drill repeats at the start of the next
study day, for at most :data:`MAX_ROUNDS` rounds in all; wrong after the last one, it stays unresolved
(``exhausted``). A misconception named again while its remediation is open only counts
(``times_named``), which is what the stats call persistence.

Drills are plain question instances without a card, so answering one never reviews a card; they are
answered through ``POST /questions/{id}/answers`` and listed by ``GET /remediations``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import verifier
from service.content.service import card_read
from service.db.models import Card, QuestionInstance, Remediation
from service.interview.schemas import MisconceptionRead, RemediationRead, RemediationsPage, RemediationStatus
from service.quiz import repository as quiz_repository
from service.quiz import service as quiz_service
from service.study import days
from service.study import settings as study_settings
from service.study.schemas import PersistentMisconceptionRead, RemediationStatsRead

log = logging.getLogger(__name__)

FIRST_DELAY = timedelta(minutes=10)
MAX_ROUNDS = 3
# Seeds tried for a drill where the misconception shows; generation already keeps answers apart, so
# the first one nearly always does.
SEED_TRIES = 16
OPEN: RemediationStatus = "open"
CLEARED: RemediationStatus = "cleared"
EXHAUSTED: RemediationStatus = "exhausted"
STATUSES: dict[str, RemediationStatus] = {OPEN: OPEN, CLEARED: CLEARED, EXHAUSTED: EXHAUSTED}


def _candidate_seed(*, user_id: int, generator_id: str, misconception: str, round_: int, attempt: int) -> int:
    text = f"{user_id}:{generator_id}:{misconception}:{round_}:{attempt}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % quiz_service.MAX_SEED


def _shows(generator: verifier.Generator, misconception: str, seed: int) -> bool:
    """Whether the misconception's own answer on this seed's question is graded as that misconception."""
    wrong = next((m for m in generator.misconceptions if m.id == misconception), None)
    if wrong is None:
        return False
    try:
        inputs = generator.generate(seed).inputs_json()
        grade = generator.grade(inputs, verifier.to_jsonable(wrong.answer(inputs)))
    # A wrong computation that is undefined on these inputs fails somewhere in here: not this seed.
    except (
        verifier.AnswerFormatError,
        verifier.GenerationError,
        ValueError,
        ArithmeticError,
        LookupError,
        TypeError,
    ):
        return False
    return not grade.correct and grade.misconception == misconception


def drill_seed(generator: verifier.Generator, misconception: str, *, user_id: int, round_: int) -> int:
    """A deterministic seed for a drill (same user, misconception and round: same seed) on which the
    misconception's answer is told apart from the right one; the first candidate if none is."""
    candidates = [
        _candidate_seed(
            user_id=user_id, generator_id=generator.id, misconception=misconception, round_=round_, attempt=i
        )
        for i in range(SEED_TRIES)
    ]
    return next((seed for seed in candidates if _shows(generator, misconception, seed)), candidates[0])


def _new_drill(
    session: Session, *, user_id: int, generator_id: str, misconception: str, round_: int, now: datetime
) -> QuestionInstance:
    generator = verifier.get(generator_id)
    seed = drill_seed(generator, misconception, user_id=user_id, round_=round_)
    # Calculator mode: drill_seed probed the seed in it, so the drill shows the misconception.
    return quiz_service.new_instance(
        session, generator_id, seed=seed, now=now, user_id=user_id, calculator=True
    )


def _next_day(session: Session, *, user_id: int, now: datetime) -> datetime:
    settings_row, _spec = study_settings.load(session, user_id)
    return days.today(now, tz=days.zone(settings_row.timezone), hour=settings_row.day_start_hour).end


def _card_for(session: Session, generator_id: str, card_key: int | None) -> int | None:
    """The card a remediation shows (for its Detail): the one answered, else the first live card of
    the generator (a free drill has none)."""
    if card_key is not None:
        return card_key
    return session.scalar(
        select(Card.key)
        .where(Card.generator == generator_id, Card.archived.is_(False))
        .order_by(Card.deck_id, Card.position)
        .limit(1)
    )


def after_grade(
    session: Session,
    *,
    user_id: int,
    instance: QuestionInstance,
    correct: bool,
    misconception: str | None,
    card_key: int | None,
    now: datetime,
) -> None:
    """Update remediations after a graded numeric answer to ``instance`` (the caller holds the user's
    study lock and runs this once per graded attempt)."""
    drilled = session.scalar(
        select(Remediation).where(
            Remediation.user_id == user_id, Remediation.question_id == instance.id, Remediation.status == OPEN
        )
    )
    if drilled is not None:
        _resolve(session, drilled, correct=correct, misconception=misconception, now=now)
        if misconception == drilled.misconception:
            return
    if misconception is None:
        return
    existing = session.scalar(
        select(Remediation).where(
            Remediation.user_id == user_id,
            Remediation.generator_id == instance.generator_id,
            Remediation.misconception == misconception,
            Remediation.status == OPEN,
        )
    )
    if existing is not None:
        existing.times_named += 1
        session.flush()
        return
    drill = _new_drill(
        session,
        user_id=user_id,
        generator_id=instance.generator_id,
        misconception=misconception,
        round_=1,
        now=now,
    )
    session.add(
        Remediation(
            user_id=user_id,
            generator_id=instance.generator_id,
            misconception=misconception,
            card_key=_card_for(session, instance.generator_id, card_key),
            question_id=drill.id,
            round=1,
            times_named=1,
            status=OPEN,
            due=now + FIRST_DELAY,
            created_at=now,
        )
    )
    session.flush()


def _resolve(
    session: Session, remediation: Remediation, *, correct: bool, misconception: str | None, now: datetime
) -> None:
    if correct:
        remediation.status, remediation.resolved_at = CLEARED, now
    else:
        if misconception == remediation.misconception:
            remediation.times_named += 1
        if remediation.round >= MAX_ROUNDS:
            remediation.status, remediation.resolved_at = EXHAUSTED, now
        else:
            remediation.round += 1
            drill = _new_drill(
                session,
                user_id=remediation.user_id,
                generator_id=remediation.generator_id,
                misconception=remediation.misconception,
                round_=remediation.round,
                now=now,
            )
            remediation.question_id = drill.id
            remediation.due = _next_day(session, user_id=remediation.user_id, now=now)
    session.flush()


def feedback_of(generator_id: str, misconception: str) -> str:
    """The verifier's one-sentence feedback for a misconception ('' when the generator is gone)."""
    try:
        generator = verifier.get(generator_id)
    except verifier.UnknownGeneratorError:
        return ""
    return next((m.feedback for m in generator.misconceptions if m.id == misconception), "")


def remediation_read(session: Session, remediation: Remediation, *, now: datetime) -> RemediationRead:
    instance = quiz_repository.get_instance(session, remediation.question_id)
    assert instance is not None  # the foreign key keeps it
    card = session.get(Card, remediation.card_key) if remediation.card_key is not None else None
    return RemediationRead(
        id=remediation.id,
        generator=remediation.generator_id,
        misconception=MisconceptionRead(
            id=remediation.misconception,
            feedback=feedback_of(remediation.generator_id, remediation.misconception),
        ),
        round=remediation.round,
        times_named=remediation.times_named,
        status=STATUSES[remediation.status],
        due=remediation.due,
        is_due=remediation.due <= now,
        card=card_read(card) if card is not None and not card.archived else None,
        question=quiz_service.question_read(
            instance, attempts=quiz_repository.count_attempts(session, instance.id)
        ),
    )


def list_open(session: Session, *, user_id: int, now: datetime) -> RemediationsPage:
    """The caller's open remediations, soonest due first: the study page drills the due ones before
    its next card."""
    rows = session.scalars(
        select(Remediation)
        .where(Remediation.user_id == user_id, Remediation.status == OPEN)
        .order_by(Remediation.due, Remediation.id)
    )
    return RemediationsPage(items=[remediation_read(session, row, now=now) for row in rows])


TOP_PERSISTENT = 5


def remediation_stats(session: Session, *, user_id: int) -> RemediationStatsRead:
    """How many misconceptions were named, cleared and are still open, with the most persistent."""
    counts = dict(
        session.execute(
            select(Remediation.status, func.count())
            .where(Remediation.user_id == user_id)
            .group_by(Remediation.status)
        ).all()
    )
    rows = session.scalars(
        select(Remediation)
        .where(Remediation.user_id == user_id, Remediation.times_named > 1)
        .order_by(
            Remediation.times_named.desc(),
            Remediation.round.desc(),
            Remediation.misconception,
            Remediation.id,
        )
        .limit(TOP_PERSISTENT)
    )
    return RemediationStatsRead(
        named=sum(counts.values()),
        cleared=counts.get(CLEARED, 0),
        open=counts.get(OPEN, 0) + counts.get(EXHAUSTED, 0),
        persistent=[
            PersistentMisconceptionRead(
                generator=row.generator_id,
                id=row.misconception,
                feedback=feedback_of(row.generator_id, row.misconception),
                times_named=row.times_named,
                round=row.round,
                status=STATUSES[row.status],
            )
            for row in rows
        ],
    )
