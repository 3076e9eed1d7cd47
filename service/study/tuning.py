"""Fitting a user's scheduler to their own memory, and showing what a retention would cost.

The fit is CPU work that can take seconds on a long log, so it never runs inside a transaction: the
log is read in one short read transaction (:meth:`Database.run`), the database is released, fsrs-rs
fits on a worker thread of its own (the event loop stays free, and no connection or database thread
is held), and the weights are written in a second short write transaction as a new scheduler configuration. Past reviews keep their
configuration, so the replay invariant holds unchanged and the new weights apply from the next review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from anyio import to_thread
from sqlalchemy.orm import Session

from service.db.database import Database
from service.db.session import begin_write
from service.errors import InvalidSubmission
from service.study import days, optimizer, progress, repository, scheduler
from service.study import settings as study_settings
from service.study.schemas import (
    EvaluationRead,
    OptimizeRead,
    RetentionWorkloadRead,
    WorkloadRead,
)

RETENTION_MIN = 0.70
RETENTION_MAX = 0.99
MAX_RETENTIONS = 8
SIMULATED_DAYS = 90


@dataclass(frozen=True, slots=True)
class History:
    """What a fit needs from the database: each card's reviews by study day, and the weights in force."""

    cards: list[list[tuple[int, date]]]
    reviews: int
    parameters: tuple[float, ...]


def read_history(session: Session, *, user_id: int) -> History:
    """The user's non-undone log grouped by card, each review dated by the user's study day."""
    row, spec = study_settings.load(session, user_id)
    tz, hour = days.zone(row.timezone), row.day_start_hour
    cards: dict[int, list[tuple[int, date]]] = {}
    log = repository.active_log(session, user_id)
    for card_key, rating, reviewed_at in log:
        cards.setdefault(card_key, []).append((rating, days.study_date(reviewed_at, tz=tz, hour=hour)))
    return History(cards=list(cards.values()), reviews=len(log), parameters=spec.parameters)


def fit(history: History) -> optimizer.Fit:
    """fsrs-rs's fit of ``history`` (no database); Conflict when the log is too short."""
    result = optimizer.fit(history.cards, current=history.parameters)
    return optimizer.Fit(
        parameters=scheduler.clamp_parameters(result.parameters),
        before=result.before,
        after=result.after,
        training_items=result.training_items,
    )


def store_fit(
    session: Session, *, user_id: int, history: History, result: optimizer.Fit, now: datetime
) -> OptimizeRead:
    """Keep the fitted weights when they predict the log better than the ones in force; report both."""
    applied = result.after.log_loss < result.before.log_loss
    if applied:
        begin_write(session)
        study_settings.set_parameters(session, user_id=user_id, parameters=result.parameters, now=now)
    return OptimizeRead(
        reviews=history.reviews,
        training_items=result.training_items,
        before=EvaluationRead(log_loss=result.before.log_loss, rmse=result.before.rmse),
        after=EvaluationRead(log_loss=result.after.log_loss, rmse=result.after.rmse),
        parameters=list(result.parameters if applied else history.parameters),
        applied=applied,
    )


async def optimize(database: Database, *, user_id: int, now: datetime) -> OptimizeRead:
    """Read the log, release the database, fit, then store in a short write transaction."""
    history = await database.run_in_thread(read_history, user_id=user_id)
    result = await to_thread.run_sync(fit, history)
    return await database.run(store_fit, user_id=user_id, history=history, result=result, now=now)


def parse_retentions(text: str) -> list[float]:
    """``"0.85,0.9,0.95"`` as numbers, each within the settings' retention range; InvalidSubmission
    (422 naming the parameter) otherwise."""
    where = "query parameter 'retention'"
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or len(parts) > MAX_RETENTIONS:
        raise InvalidSubmission(f"{where}: give 1 to {MAX_RETENTIONS} comma-separated numbers")
    values: list[float] = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise InvalidSubmission(f"{where}: '{part}' is not a number") from None
        if not RETENTION_MIN <= value <= RETENTION_MAX:
            raise InvalidSubmission(f"{where}: {part} is outside [{RETENTION_MIN}, {RETENTION_MAX}]")
        values.append(value)
    return values


def read_workload(session: Session, *, user_id: int) -> optimizer.Workload:
    """The simulator's inputs: the user's weights, steps, limits and the number of live cards."""
    row, spec = study_settings.load(session, user_id)
    _version, decks = progress.live_decks(session)
    return optimizer.Workload(
        parameters=spec.parameters,
        deck_size=sum(deck.cards for deck in decks),
        new_cards_per_day=row.new_cards_per_day,
        maximum_interval=spec.maximum_interval,
        learning_steps=len(spec.learning_steps),
        relearning_steps=len(spec.relearning_steps),
    )


def simulate(workload: optimizer.Workload, retentions: Sequence[float]) -> WorkloadRead:
    """Predicted reviews per day over the next 90 days at each retention (no database)."""
    series = []
    for retention in retentions:
        counts = optimizer.simulate_reviews(workload, retention=retention, days=SIMULATED_DAYS)
        series.append(
            RetentionWorkloadRead(
                retention=retention,
                reviews_per_day=counts,
                mean_30=sum(counts[:30]) / 30,
                mean_90=sum(counts) / SIMULATED_DAYS,
            )
        )
    return WorkloadRead(
        deck_size=workload.deck_size,
        new_cards_per_day=workload.new_cards_per_day,
        days=SIMULATED_DAYS,
        retentions=series,
    )


async def workload(database: Database, *, user_id: int, retentions: Sequence[float]) -> WorkloadRead:
    """Read the inputs, release the database, simulate (on a worker thread of its own)."""
    inputs = await database.run_in_thread(read_workload, user_id=user_id)
    return await to_thread.run_sync(simulate, inputs, retentions)
