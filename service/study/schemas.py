"""Request and response shapes of the study API: settings, reviews and stats.

The queue's shapes, which embed cards and questions, are in ``queue_schemas`` so that the quiz schemas
can embed a review without an import cycle.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from service.json_types import INTEGRAL, omit_null_from_schema

StateName = Literal["new", "learning", "review", "relearning"]
Step = Annotated[int, Field(ge=1, le=86_400, description="Seconds."), INTEGRAL]


# --- settings --------------------------------------------------------------------------------------


class SettingsRead(BaseModel):
    """A user's study settings; the scheduler ones apply from the next review on."""

    desired_retention: float = Field(ge=0.70, le=0.99, description="Target probability of recall.")
    new_cards_per_day: int = Field(
        ge=0, le=1000, description="New cards introduced a day (an interview plan may introduce more)."
    )
    maximum_interval: int = Field(ge=1, le=36500, description="Longest interval in days.")
    timezone: str = Field(description="IANA time zone name, e.g. `Europe/Berlin`.")
    day_start_hour: int = Field(ge=0, le=23, description="Local hour at which a new study day starts.")
    learning_steps: list[int] = Field(description="Learning steps in seconds (fsrs's default: 60, 600).")
    relearning_steps: list[int] = Field(description="Relearning steps in seconds (fsrs's default: 600).")
    calculator: bool = Field(
        default=True,
        description="False is whiteboard mode: numeric questions are drawn to be worked by hand, with any "
        "transcendental values they need printed in a 'you may use' list.",
    )
    interview_date: date | None = Field(
        description="The interview's date in the user's time zone; null when none is planned."
    )
    target_retention_on_the_day: float = Field(
        gt=0.5, lt=0.99, description="Predicted recall wanted on the interview date, in (0.5, 0.99)."
    )
    daily_cap: int | None = Field(
        description="Most reviews a day the interview plan may ask for; null: the forecast's median day x 1.5."
    )
    load_balancing: bool = Field(description="Put each review on the least loaded day of its fuzz range.")
    easy_days: list[int] = Field(
        description="Weekdays (0 = Monday) on which load balancing puts fewer reviews."
    )


Weekday = Annotated[int, Field(ge=0, le=6), INTEGRAL]
# Fields for which null is a value: it clears the setting.
NULLABLE_SETTINGS = frozenset({"interview_date", "daily_cap"})


def _settings_update_schema(schema: dict[str, Any]) -> None:
    """Null is documented only where it is a value (clearing the interview date or the cap)."""
    properties = schema.get("properties", {})
    kept = {name: properties.pop(name) for name in NULLABLE_SETTINGS if name in properties}
    omit_null_from_schema(schema)
    properties.update(kept)


class SettingsUpdate(BaseModel):
    """Any subset of the settings; a field that is sent must be valid and not null, except
    ``interview_date`` and ``daily_cap``, which null clears."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_settings_update_schema)

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
    calculator: bool | None = None
    interview_date: date | None = Field(
        default=None,
        strict=False,  # JSON has no date type: an ISO 8601 string (YYYY-MM-DD) is parsed
        examples=["2027-01-20"],
        description="A date in your time zone, today or later; null clears it.",
    )
    target_retention_on_the_day: float | None = Field(default=None, gt=0.5, lt=0.99)
    daily_cap: Annotated[int, Field(ge=1, le=10_000), INTEGRAL] | None = Field(
        default=None, description="Reviews a day; null restores the default (forecast median x 1.5)."
    )
    load_balancing: bool | None = None
    easy_days: list[Weekday] | None = Field(default=None, max_length=7)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        # Defaults are not validated, so this only sees values the client sent: null means nothing,
        # except for the settings that null clears.
        if value is None and info.field_name not in NULLABLE_SETTINGS:
            raise ValueError("may be omitted but not null")
        return value

    @field_validator("interview_date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        # Lax parsing would also take a timestamp number or a midnight datetime; only a date is a date.
        if value is None or isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return value
        raise ValueError("must be a date written YYYY-MM-DD")

    @field_validator("easy_days")
    @classmethod
    def _distinct_days(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))


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
    hints_used: int | None = Field(
        default=None, description="Numeric reviews: hints revealed before the answer (rating at most Hard)."
    )
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


# --- interview readiness ---------------------------------------------------------------------------


class ReadinessFiguresRead(BaseModel):
    """Predicted recall on the interview day for a set of live cards (unseen ones count as 0)."""

    cards: int = Field(description="Live cards.")
    predicted_recall: float | None = Field(
        description="Mean fsrs retrievability on the day over all the cards; null without cards."
    )
    at_risk: int = Field(description="Seen cards whose predicted recall on the day is below the target.")
    unseen: int = Field(description="Cards never reviewed.")
    reviews_per_day_needed: int | None = Field(
        description="Extra reviews a day from now to the day to bring these cards to the target "
        "(one per card at risk, three per unseen card); null without an interview date."
    )


class DeckReadinessRead(ReadinessFiguresRead):
    deck: str = Field(description="The deck id.")


class ReadinessRead(BaseModel):
    """How ready the caller is for the interview, per live deck (in deck order) and overall.

    Without an interview date (or once it has passed) the figures are for the present instant.
    """

    interview_date: date | None
    days_left: int | None = Field(description="Study days before the interview day; 0 on the day.")
    at: datetime = Field(description="The instant recall is predicted for: the interview day's start.")
    target: float = Field(description="The recall wanted on the day (`target_retention_on_the_day`).")
    daily_cap: int = Field(description="Most reviews a day the plan asks for (set, or the default).")
    typical_day: int = Field(description="The median day of the 30-day due forecast.")
    can_reach: bool | None = Field(
        description="Whether a typical day plus the reviews needed fits within the cap; null without a date."
    )
    overall: ReadinessFiguresRead
    decks: list[DeckReadinessRead]
