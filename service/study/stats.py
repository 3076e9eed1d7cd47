"""Study statistics, computed by SQL aggregates over index ranges; no log row is loaded into Python.

Day boundaries come from :mod:`service.study.days` (user's time zone and day-start hour, DST-aware);
the database groups by joining a VALUES table of ``[start, end)`` ranges to the indexed timestamp, which
SQLite and PostgreSQL both answer with one index range scan per day.

- True retention (Anki's definition): among reviews of cards that were in the review state, the share
  not rated Again; per day and over the whole window.
- Forecast: live cards falling due on each of the next 30 study days; overdue cards count today.
- Deck counts come from the maintained ``deck_progress`` rows, not from counting states.
- Streak: consecutive study days with a review, ending today, or yesterday when today has none yet;
  checked in growing chunks of days (one index seek per day), so a long streak costs a few queries.
- Numeric accuracy: numeric reviews in the window per verifier topic, with the most frequent
  misconceptions.
- Remediation: misconceptions named (remediations opened), cleared and still open, over all time,
  and the most persistent (:func:`remediation.remediation_stats`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import verifier
from service.interview import remediation
from service.study import days, progress, repository
from service.study import settings as study_settings
from service.study.schemas import (
    DayCountRead,
    DayRetentionRead,
    DeckStatsRead,
    ForecastRead,
    MisconceptionCountRead,
    StatsRead,
    TopicStatsRead,
)

FORECAST_DAYS = 30
STREAK_FIRST_CHUNK = 32
STREAK_MAX_DAYS = 20 * 365
TOP_MISCONCEPTIONS = 3
# The lower bound of "overdue": earlier than any review could have been scheduled.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def _topic(generator_id: str) -> str:
    try:
        return verifier.get(generator_id).topic
    except verifier.UnknownGeneratorError:
        return generator_id.split(".", 1)[0]


def _edges(study_days: list[days.StudyDay]) -> list[datetime]:
    """The boundaries of consecutive days: each day's start, then the last day's end."""
    return [day.start for day in study_days] + [study_days[-1].end]


def _streak(session: Session, *, user_id: int, today: days.StudyDay, tz: ZoneInfo, hour: int) -> int:
    streak = 0
    end = today.date
    chunk = STREAK_FIRST_CHUNK
    while streak < STREAK_MAX_DAYS:
        first = end - timedelta(days=chunk - 1)
        chunk_days = days.study_days(first, chunk, tz=tz, hour=hour)
        active = repository.active_buckets(session, user_id=user_id, edges=_edges(chunk_days))
        for index in range(chunk - 1, -1, -1):
            if index in active:
                streak += 1
            elif chunk_days[index].date != today.date:
                return streak  # today without a review yet does not break the streak
        end = first - timedelta(days=1)
        chunk *= 2
    return streak


def due_forecast(
    session: Session, *, user_id: int, today: days.StudyDay, tz: ZoneInfo, hour: int
) -> list[ForecastRead]:
    """Live cards due on each of the next ``FORECAST_DAYS`` study days; overdue ones count today."""
    ahead = days.study_days(today.date, FORECAST_DAYS, tz=tz, hour=hour)
    due = repository.due_by_day(session, user_id=user_id, edges=[BEGINNING, *_edges(ahead)[1:]])
    return [ForecastRead(date=d.date, due=due.get(i, 0)) for i, d in enumerate(ahead)]


def get_stats(session: Session, *, user_id: int, days_back: int, now: datetime) -> StatsRead:
    """The caller's statistics over the last ``days_back`` study days, today included."""
    settings_row, _spec = study_settings.load(session, user_id)
    tz = days.zone(settings_row.timezone)
    hour = settings_row.day_start_hour
    today = days.today(now, tz=tz, hour=hour)

    window = days.study_days(today.date - timedelta(days=days_back - 1), days_back, tz=tz, hour=hour)
    by_day = repository.reviews_by_day(session, user_id=user_id, edges=_edges(window))
    reviews_per_day = []
    retention_per_day = []
    review_state_total = passed_total = 0
    for index, day in enumerate(window):
        counts = by_day.get(index, repository.DayReviews(0, 0, 0))
        reviews_per_day.append(DayCountRead(date=day.date, count=counts.reviews))
        retention = counts.review_state_passed / counts.review_state if counts.review_state else None
        retention_per_day.append(
            DayRetentionRead(date=day.date, retention=retention, reviews=counts.review_state)
        )
        review_state_total += counts.review_state
        passed_total += counts.review_state_passed

    forecast = due_forecast(session, user_id=user_id, today=today, tz=tz, hour=hour)

    decks = [
        DeckStatsRead(deck=d.deck.id, new=d.new, learning=d.learning, review=d.young, mature=d.mature)
        for d in progress.deck_counts(session, settings_row)
    ]

    topics: dict[str, list[repository.NumericCounts]] = defaultdict(list)
    for row in repository.numeric_reviews(session, user_id=user_id, since=window[0].start):
        topics[_topic(row.generator_id)].append(row)
    numeric = []
    for topic, rows in sorted(topics.items()):
        attempts = sum(r.attempts for r in rows)
        correct = sum(r.correct for r in rows)
        misconceptions: dict[str, int] = defaultdict(int)
        for r in rows:
            if r.misconception is not None:
                misconceptions[r.misconception] += r.attempts
        top = sorted(misconceptions.items(), key=lambda item: (-item[1], item[0]))[:TOP_MISCONCEPTIONS]
        numeric.append(
            TopicStatsRead(
                topic=topic,
                attempts=attempts,
                correct=correct,
                accuracy=correct / attempts,
                misconceptions=[MisconceptionCountRead(id=m, count=n) for m, n in top],
            )
        )

    return StatsRead(
        reviews_per_day=reviews_per_day,
        retention_per_day=retention_per_day,
        retention_overall=passed_total / review_state_total if review_state_total else None,
        forecast=forecast,
        decks=decks,
        streak=_streak(session, user_id=user_id, today=today, tz=tz, hour=hour),
        numeric=numeric,
        remediation=remediation.remediation_stats(session, user_id=user_id),
    )
