"""Study-day boundaries: local day-start hour, the previous day before it, DST-length days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from service.study import days

BERLIN = days.zone("Europe/Berlin")


def test_before_the_start_hour_it_is_still_yesterday() -> None:
    # 02:30 UTC is 03:30 in Berlin (winter): before 04:00, so still 1 March.
    assert days.study_date(datetime(2026, 3, 2, 2, 30, tzinfo=UTC), tz=BERLIN, hour=4) == date(2026, 3, 1)
    assert days.study_date(datetime(2026, 3, 2, 3, 30, tzinfo=UTC), tz=BERLIN, hour=4) == date(2026, 3, 2)


def test_today_is_half_open_and_contains_now() -> None:
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    today = days.today(now, tz=BERLIN, hour=4)
    assert today.start == datetime(2026, 3, 2, 3, tzinfo=UTC) and today.end == datetime(
        2026, 3, 3, 3, tzinfo=UTC
    )
    assert today.start <= now < today.end


def test_dst_days_are_23_and_25_hours_long() -> None:
    # Berlin switches at 02:00 on 29 March and 25 October: the study days starting the day before change.
    spring = days.study_days(date(2026, 3, 28), 1, tz=BERLIN, hour=4)[0]
    autumn = days.study_days(date(2026, 10, 24), 1, tz=BERLIN, hour=4)[0]
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_consecutive_days_tile_time() -> None:
    window = days.study_days(date(2026, 1, 1), 400, tz=days.zone("America/Sao_Paulo"), hour=0)
    assert all(a.end == b.start for a, b in zip(window, window[1:], strict=False))
    assert [d.date for d in window[:2]] == [date(2026, 1, 1), date(2026, 1, 2)]


def test_known_timezones_are_iana_names() -> None:
    assert {"UTC", "Europe/Berlin", "Asia/Kolkata"} <= days.known_timezones()
    assert "Mars/Olympus" not in days.known_timezones()
