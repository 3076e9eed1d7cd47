"""Fitting a user's FSRS weights and simulating their workload with ``fsrs-rs-python``.

``fsrs-rs`` is the Rust optimizer and simulator Anki itself uses (no torch); it is the only module of
dlquiz that imports ``fsrs_rs_python``, as ``scheduler`` is the only one that imports ``fsrs``. Both
libraries implement FSRS-6 with the same 21 weights, so what is fitted here is what ``scheduler``
schedules with (after :func:`scheduler.clamp_parameters` puts them inside py-fsrs's bounds).

Everything here is pure CPU work on plain values: callers read the log first, release the database,
then call in (a thread of the server's pool), and write the result in a short transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import fsrs_rs_python as fsrs_rs

from service.errors import Conflict

# fsrs-rs's own minimum: ``compute_parameters`` returns the default weights unchanged when fewer than
# this many training items survive its outlier filter (``training.rs``: ``train_set.len() < 8``). The
# filter drops the rarest (first rating, first interval) groups, at least 20 items per first rating,
# so a short log needs more reviews than this; the 409 says "at least".
MIN_TRAINING_ITEMS = 8
SIMULATION_SEED = 42
# fsrs-rs caps a simulated day at this many seconds of study (default 1800); dlquiz caps new cards per
# day instead, so the cap is set out of the way.
UNCAPPED_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How well weights predict a log: fsrs-rs's ``evaluate`` (log loss, RMSE over its bins)."""

    log_loss: float
    rmse: float


@dataclass(frozen=True, slots=True)
class Fit:
    """Fitted weights with the evaluation of the old and the new ones on the same log."""

    parameters: tuple[float, ...]
    before: Evaluation
    after: Evaluation
    training_items: int


# One card's non-undone reviews in order: (rating 1-4, the study day it was made on).
CardHistory = Sequence[tuple[int, date]]


def training_items(histories: Sequence[CardHistory]) -> list[fsrs_rs.FSRSItem]:
    """fsrs-rs's training items: for every review made a day or more after the card's previous one,
    the card's history up to and including it (same-day reviews stay in the history as short-term
    steps with ``delta_t`` 0, as Anki's converter keeps them)."""
    items: list[fsrs_rs.FSRSItem] = []
    for history in histories:
        reviews: list[fsrs_rs.FSRSReview] = []
        previous: date | None = None
        for rating, day in history:
            delta = 0 if previous is None else (day - previous).days
            reviews.append(fsrs_rs.FSRSReview(rating, delta))
            previous = day
            if delta > 0:
                items.append(fsrs_rs.FSRSItem(list(reviews)))
    return items


def usable_count(items: Sequence[fsrs_rs.FSRSItem]) -> int:
    """How many items fsrs-rs would train on: its ``prepare_training_data`` split and outlier filter."""
    first = [item for item in items if item.long_term_review_cnt() == 1]
    rest = [item for item in items if item.long_term_review_cnt() != 1]
    kept_first, kept_rest = fsrs_rs.filter_outlier(first, rest)
    return len(kept_first) + len(kept_rest)


def evaluate(parameters: Sequence[float], items: Sequence[fsrs_rs.FSRSItem]) -> Evaluation:
    result = fsrs_rs.FSRS(list(parameters)).evaluate(list(items))
    return Evaluation(log_loss=float(result.log_loss), rmse=float(result.rmse_bins))


def fit(histories: Sequence[CardHistory], *, current: Sequence[float]) -> Fit:
    """Weights fitted to ``histories`` and both evaluations; Conflict (409) when fsrs-rs would not fit
    (fewer than :data:`MIN_TRAINING_ITEMS` usable items), saying how many more are needed."""
    items = training_items(histories)
    usable = usable_count(items)
    if usable < MIN_TRAINING_ITEMS:
        raise Conflict(
            f"not enough reviews to optimize: fsrs needs {MIN_TRAINING_ITEMS} reviews made a day or more "
            f"after the card's previous review (after its outlier filter), this log has {usable}; "
            f"at least {MIN_TRAINING_ITEMS - usable} more needed"
        )
    fitted = fsrs_rs.FSRS(list(current)).compute_parameters(items)
    return Fit(
        parameters=tuple(float(p) for p in fitted),
        before=evaluate(current, items),
        after=evaluate(fitted, items),
        training_items=usable,
    )


@dataclass(frozen=True, slots=True)
class Workload:
    """Inputs of a workload simulation: the user's collection, limits and steps."""

    parameters: tuple[float, ...]
    deck_size: int
    new_cards_per_day: int
    maximum_interval: int
    learning_steps: int
    relearning_steps: int


def simulate_reviews(workload: Workload, *, retention: float, days: int) -> list[int]:
    """Predicted reviews per day (new cards excluded) for ``days`` days at ``retention``.

    fsrs-rs's simulator starts from an empty collection and introduces up to ``new_cards_per_day`` of
    ``deck_size`` cards a day; it is seeded, so the same inputs give the same figures.
    """
    if workload.deck_size == 0:
        return [0] * days  # fsrs-rs panics (InvalidDeckSize) on an empty collection
    config = fsrs_rs.default_simulator_config()
    config.deck_size = workload.deck_size
    config.learn_span = days
    config.learn_limit = workload.new_cards_per_day
    config.max_ivl = float(workload.maximum_interval)
    config.max_cost_perday = UNCAPPED_SECONDS_PER_DAY
    config.learning_step_count = workload.learning_steps
    config.relearning_step_count = workload.relearning_steps
    result = fsrs_rs.simulate(list(workload.parameters), retention, config, SIMULATION_SEED)
    return [int(count) for count in result.review_cnt_per_day[:days]]
