"""FSRS scheduling through the ``fsrs`` package: the only module of dlquiz that imports it.

Every scheduling decision is fsrs's ``Scheduler.review_card``; this module converts dlquiz's
:class:`Snapshot` to and from ``fsrs.Card`` and owns one thing fsrs does differently: the interval fuzz.

fsrs 6.3 draws its fuzz from the module-global ``random.random()``, so a replay of a review log could not
reproduce a due date and concurrent requests would share one generator. Here fsrs runs with
``enable_fuzzing=False`` and :func:`fuzz_interval` applies the same fuzz (fsrs's ``FUZZ_RANGES``, the same
bounds and rounding as ``Scheduler._get_fuzzed_interval``) with a local ``random.Random`` seeded from
(user, card, review number). Fuzz only touches cards that end in the Review state, as in fsrs.

All datetimes are tz-aware UTC; fsrs raises ``ValueError`` otherwise, translated to
:class:`~service.errors.SchedulingError` here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from functools import lru_cache

import fsrs
from fsrs.scheduler import DEFAULT_PARAMETERS as FSRS_DEFAULT_PARAMETERS
from fsrs.scheduler import FUZZ_RANGES, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from service.errors import SchedulingError

# fsrs does not fuzz intervals shorter than this many days (``Scheduler._get_fuzzed_interval``).
FUZZ_MIN_DAYS = 2.5
# fsrs never fuzzes an interval below 2 days.
FUZZ_FLOOR_DAYS = 2
# Anki's and fsrs's convention: a review card whose interval is at least this long is "mature".
MATURE_DAYS = 21

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(float(p) for p in FSRS_DEFAULT_PARAMETERS)
DEFAULT_DESIRED_RETENTION = 0.9
DEFAULT_MAXIMUM_INTERVAL = 36500
# Load balancing looks at most this far ahead (a 90-day interval's fuzz window is 13 days wide); longer
# intervals keep the plain fuzz, so the load a review records stays a handful of numbers.
LOAD_BALANCE_MAX_DAYS = 90

# The load over a fuzz window: given its first and last interval in days (inclusive), one score per
# day (lower is lighter), or None to fall back to the plain fuzz.
Balance = Callable[[int, int], Sequence[int] | None]


class StudyState(IntEnum):
    """A card's state for one user; 1-3 are fsrs's ``State`` values, 0 is "never reviewed"."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class Rating(IntEnum):
    """The four answers, with fsrs's ``Rating`` values."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


@dataclass(frozen=True, slots=True)
class SchedulerSpec:
    """One user's scheduler: fsrs's weights, target retention, steps in seconds, interval cap in days."""

    parameters: tuple[float, ...]
    desired_retention: float
    learning_steps: tuple[int, ...]
    relearning_steps: tuple[int, ...]
    maximum_interval: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A card's scheduling state; every field but ``state`` is None for a new card."""

    state: StudyState
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None

    @property
    def interval_days(self) -> int:
        """The scheduled interval in whole days for a review card, 0 otherwise."""
        if self.state != StudyState.REVIEW or self.due is None or self.last_review is None:
            return 0
        return (self.due - self.last_review).days

    @property
    def mature(self) -> bool:
        return self.interval_days >= MATURE_DAYS


NEW_CARD = Snapshot(StudyState.NEW)


@dataclass(frozen=True, slots=True)
class FuzzKey:
    """What one review's fuzz is a function of: a replay of the same review draws the same number."""

    user_id: int
    card_key: int
    number: int

    def rng(self) -> random.Random:
        """A private generator; never the module-global ``random`` that fsrs would use."""
        digest = hashlib.sha256(f"dlquiz-fuzz:{self.user_id}:{self.card_key}:{self.number}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


def default_spec(
    *, learning_steps: Sequence[int], relearning_steps: Sequence[int], desired_retention: float
) -> SchedulerSpec:
    """fsrs's default weights and interval cap with the given steps and retention."""
    return SchedulerSpec(
        parameters=DEFAULT_PARAMETERS,
        desired_retention=desired_retention,
        learning_steps=tuple(learning_steps),
        relearning_steps=tuple(relearning_steps),
        maximum_interval=DEFAULT_MAXIMUM_INTERVAL,
    )


@lru_cache(maxsize=256)
def _scheduler(spec: SchedulerSpec) -> fsrs.Scheduler:
    # fsrs's Scheduler holds no mutable state (review_card copies the card), so one instance per spec
    # is safe to share between threads.
    try:
        return fsrs.Scheduler.from_dict(
            {
                "parameters": list(spec.parameters),
                "desired_retention": spec.desired_retention,
                "learning_steps": list(spec.learning_steps),
                "relearning_steps": list(spec.relearning_steps),
                "maximum_interval": spec.maximum_interval,
                "enable_fuzzing": False,
            }
        )
    except ValueError as exc:
        raise SchedulingError(f"invalid scheduler configuration: {exc}") from None


def validate(spec: SchedulerSpec) -> None:
    """Raise SchedulingError when fsrs refuses ``spec`` (it reports every bad weight at once)."""
    _scheduler(spec)


def fuzz_range(interval_days: int, *, maximum_interval: int) -> tuple[int, int]:
    """The inclusive range of fuzzed intervals for ``interval_days``, exactly as fsrs 6.3 computes it."""
    delta = 1.0
    for fuzz in FUZZ_RANGES:
        delta += fuzz["factor"] * max(min(float(interval_days), fuzz["end"]) - fuzz["start"], 0.0)
    low = max(FUZZ_FLOOR_DAYS, round(interval_days - delta))
    high = min(round(interval_days + delta), maximum_interval)
    return min(low, high), high


def fuzz_interval(interval_days: int, *, maximum_interval: int, rng: random.Random) -> int:
    """fsrs's fuzz of a review interval, drawn from ``rng``; intervals under 2.5 days are left alone.

    Same formula as fsrs: a uniform draw over ``[low, high + 1)``, rounded and capped, so ``high + 1``
    comes out now and then (fsrs has it so; kept to stay within fsrs's behaviour).
    """
    if interval_days < FUZZ_MIN_DAYS:
        return interval_days
    low, high = fuzz_range(interval_days, maximum_interval=maximum_interval)
    return min(round(rng.random() * (high - low + 1) + low), maximum_interval)


def balanced_interval(
    interval_days: int, *, maximum_interval: int, rng: random.Random, balance: Balance | None
) -> int:
    """The fuzzed interval, moved to the lightest day of fsrs's fuzz range when ``balance`` gives the load.

    The plain fuzz is always drawn (so ``rng`` advances the same way) and breaks ties: among the days
    with the lowest score, the one nearest the fuzzed interval (the shorter one on a tie) wins. The
    result depends only on the interval, the rng and the scores, so a replay that is given the scores
    a review recorded (:func:`recorded_balance`) chooses the same day.
    """
    fuzzed = fuzz_interval(interval_days, maximum_interval=maximum_interval, rng=rng)
    if balance is None or interval_days < FUZZ_MIN_DAYS or interval_days > LOAD_BALANCE_MAX_DAYS:
        return fuzzed
    low, high = fuzz_range(interval_days, maximum_interval=maximum_interval)
    scores = balance(low, high)
    if scores is None or len(scores) != high - low + 1:
        return fuzzed
    best = min(scores)
    candidates = [low + offset for offset, score in enumerate(scores) if score == best]
    return min(candidates, key=lambda day: (abs(day - fuzzed), day))


def recorded_balance(record: Sequence[int] | None) -> Balance | None:
    """The load a review recorded (``[first interval, score, score, ...]``) as a :data:`Balance`.

    It answers only for the window it was recorded over: when an imported review earlier in the log
    changes the interval, the window differs and the plain fuzz applies, the same in every replay.
    """
    if not record:
        return None
    first, scores = int(record[0]), [int(score) for score in record[1:]]

    def balance(low: int, high: int) -> Sequence[int] | None:
        return scores if low == first and high - low + 1 == len(scores) else None

    return balance


def _to_fsrs(snapshot: Snapshot, *, now: datetime) -> fsrs.Card:
    # card_id is irrelevant to scheduling; passing one also avoids fsrs's 1 ms sleep in Card().
    if snapshot.state == StudyState.NEW:
        return fsrs.Card(card_id=1, state=fsrs.State.Learning, step=0, due=now)
    return fsrs.Card(
        card_id=1,
        state=fsrs.State(int(snapshot.state)),
        step=snapshot.step,
        stability=snapshot.stability,
        difficulty=snapshot.difficulty,
        due=snapshot.due,
        last_review=snapshot.last_review,
    )


def _from_fsrs(card: fsrs.Card) -> Snapshot:
    return Snapshot(
        state=StudyState(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def review(
    spec: SchedulerSpec,
    before: Snapshot,
    rating: Rating,
    *,
    now: datetime,
    fuzz: FuzzKey,
    balance: Balance | None = None,
) -> Snapshot:
    """The state after reviewing a card in state ``before`` with ``rating`` at ``now`` (UTC).

    With ``balance``, a review interval goes to the least loaded day of fsrs's fuzz range
    (:func:`balanced_interval`); fsrs's own decision (stability, difficulty, interval) is unchanged.
    """
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise SchedulingError("review time must be a tz-aware UTC datetime")
    now = now.astimezone(UTC)
    try:
        card, _log = _scheduler(spec).review_card(
            _to_fsrs(before, now=now), fsrs.Rating(int(rating)), review_datetime=now
        )
    except ValueError as exc:
        raise SchedulingError(f"fsrs refused the review: {exc}") from None
    after = _from_fsrs(card)
    if after.state == StudyState.REVIEW:
        # With fuzzing off, fsrs sets due = now + whole days; fuzz those days as fsrs would.
        days = (card.due - now).days
        fuzzed = balanced_interval(
            days, maximum_interval=spec.maximum_interval, rng=fuzz.rng(), balance=balance
        )
        after = Snapshot(
            state=after.state,
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=now + timedelta(days=fuzzed),
            last_review=now,
        )
    return after


def preview(
    spec: SchedulerSpec, before: Snapshot, *, now: datetime, fuzz: FuzzKey, balance: Balance | None = None
) -> Mapping[Rating, Snapshot]:
    """The state each rating would lead to, with the fuzz the real review would draw (Anki's buttons)."""
    return {rating: review(spec, before, rating, now=now, fuzz=fuzz, balance=balance) for rating in Rating}


def replay(
    specs: Mapping[int, SchedulerSpec],
    reviews: Sequence[tuple[int, Rating, datetime, Sequence[int] | None]],
    *,
    user_id: int,
    card_key: int,
) -> Snapshot:
    """The state a new card reaches through ``reviews`` (scheduler config id, rating, time, recorded
    load or None), in order.

    This is the definition the stored state must always equal; the tests and audits compare against it.
    """
    state = NEW_CARD
    for number, (config_id, rating, reviewed_at, load) in enumerate(reviews, start=1):
        state = review(
            specs[config_id],
            state,
            rating,
            now=reviewed_at,
            fuzz=FuzzKey(user_id, card_key, number),
            balance=recorded_balance(load),
        )
    return state


def retrievability(spec: SchedulerSpec, snapshot: Snapshot, *, now: datetime) -> float:
    """fsrs's predicted probability of recalling a card in state ``snapshot`` at ``now`` (0 for a new card).

    fsrs counts whole elapsed days, as it does when it schedules.
    """
    if snapshot.state == StudyState.NEW:
        return 0.0
    return float(_scheduler(spec).get_card_retrievability(_to_fsrs(snapshot, now=now), now))


@dataclass(frozen=True, slots=True)
class RecallCurve:
    """fsrs's forgetting curve for one scheduler: ``R = (1 + factor * t / S) ** decay``, ``t`` in whole
    elapsed days, ``S`` the stability in days.

    Its two numbers let SQL evaluate fsrs's retrievability over a whole collection (``pow`` exists in
    PostgreSQL and SQLite >= 3.35) instead of loading every card state into Python.
    """

    factor: float
    decay: float

    def __call__(self, elapsed_days: int, stability: float) -> float:
        return float((1 + self.factor * max(0, elapsed_days) / stability) ** self.decay)

    def stability_needed(self, elapsed_days: int, target: float) -> float:
        """The least stability at which recall after ``elapsed_days`` is at least ``target``."""
        return float(self.factor * elapsed_days / (target ** (1 / self.decay) - 1))


def recall_curve(spec: SchedulerSpec) -> RecallCurve:
    """The curve fsrs's ``get_card_retrievability`` evaluates for ``spec``'s weights."""
    fsrs_scheduler = _scheduler(spec)
    return RecallCurve(factor=float(fsrs_scheduler._FACTOR), decay=float(fsrs_scheduler._DECAY))


def clamp_parameters(parameters: Sequence[float]) -> tuple[float, ...]:
    """``parameters`` moved inside the bounds fsrs accepts (another optimizer, fsrs-rs, clips to its own
    bounds, which may differ by a rounding); a wrong count is a SchedulingError."""
    if len(parameters) != len(LOWER_BOUNDS_PARAMETERS):
        raise SchedulingError(f"expected {len(LOWER_BOUNDS_PARAMETERS)} parameters, got {len(parameters)}")
    return tuple(
        min(max(float(p), low), high)
        for p, low, high in zip(parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    )
