"""Request and response shapes of the study API: settings, reviews and stats.

The queue's shapes, which embed cards and questions, are in ``queue_schemas`` so that the quiz schemas
can embed a review without an import cycle.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.json_types import INTEGRAL, omit_null_from_schema

StateName = Literal["new", "learning", "review", "relearning"]
Step = Annotated[int, Field(ge=1, le=86_400, description="Seconds."), INTEGRAL]


# --- settings --------------------------------------------------------------------------------------


class SettingsRead(BaseModel):
    """A user's study settings; the scheduler ones apply from the next review on."""

    desired_retention: float = Field(ge=0.70, le=0.99, description="Target probability of recall.")
    new_cards_per_day: int = Field(ge=0, le=1000)
    maximum_interval: int = Field(ge=1, le=36500, description="Longest interval in days.")
    timezone: str = Field(description="IANA time zone name, e.g. `Europe/Berlin`.")
    day_start_hour: int = Field(ge=0, le=23, description="Local hour at which a new study day starts.")
    learning_steps: list[int] = Field(description="Learning steps in seconds (fsrs's default: 60, 600).")
    relearning_steps: list[int] = Field(description="Relearning steps in seconds (fsrs's default: 600).")


class SettingsUpdate(BaseModel):
    """Any subset of the settings; a field that is sent must be valid and not null."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=omit_null_from_schema)

    desired_retention: float | None = Field(default=None, ge=0.70, le=0.99)
    new_cards_per_day: Annotated[int, Field(ge=0, le=1000), INTEGRAL] | None = None
    maximum_interval: Annotated[int, Field(ge=1, le=36500), INTEGRAL] | None = None
    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        examples=["Europe/Berlin"],
        description="An IANA name the server knows; another string is a 422 naming this field.",
    )
    day_start_hour: Annotated[int, Field(ge=0, le=23), INTEGRAL] | None = None
    learning_steps: list[Step] | None = Field(default=None, max_length=10)
    relearning_steps: list[Step] | None = Field(default=None, max_length=10)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Defaults are not validated, so this only sees values the client sent: null means nothing.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


# --- card states and reviews -----------------------------------------------------------------------


class CardStateRead(BaseModel):
    """A card's scheduling state; everything but ``state`` is null for a new card."""

    state: StateName
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime | None
    last_review: datetime | None


class ReviewCreate(BaseModel):
    """A self-rated review: 1 Again, 2 Hard, 3 Good, 4 Easy."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON false is not the integer 0

    card_id: str = Field(min_length=1, max_length=128, examples=["bn-train-forward"])
    rating: Annotated[int, Field(ge=1, le=4, examples=[3]), INTEGRAL]
    duration_ms: Annotated[int, Field(ge=0, le=86_400_000), INTEGRAL] | None = Field(
        default=None, description="Time spent, in ms."
    )


class ReviewRead(BaseModel):
    """One entry of the review log, with the card's state before and after it."""

    id: int
    card_id: str
    rating: int = Field(ge=1, le=4)
    source: Literal["self", "numeric", "anki"]
    reviewed_at: datetime
    duration_ms: int | None
    state_before: CardStateRead
    state_after: CardStateRead
    question_id: str | None
    undone: bool


# --- what is left today ----------------------------------------------------------------------------


class CountsRead(BaseModel):
    """Cards left today (until the study day ends), within the deck filter."""

    new: int
    learning: int
    review: int


class DeckCountsRead(BaseModel):
    """One live deck's cards left today: what ``GET /study/next?deck=`` reports as its counts."""

    deck: str = Field(description="The deck id.")
    new: int
    learning: int
    review: int


class StudyCountsRead(BaseModel):
    """Cards left today in each live deck (in deck order) and in all of them together.

    The new-card limit is per day, not per deck, so each deck's ``new`` is capped by the whole limit
    left and the decks' ``new`` may add up to more than ``total.new``.
    """

    decks: list[DeckCountsRead]
    total: CountsRead


# --- stats -----------------------------------------------------------------------------------------


class DayCountRead(BaseModel):
    date: date
    count: int


class DayRetentionRead(BaseModel):
    """Share of the day's reviews of review-state cards that were not Again; null without any."""

    date: date
    retention: float | None
    reviews: int


class ForecastRead(BaseModel):
    date: date
    due: int


class DeckStatsRead(BaseModel):
    """Live cards of a deck by state; ``review`` is young (interval < 21 days), ``mature`` the rest."""

    deck: str
    new: int
    learning: int
    review: int
    mature: int


class MisconceptionCountRead(BaseModel):
    id: str
    count: int


class TopicStatsRead(BaseModel):
    """Numeric reviews of one topic in the window, and its most frequent misconceptions."""

    topic: str
    attempts: int
    correct: int
    accuracy: float
    misconceptions: list[MisconceptionCountRead]


class PersistentMisconceptionRead(BaseModel):
    """One remediated misconception and how often it was named."""

    generator: str
    id: str
    feedback: str
    times_named: int
    round: int
    status: Literal["open", "cleared", "exhausted"]


class RemediationStatsRead(BaseModel):
    """Misconceptions the verifier named and their remediation: ``named`` counts the remediations
    opened, ``open`` those not cleared (still drilled, or exhausted after three rounds)."""

    named: int
    cleared: int
    open: int
    persistent: list[PersistentMisconceptionRead] = Field(
        description="The most persistent: most often named first (ties: later round, then id)."
    )


class StatsRead(BaseModel):
    """Study statistics over the last ``days`` study days (today included), in the user's time zone."""

    reviews_per_day: list[DayCountRead]
    retention_per_day: list[DayRetentionRead]
    retention_overall: float | None
    forecast: list[ForecastRead] = Field(
        description="Cards due on each of the next 30 days; overdue ones count today."
    )
    decks: list[DeckStatsRead]
    streak: int = Field(description="Consecutive study days with a review, up to today (or yesterday).")
    numeric: list[TopicStatsRead]
    remediation: RemediationStatsRead


# --- per-user FSRS weights and workload ------------------------------------------------------------


class EvaluationRead(BaseModel):
    """How well a set of FSRS weights predicts the caller's log (fsrs-rs's ``evaluate``; lower is better)."""

    log_loss: float
    rmse: float = Field(description="Root mean square error over fsrs-rs's bins of predicted recall.")


class OptimizeRead(BaseModel):
    """The result of fitting FSRS weights to the caller's own review log."""

    reviews: int = Field(description="Non-undone reviews in the log.")
    training_items: int = Field(description="Reviews fsrs-rs trained on (a day or more after the last one).")
    before: EvaluationRead = Field(description="The weights in force before, on this log.")
    after: EvaluationRead = Field(description="The fitted weights, on this log.")
    parameters: list[float] = Field(description="The weights scheduling from the next review on.")
    applied: bool = Field(
        description="Whether the fitted weights replaced the old ones (only when they predict the log better)."
    )


class RetentionWorkloadRead(BaseModel):
    """Predicted reviews per day at one desired retention."""

    retention: float
    reviews_per_day: list[int] = Field(description="One count per day from today, new cards excluded.")
    mean_30: float = Field(description="Mean reviews per day over the next 30 days.")
    mean_90: float = Field(description="Mean reviews per day over the next 90 days.")


class WorkloadRead(BaseModel):
    """fsrs-rs's simulation of the caller's collection at several desired retentions."""

    deck_size: int = Field(description="Live cards simulated (the simulator starts them all as new).")
    new_cards_per_day: int
    days: int
    retentions: list[RetentionWorkloadRead]
