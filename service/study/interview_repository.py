"""SQL for the interview plan: fsrs's predicted recall at one instant, evaluated by the database.

Retrievability is fsrs's curve ``(1 + factor * t / S) ** decay`` (:class:`scheduler.RecallCurve`) with
``t`` the whole days from the last review to the instant, as fsrs counts them. Both backends have
``pow``; only the day count is spelled per dialect (``julianday`` on SQLite, ``epoch`` seconds on
PostgreSQL). A readiness report is one grouped pass over the user's states; nothing is loaded row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from service.db.models import Card, CardState, ReviewLog
from service.db.types import UTCDateTime
from service.study import scheduler
from service.study.repository import REVIEW_STATE

# SQLite's julianday difference carries float error; this nudges an exact whole day up to it.
_DAY_EPSILON = 1e-7
_UNIX_EPOCH_JULIAN_DAY = 2_440_587.5


def _elapsed_days(session: Session, at: datetime) -> ColumnElement[float]:
    """Whole days from each state's last review to ``at`` (0 when the review is later), as SQL."""
    days: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", literal(at, UTCDateTime()) - CardState.last_review)
        days = func.floor(seconds / 86_400)
    else:
        # ``at`` as a Julian day number computed once here, not parsed again for every row.
        at_julian = literal(at.timestamp() / 86_400 + _UNIX_EPOCH_JULIAN_DAY, Float)
        days = cast(at_julian - func.julianday(CardState.last_review) + _DAY_EPSILON, Integer)
    return case((days < 0, 0), else_=days)


def _recall(session: Session, at: datetime, curve: scheduler.RecallCurve) -> ColumnElement[float]:
    """fsrs's retrievability of each state at ``at``."""
    elapsed = _elapsed_days(session, at)
    base = 1.0 + cast(literal(curve.factor), Float) * elapsed / CardState.stability
    return func.pow(base, cast(literal(curve.decay), Float))


@dataclass(frozen=True, slots=True)
class DeckRecall:
    """One deck's seen cards for one user: how many, their summed recall, and how many are below target."""

    seen: int
    recall_sum: float
    at_risk: int


def recall_by_deck(
    session: Session, *, user_id: int, at: datetime, curve: scheduler.RecallCurve, target: float
) -> dict[str, DeckRecall]:
    """Per live deck, the user's cards with a state: count, sum of recall at ``at``, count below ``target``."""
    rows = (
        select(Card.deck_id.label("deck_id"), _recall(session, at, curve).label("recall"))
        .join(Card, Card.key == CardState.card_key)
        .where(CardState.user_id == user_id, Card.archived.is_(False))
        .subquery()
    )
    result = session.execute(
        select(
            rows.c.deck_id,
            func.count(),
            func.sum(rows.c.recall),
            func.sum(case((rows.c.recall < target, 1), else_=0)),
        ).group_by(rows.c.deck_id)
    )
    return {
        deck_id: DeckRecall(seen=int(n), recall_sum=float(total or 0.0), at_risk=int(risk or 0))
        for deck_id, n, total, risk in result
    }


def most_at_risk(
    session: Session,
    *,
    user_id: int,
    at: datetime,
    curve: scheduler.RecallCurve,
    target: float,
    reviewed_before: datetime,
    deck: str | None,
) -> tuple[Card, CardState] | None:
    """The review card whose recall at ``at`` is lowest and below ``target``, among those fsrs would not
    show again before ``at`` (due at or after it) and not reviewed since ``reviewed_before``."""
    recall = _recall(session, at, curve)
    query = (
        select(Card, CardState)
        .join(Card, Card.key == CardState.card_key)
        .where(
            CardState.user_id == user_id,
            Card.archived.is_(False),
            CardState.state == REVIEW_STATE,
            CardState.due >= at,
            CardState.last_review < reviewed_before,
            recall < target,
        )
    )
    if deck is not None:
        query = query.where(Card.deck_id == deck)
    row = session.execute(query.order_by(recall, CardState.card_key).limit(1)).first()
    return None if row is None else (row[0], row[1])


def reviews_since(session: Session, *, user_id: int, since: datetime) -> int:
    """The user's non-undone reviews since ``since`` (the covering log index)."""
    count = session.scalar(
        select(func.count()).where(
            ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since, ReviewLog.undone.is_(False)
        )
    )
    return int(count or 0)
