"""A synthetic learner: reviews scheduled by fsrs's defaults, recalled by a memory with other weights.

Each card carries two fsrs states that see the same ratings at the same times: the scheduler's (default
weights, which decide when the next review is) and the learner's true memory (``TRUE_PARAMETERS``,
whose retrievability at review time decides, with a seeded RNG, whether the card is recalled). A
recalled card is rated Good (now and then Hard or Easy), a forgotten one Again. The log that results is
what an optimizer sees; fitting it should move the weights towards the true ones.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.config import Settings
from service.db.models import Card
from service.db.session import make_engine, make_sessionmaker, transaction
from service.study import reviews, scheduler
from service.study.scheduler import NEW_CARD, FuzzKey, Rating, SchedulerSpec, StudyState
from service.study.schemas import ReviewCreate

DEFAULT_SPEC = scheduler.default_spec(learning_steps=[60, 600], relearning_steps=[600], desired_retention=0.9)

# A learner unlike fsrs's average one: higher initial stabilities, slower stability growth, another
# forgetting curve shape (w20).
_true = list(scheduler.DEFAULT_PARAMETERS)
_true[0:4] = [0.8, 2.5, 6.0, 20.0]
_true[8] = 1.0
_true[20] = 0.35
TRUE_PARAMETERS = tuple(_true)
TRUE_SPEC = dataclasses.replace(DEFAULT_SPEC, parameters=TRUE_PARAMETERS)


def _rating(rng: random.Random, *, recalled: bool) -> Rating:
    if not recalled:
        return Rating.AGAIN
    draw = rng.random()
    return Rating.HARD if draw < 0.1 else Rating.EASY if draw > 0.95 else Rating.GOOD


def card_history(
    rng: random.Random, *, start: datetime, until: datetime, card_key: int, spec: SchedulerSpec = DEFAULT_SPEC
) -> list[tuple[Rating, datetime]]:
    """One card's reviews (rating, time) from ``start`` until ``until``, each at its scheduled due time."""
    scheduled, memory = NEW_CARD, NEW_CARD
    now = start
    history: list[tuple[Rating, datetime]] = []
    number = 1
    while now < until:
        if scheduled.state == StudyState.NEW:
            rating = _rating(rng, recalled=rng.random() < 0.8)
        else:
            recall = scheduler.retrievability(TRUE_SPEC, memory, now=now)
            rating = _rating(rng, recalled=rng.random() < recall)
        fuzz = FuzzKey(0, card_key, number)
        scheduled = scheduler.review(spec, scheduled, rating, now=now, fuzz=fuzz)
        memory = scheduler.review(TRUE_SPEC, memory, rating, now=now, fuzz=fuzz)
        history.append((rating, now))
        assert scheduled.due is not None
        now = scheduled.due
        number += 1
    return history


def histories(seed: int, *, cards: int, start: datetime, days: int) -> list[list[tuple[Rating, datetime]]]:
    """``cards`` cards introduced over the first month, reviewed as scheduled for ``days`` days."""
    rng = random.Random(seed)
    until = start + timedelta(days=days)
    return [
        card_history(rng, start=start + timedelta(hours=rng.uniform(0, 24 * 30)), until=until, card_key=key)
        for key in range(cards)
    ]


def write_log(database_url: str, user_id: int, *, seed: int = 3, cards: int = 30, days: int = 200) -> int:
    """A synthetic learner's reviews of the first ``cards`` plain live cards, written into a server's
    database as the service writes reviews (committed); returns how many. Seed 3 with 30 cards gives
    fsrs-rs enough items after its outlier filter."""
    engine = make_engine(database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            ids = session.scalars(
                select(Card.id).where(Card.generator.is_(None), Card.archived.is_(False)).order_by(Card.key)
            ).all()[:cards]
            logs = histories(seed, cards=cards, start=datetime(2026, 3, 2, 12, tzinfo=UTC), days=days)
            events = sorted(
                (at, card_id, rating) for card_id, log in zip(ids, logs, strict=True) for rating, at in log
            )
            for at, card_id, rating in events:
                reviews.submit_review(
                    session,
                    user_id=user_id,
                    body=ReviewCreate(card_id=card_id, rating=int(rating)),
                    idempotency_key=None,
                    settings=Settings(_env_file=None),
                    now=at,
                )
            return len(events)
    finally:
        engine.dispose()
