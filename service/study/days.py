"""Study days: a day starts at the user's ``day_start_hour`` in the user's time zone (Anki's "next day
starts at"), so a late-night session counts towards the day it belongs to.

Boundaries are computed here in Python, with ``zoneinfo`` handling daylight saving time; SQL only
compares stored UTC timestamps with them, which works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def known_timezones() -> frozenset[str]:
    """Every IANA zone name this system knows."""
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; callers validate names with :func:`known_timezones` first."""
    return ZoneInfo(name)


def day_start(day: date, *, tz: ZoneInfo, hour: int) -> datetime:
    """The UTC instant study day ``day`` begins: ``hour``:00 local time on that date."""
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def study_date(now: datetime, *, tz: ZoneInfo, hour: int) -> date:
    """The study day ``now`` falls in: before ``hour`` local time it is still the previous date."""
    local = now.astimezone(tz)
    return local.date() - timedelta(days=1) if local.hour < hour else local.date()


@dataclass(frozen=True, slots=True)
class StudyDay:
    """One study day: its date and its half-open UTC range ``[start, end)``."""

    date: date
    start: datetime
    end: datetime


def study_days(first: date, count: int, *, tz: ZoneInfo, hour: int) -> list[StudyDay]:
    """``count`` consecutive study days from ``first``; a DST change makes a day 23 or 25 hours long."""
    starts = [day_start(first + timedelta(days=i), tz=tz, hour=hour) for i in range(count + 1)]
    return [StudyDay(first + timedelta(days=i), starts[i], starts[i + 1]) for i in range(count)]


def today(now: datetime, *, tz: ZoneInfo, hour: int) -> StudyDay:
    """The study day that contains ``now``."""
    return study_days(study_date(now, tz=tz, hour=hour), 1, tz=tz, hour=hour)[0]
