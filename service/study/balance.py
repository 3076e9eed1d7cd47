"""Load balancing and easy days (Anki 24.11): how loaded each day of a review's fuzz window is.

fsrs's fuzz spreads reviews at random over a few days; load balancing instead puts a review on the day
of that window with the fewest cards due (:func:`scheduler.balanced_interval`). The load depends on the
rest of the collection, which a replay of one card's log cannot see, so the scores a review used are
stored on its log entry (``review_logs.balance``) and a replay reads them back: the due date stays a
function of the log.

A day's score is ``cards due that study day + 1``, doubled on an easy day, so an easy day is chosen
only when it is clearly lighter (an empty easy day ties with a normal day holding one card).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.study import days, repository
from service.study.repository import SettingsRow

EASY_DAY_FACTOR = 2


def day_scores(
    session: Session, settings_row: SettingsRow, *, now: datetime, low: int, high: int
) -> list[int]:
    """One score per interval ``low``..``high`` days after ``now``: the study day that due date falls
    in, scored by its live cards due (one grouped query over the window)."""
    tz, hour = days.zone(settings_row.timezone), settings_row.day_start_hour
    first = days.study_date(now + timedelta(days=low), tz=tz, hour=hour)
    targets = [days.study_date(now + timedelta(days=k), tz=tz, hour=hour) for k in range(low, high + 1)]
    window = days.study_days(first, (targets[-1] - first).days + 1, tz=tz, hour=hour)
    edges = [day.start for day in window] + [window[-1].end]
    due = repository.due_by_day(session, user_id=settings_row.user_id, edges=edges)
    easy = set(settings_row.easy_days)
    scores = []
    for target in targets:
        count = due.get((target - first).days, 0) + 1
        scores.append(count * EASY_DAY_FACTOR if target.weekday() in easy else count)
    return scores


class Recorder:
    """A :data:`scheduler.Balance` reading the database, which remembers what it answered so that the
    review can store it (``[first interval, score, ...]``; None when it was not asked)."""

    def __init__(self, session: Session, settings_row: SettingsRow, *, now: datetime) -> None:
        self._session = session
        self._settings_row = settings_row
        self._now = now
        self.record: list[int] | None = None

    def __call__(self, low: int, high: int) -> Sequence[int]:
        scores = day_scores(self._session, self._settings_row, now=self._now, low=low, high=high)
        self.record = [low, *scores]
        return scores


def live_balance(session: Session, settings_row: SettingsRow, *, now: datetime) -> Recorder | None:
    """The balance a review at ``now`` uses (a :data:`scheduler.Balance`): None when the user has
    load balancing off."""
    if not settings_row.load_balancing:
        return None
    return Recorder(session, settings_row, now=now)
