"""Which questions a mock interview asks: a weighted draw over every live card, toward weak ones.

A card's weight is ``1 + 3 (1 - R) + 2 lapses + 2 misconceptions``: ``R`` is its fsrs retrievability
now (a card never seen counts as ``R = 0.5``), ``lapses`` its Again ratings in the last
:data:`LAPSE_WINDOW`, and ``misconceptions`` the numeric reviews of it that named one plus the open
remediations of its generator. The draw is Efraimidis–Spirakis sampling without replacement (each card
gets the key ``u ** (1 / weight)``, the largest keys win) with ``random.Random(seed)``, so the same seed
over the same history draws the same interview. About :data:`NUMERIC_SHARE` of the questions are
numeric cards (at least one when there are any), the rest conceptual; the order is shuffled by the
same generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Card, CardState, Remediation, ReviewLog
from service.study import reviews, scheduler

LAPSE_WINDOW = timedelta(days=30)
NUMERIC_SHARE = 0.3
UNSEEN_RETRIEVABILITY = 0.5


@dataclass(frozen=True, slots=True)
class Pick:
    """A drawn card and, for a numeric card, the seed of its fresh question."""

    card: Card
    numeric_seed: int | None


def weights(
    session: Session, cards: Sequence[Card], *, user_id: int, spec: scheduler.SchedulerSpec, now: datetime
) -> dict[int, float]:
    """Each card's draw weight (by card key); higher is weaker."""
    states = {
        row.card_key: row for row in session.scalars(select(CardState).where(CardState.user_id == user_id))
    }
    lapses = dict(
        session.execute(
            select(ReviewLog.card_key, func.count())
            .where(
                ReviewLog.user_id == user_id,
                ReviewLog.undone.is_(False),
                ReviewLog.rating == int(scheduler.Rating.AGAIN),
                ReviewLog.reviewed_at >= now - LAPSE_WINDOW,
            )
            .group_by(ReviewLog.card_key)
        ).all()
    )
    named = dict(
        session.execute(
            select(ReviewLog.card_key, func.count())
            .where(ReviewLog.user_id == user_id, ReviewLog.misconception.is_not(None))
            .group_by(ReviewLog.card_key)
        ).all()
    )
    open_by_generator = dict(
        session.execute(
            select(Remediation.generator_id, func.count())
            .where(Remediation.user_id == user_id, Remediation.status == "open")
            .group_by(Remediation.generator_id)
        ).all()
    )
    result: dict[int, float] = {}
    for card in cards:
        row = states.get(card.key)
        recall = (
            scheduler.retrievability(spec, reviews.snapshot_of(row), now=max(now, row.last_review))
            if row is not None
            else UNSEEN_RETRIEVABILITY
        )
        misconceptions = named.get(card.key, 0) + (
            open_by_generator.get(card.generator, 0) if card.generator else 0
        )
        result[card.key] = 1 + 3 * (1 - recall) + 2 * lapses.get(card.key, 0) + 2 * misconceptions
    return result


def _top(rng: random.Random, cards: Sequence[Card], weight: dict[int, float], count: int) -> list[Card]:
    keyed = sorted(((rng.random() ** (1 / weight[c.key]), c.key, c) for c in cards), reverse=True)
    return [card for _key, _card_key, card in keyed[:count]]


def draw(
    session: Session, *, user_id: int, length: int, seed: int, spec: scheduler.SchedulerSpec, now: datetime
) -> list[Pick]:
    """``length`` live cards (fewer if the content has fewer), weighted toward weak ones; see the module."""
    cards = list(session.scalars(select(Card).where(Card.archived.is_(False)).order_by(Card.key)))
    weight = weights(session, cards, user_id=user_id, spec=spec, now=now)
    rng = random.Random(seed)
    numeric = [c for c in cards if c.generator is not None]
    conceptual = [c for c in cards if c.generator is None]
    wanted_numeric = min(len(numeric), max(1 if length > 1 else 0, round(length * NUMERIC_SHARE)))
    wanted_numeric = max(wanted_numeric, length - len(conceptual))
    chosen = _top(rng, numeric, weight, wanted_numeric) + _top(
        rng, conceptual, weight, length - wanted_numeric
    )
    rng.shuffle(chosen)
    return [Pick(card=c, numeric_seed=rng.randrange(2**31 - 1) if c.generator else None) for c in chosen]
