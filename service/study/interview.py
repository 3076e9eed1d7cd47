"""The interview plan: with an interview date set, bring cards forward so recall on that day reaches
the user's target, within a daily workload cap; and the readiness report that measures it.

Recall on the day is fsrs's retrievability at the start of the interview's study day, from each card's
stability (:func:`scheduler.recall_curve`, evaluated in SQL by :mod:`interview_repository`). The plan
changes only *which* card the queue offers and *when*; the review itself is an ordinary fsrs review
at that time (fsrs handles early reviews), logged and replayable like any other.

- Brought forward: review cards whose recall on the day is below the target and that fsrs would not
  show again before the day (due at or after it), lowest recall first, at most once per card and study
  day, while the day's reviews are below the cap.
- New cards: the day's new-card limit is raised so that the cards never seen are spread evenly over
  the study days left (still within the cap).
- The cap is the user's ``daily_cap``, or the due forecast's median day x 1.5 (at least
  :data:`CAP_FLOOR`, so a new collection can still be learnt).
"""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime

from sqlalchemy.orm import Session

from service.db.models import Card, CardState
from service.study import days, interview_repository, progress, scheduler, stats
from service.study import settings as study_settings
from service.study.repository import SettingsRow
from service.study.schemas import DeckReadinessRead, ReadinessFiguresRead, ReadinessRead

CAP_FACTOR = 1.5
CAP_FLOOR = 50
# Reviews a never-seen card takes to reach a review interval: the first one and fsrs's two learning steps.
NEW_CARD_REVIEWS = 3


def active_date(settings_row: SettingsRow, today: days.StudyDay) -> date | None:
    """The interview date while it is today or later; None when unset or past."""
    day = settings_row.interview_date
    return day if day is not None and day >= today.date else None


def daily_cap(session: Session, settings_row: SettingsRow, *, today: days.StudyDay) -> tuple[int, int]:
    """(the cap in force, the forecast's median day)."""
    forecast = stats.due_forecast(
        session,
        user_id=settings_row.user_id,
        today=today,
        tz=days.zone(settings_row.timezone),
        hour=settings_row.day_start_hour,
    )
    typical = int(statistics.median(day.due for day in forecast))
    if settings_row.daily_cap is not None:
        return settings_row.daily_cap, typical
    return max(CAP_FLOOR, math.ceil(typical * CAP_FACTOR)), typical


def _interview_start(settings_row: SettingsRow, interview_date: date) -> datetime:
    tz = days.zone(settings_row.timezone)
    return days.day_start(interview_date, tz=tz, hour=settings_row.day_start_hour)


def _room_today(session: Session, settings_row: SettingsRow, *, today: days.StudyDay) -> int:
    """Reviews the cap still allows today."""
    cap, _typical = daily_cap(session, settings_row, today=today)
    done = interview_repository.reviews_since(session, user_id=settings_row.user_id, since=today.start)
    return max(0, cap - done)


def new_quota(
    session: Session,
    settings_row: SettingsRow,
    *,
    today: days.StudyDay,
    quota: int,
    introduced: int,
    unseen: int,
) -> int:
    """Today's remaining new-card limit: ``quota`` (the user's daily limit left), raised under an
    interview plan to see every unseen card by the day, evenly over the study days left."""
    interview_date = active_date(settings_row, today)
    if interview_date is None or unseen == 0:
        return quota
    days_left = max(1, (interview_date - today.date).days)
    wanted = math.ceil((unseen + introduced) / days_left) - introduced
    if wanted <= quota:
        return quota
    return max(quota, min(wanted, _room_today(session, settings_row, today=today)))


def brought_forward(
    session: Session,
    settings_row: SettingsRow,
    spec: scheduler.SchedulerSpec,
    *,
    today: days.StudyDay,
    deck: str | None,
) -> tuple[Card, CardState] | None:
    """The card most at risk on the interview day, to review now; None without a plan, a card at risk,
    or room under the cap."""
    interview_date = active_date(settings_row, today)
    if interview_date is None or _room_today(session, settings_row, today=today) == 0:
        return None
    return interview_repository.most_at_risk(
        session,
        user_id=settings_row.user_id,
        at=_interview_start(settings_row, interview_date),
        curve=scheduler.recall_curve(spec),
        target=settings_row.target_retention_on_the_day,
        reviewed_before=today.start,
        deck=deck,
    )


def _figures(
    *, cards: int, seen: int, recall_sum: float, at_risk: int, days_left: int | None
) -> dict[str, int | float | None]:
    unseen = max(0, cards - seen)
    needed = None
    if days_left is not None:
        needed = math.ceil((at_risk + NEW_CARD_REVIEWS * unseen) / max(1, days_left))
    return {
        "cards": cards,
        "predicted_recall": recall_sum / cards if cards else None,
        "at_risk": at_risk,
        "unseen": unseen,
        "reviews_per_day_needed": needed,
    }


def readiness(session: Session, *, user_id: int, now: datetime) -> ReadinessRead:
    """Predicted recall on the interview day per live deck and overall, with what it takes to reach the
    target: two grouped queries over the user's states and the due forecast."""
    settings_row, spec = study_settings.load(session, user_id)
    tz, hour = days.zone(settings_row.timezone), settings_row.day_start_hour
    today = days.today(now, tz=tz, hour=hour)
    interview_date = active_date(settings_row, today)
    at = now if interview_date is None else _interview_start(settings_row, interview_date)
    days_left = None if interview_date is None else (interview_date - today.date).days
    target = settings_row.target_retention_on_the_day
    recall = interview_repository.recall_by_deck(
        session, user_id=user_id, at=at, curve=scheduler.recall_curve(spec), target=target
    )
    _version, live = progress.live_decks(session)
    empty = interview_repository.DeckRecall(seen=0, recall_sum=0.0, at_risk=0)
    decks = []
    for deck in live:
        found = recall.get(deck.id, empty)
        decks.append(
            DeckReadinessRead(
                deck=deck.id,
                **_figures(
                    cards=deck.cards,
                    seen=found.seen,
                    recall_sum=found.recall_sum,
                    at_risk=found.at_risk,
                    days_left=days_left,
                ),
            )
        )
    overall = ReadinessFiguresRead(
        **_figures(
            cards=sum(d.cards for d in decks),
            seen=sum(d.cards - d.unseen for d in decks),
            recall_sum=sum(recall.get(d.deck, empty).recall_sum for d in decks),
            at_risk=sum(d.at_risk for d in decks),
            days_left=days_left,
        )
    )
    cap, typical = daily_cap(session, settings_row, today=today)
    needed = overall.reviews_per_day_needed
    return ReadinessRead(
        interview_date=interview_date,
        days_left=days_left,
        at=at,
        target=target,
        daily_cap=cap,
        typical_day=typical,
        can_reach=None if needed is None else typical + needed <= cap,
        overall=overall,
        decks=decks,
    )
