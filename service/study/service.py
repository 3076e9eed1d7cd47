"""The study queue: which card comes next for a user, with its intervals and today's counts.

Order (Anki's, within one deck filter):

1. cards due now, learning or review, most overdue first (a range scan of ``(user_id, due)``);
2. new cards in deck and file order, while today's new-card limit lasts (``deck_progress`` says how
   many are left and where the next one is, so this is an index seek, not an anti-join over the
   collection); an interview plan raises the limit (:mod:`service.study.interview`);
3. with an interview date, review cards whose recall on the day is below the target, brought forward;
4. learning cards due within the learn-ahead limit (20 minutes by default), so a session can end
   without waiting for a last 10-minute step.

Counts are what is left until the study day ends: learning and review cards due before then, and new
cards up to the remaining limit (:func:`counts_left`, for the queue and for ``GET /study/counts``). When
nothing is due, ``next_due`` says when something will be: the next due card, or the next study day when
only the new-card limit stands in the way.

A numeric card (one with a generator) comes with a fresh question instance owned by the caller; its
review happens when that question is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

import verifier
from service.config import Settings
from service.content.service import card_read
from service.db.models import Card, CardState, QuestionInstance
from service.errors import NotFound
from service.interview import remediation
from service.quiz import service as quiz_service
from service.quiz.schemas import AttemptRead
from service.study import balance, days, interview, progress, repository, reviews, scheduler
from service.study import settings as study_settings
from service.study.queue_schemas import (
    AttemptAndNextRead,
    IntervalRead,
    IntervalsRead,
    QueueKind,
    ReviewAndNextRead,
    StudyNext,
)
from service.study.repository import SettingsRow
from service.study.scheduler import StudyState
from service.study.schemas import CountsRead, DeckCountsRead, ReviewCreate, ReviewRead, StudyCountsRead

LEARNING = (int(StudyState.LEARNING), int(StudyState.RELEARNING))

# (unit, seconds, label suffix) from largest to smallest, as Anki labels its buttons.
_UNITS = (
    (365 * 86_400, "y"),
    (30 * 86_400, "mo"),
    (86_400, "d"),
    (3_600, "h"),
    (60, "m"),
    (1, "s"),
)


def interval_label(seconds: float) -> str:
    """ "45s", "10m", "1.5h", "3d", "3.5mo", "1.2y": the largest unit that fits, one decimal at most."""
    seconds = max(0.0, seconds)
    for size, suffix in _UNITS:
        if seconds >= size or size == 1:
            value = seconds / size
            text = (
                f"{value:.0f}" if value >= 10 or suffix in {"s", "m"} else f"{value:.1f}".removesuffix(".0")
            )
            return f"{text}{suffix}"
    raise AssertionError("unreachable")


def _kind(state: int) -> QueueKind:
    return "review" if state == StudyState.REVIEW else "learning"


def _intervals(
    spec: scheduler.SchedulerSpec,
    row: CardState | None,
    *,
    user_id: int,
    card_key: int,
    now: datetime,
    balance: scheduler.Balance | None = None,
) -> IntervalsRead:
    before = reviews.snapshot_of(row)
    reviewed_at = max(now, before.last_review) if before.last_review is not None else now
    fuzz = scheduler.FuzzKey(user_id=user_id, card_key=card_key, number=(row.reps if row else 0) + 1)
    outcomes = scheduler.preview(spec, before, now=reviewed_at, fuzz=fuzz, balance=balance)

    def read(rating: scheduler.Rating) -> IntervalRead:
        due = outcomes[rating].due
        assert due is not None
        seconds = (due - now).total_seconds()
        return IntervalRead(due=due, seconds=round(seconds), label=interval_label(seconds))

    return IntervalsRead(
        again=read(scheduler.Rating.AGAIN),
        hard=read(scheduler.Rating.HARD),
        good=read(scheduler.Rating.GOOD),
        easy=read(scheduler.Rating.EASY),
    )


@dataclass(frozen=True, slots=True)
class _Today:
    """What today's counts start from: the study day, the new cards still allowed, the live decks."""

    day: days.StudyDay
    quota: int
    decks: list[progress.DeckCounts]


def _today(session: Session, settings_row: SettingsRow, *, now: datetime) -> _Today:
    day = days.today(now, tz=days.zone(settings_row.timezone), hour=settings_row.day_start_hour)
    introduced = repository.introduced_since(session, user_id=settings_row.user_id, since=day.start)
    decks = progress.deck_counts(session, settings_row)
    quota = interview.new_quota(
        session,
        settings_row,
        today=day,
        quota=max(0, settings_row.new_cards_per_day - introduced),
        introduced=introduced,
        unseen=sum(d.new for d in decks),
    )
    return _Today(day=day, quota=quota, decks=decks)


def counts_left(*, quota: int, unseen: int, due: Mapping[int, int]) -> CountsRead:
    """Cards left today: new ones while the day's limit lasts, learning and review ones due before the
    day ends (``due``: live cards due by then, by fsrs state value)."""
    return CountsRead(
        new=min(quota, unseen),
        learning=sum(due.get(state, 0) for state in LEARNING),
        review=due.get(int(StudyState.REVIEW), 0),
    )


def study_counts(session: Session, *, user_id: int, now: datetime) -> StudyCountsRead:
    """Today's counts of every live deck and of all of them: each deck's are what ``next_card`` with
    that deck reports, the total what it reports without one. Reads only (no question is created)."""
    settings_row, _spec = study_settings.load(session, user_id)
    today = _today(session, settings_row, now=now)
    due = repository.due_counts_by_deck(session, user_id=user_id, until=today.day.end)
    decks: list[DeckCountsRead] = []
    due_total: dict[int, int] = {}
    for deck_counts in today.decks:
        deck_due = due.get(deck_counts.deck.id, {})
        counts = counts_left(quota=today.quota, unseen=deck_counts.new, due=deck_due)
        decks.append(DeckCountsRead(deck=deck_counts.deck.id, **counts.model_dump()))
        for state, count in deck_due.items():
            due_total[state] = due_total.get(state, 0) + count
    unseen = sum(d.new for d in today.decks)
    return StudyCountsRead(decks=decks, total=counts_left(quota=today.quota, unseen=unseen, due=due_total))


def next_card(
    session: Session, *, user_id: int, deck: str | None, settings: Settings, now: datetime
) -> StudyNext:
    """The next card for this user (optionally within one deck), or none and when one will be due.

    Runs in a write transaction: a numeric card's fresh question instance is stored.
    """
    settings_row, spec = study_settings.load(session, user_id)
    today = _today(session, settings_row, now=now)
    decks = today.decks
    if deck is not None:
        decks = [d for d in decks if d.deck.id == deck]
        if not decks:
            raise NotFound(f"no deck with id '{deck}'")
    quota = today.quota
    unseen = sum(d.new for d in decks)
    due = repository.due_counts(session, user_id=user_id, until=today.day.end, deck=deck)
    counts = counts_left(quota=quota, unseen=unseen, due=due)

    card: Card | None = None
    row: CardState | None = None
    kind: QueueKind | None = None
    found = repository.first_due(session, user_id=user_id, until=now, deck=deck)
    if found is not None:
        card, row = found
        kind = _kind(row.state)
    elif counts.new > 0:
        for deck_counts in decks:
            if deck_counts.new > 0:
                card = repository.first_new_card(
                    session, user_id=user_id, deck_id=deck_counts.deck.id, from_position=deck_counts.new_from
                )
                if card is not None:
                    kind = "new"
                    break
    if card is None:
        # An interview plan's early review: an ordinary fsrs review of a card not due yet.
        found = interview.brought_forward(session, settings_row, spec, today=today.day, deck=deck)
        if found is not None:
            card, row = found
            kind = "review"
    if card is None:
        ahead = now + timedelta(minutes=settings.learn_ahead_minutes)
        found = repository.first_due(session, user_id=user_id, until=ahead, deck=deck, states=LEARNING)
        if found is not None:
            card, row = found
            kind = "learning"

    if card is None or kind is None:
        upcoming = repository.next_due(session, user_id=user_id, after=now, deck=deck)
        if quota == 0 and unseen > 0:
            upcoming = today.day.end if upcoming is None else min(upcoming, today.day.end)
        return StudyNext(
            card=None, kind=None, question=None, intervals=None, counts=counts, next_due=upcoming
        )

    question = None
    if card.generator is not None:
        instance = quiz_service.new_instance(
            session,
            card.generator,
            seed=None,
            now=now,
            user_id=user_id,
            calculator=settings_row.calculator,
            card_key=card.key,
        )
        question = quiz_service.question_read(instance, attempts=0)
    return StudyNext(
        card=card_read(card),
        kind=kind,
        question=question,
        intervals=_intervals(
            spec,
            row,
            user_id=user_id,
            card_key=card.key,
            now=now,
            balance=balance.live_balance(session, settings_row, now=now),
        ),
        counts=counts,
        next_due=None,
    )


# --- writes that answer with the next card (``?next=true``) ----------------------------------------
# One round trip from a rating to the next card instead of two. The next card is chosen in the same
# transaction, after the review is applied; the idempotency key covers the review alone, so a retry
# replays the review and gets the next card as it is then.


def submit_review(
    session: Session,
    *,
    user_id: int,
    body: ReviewCreate,
    idempotency_key: str | None,
    include_next: bool,
    deck: str | None,
    settings: Settings,
    now: datetime,
) -> ReviewRead | ReviewAndNextRead:
    """A self-rated review (:func:`reviews.submit_review`), with the next card when ``include_next``.

    An unknown ``deck`` is a NotFound, and then the review is not recorded either.
    """
    review = reviews.submit_review(
        session, user_id=user_id, body=body, idempotency_key=idempotency_key, settings=settings, now=now
    )
    if not include_next:
        return review
    upcoming = next_card(session, user_id=user_id, deck=deck, settings=settings, now=now)
    return ReviewAndNextRead(**dict(review), next=upcoming)


def answer_question(
    session: Session,
    question_id: str,
    answer: dict[str, Any],
    *,
    user_id: int,
    idempotency_key: str | None,
    include_next: bool,
    deck: str | None,
    settings: Settings,
    now: datetime,
) -> AttemptRead | AttemptAndNextRead:
    """A graded answer (:func:`quiz_service.answer_question`), with the next card when ``include_next``.

    A misconception named by the grade opens (or counts towards) a remediation, and an answer to a
    remediation drill resolves it (:func:`remediation.after_grade`).
    """

    def after_grade(instance: QuestionInstance, grade: verifier.Grade) -> None:
        remediation.after_grade(
            session,
            user_id=user_id,
            instance=instance,
            correct=grade.correct,
            misconception=grade.misconception,
            card_key=instance.card_key,
            now=now,
        )

    attempt = quiz_service.answer_question(
        session,
        question_id,
        answer,
        user_id=user_id,
        idempotency_key=idempotency_key,
        settings=settings,
        now=now,
        after_grade=after_grade,
    )
    if not include_next:
        return attempt
    upcoming = next_card(session, user_id=user_id, deck=deck, settings=settings, now=now)
    return AttemptAndNextRead(**dict(attempt), next=upcoming)
