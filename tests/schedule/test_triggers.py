"""Cron translation and DST behaviour, computed from the real APScheduler triggers."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.schedule.triggers import (
    cron_trigger,
    fire_times,
    interval_trigger,
    parse_cron,
    parse_duration,
)

LONDON = ZoneInfo("Europe/London")
PARIS = ZoneInfo("Europe/Paris")


def _gaps(times: list[datetime]) -> set[timedelta]:
    """Real elapsed time between fires (same-tz datetime subtraction ignores DST offsets)."""
    utc = [t.astimezone(UTC) for t in times]
    return {b - a for a, b in zip(utc, utc[1:], strict=False)}


def _weekdays(expression: str, tz: ZoneInfo = LONDON) -> set[str]:
    """Weekday names the job fires on over two weeks."""
    trig = cron_trigger(expression, tz)
    start = datetime(2026, 3, 2, tzinfo=tz)  # a Monday
    return {t.strftime("%a") for t in fire_times(trig, start, start + timedelta(days=14))}


def test_one_to_five_is_monday_to_friday() -> None:
    assert _weekdays("0 7 * * 1-5") == {"Mon", "Tue", "Wed", "Thu", "Fri"}


@pytest.mark.parametrize("dow", ["0", "7", "sun", "SUN"])
def test_zero_and_seven_are_sunday(dow: str) -> None:
    assert _weekdays(f"0 7 * * {dow}") == {"Sun"}


@pytest.mark.parametrize(
    ("dow", "expected"),
    [
        ("mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0-3", {"Sun", "Mon", "Tue", "Wed"}),  # wraps past APScheduler's Monday-first numbering
        ("6,0", {"Sat", "Sun"}),
        ("5-7", {"Fri", "Sat", "Sun"}),
        ("*/2", {"Sun", "Tue", "Thu", "Sat"}),  # 0,2,4,6 in cron numbering
        ("1", {"Mon"}),
        ("6", {"Sat"}),
    ],
)
def test_weekday_forms(dow: str, expected: set[str]) -> None:
    assert _weekdays(f"0 7 * * {dow}") == expected


def test_from_crontab_would_have_been_wrong() -> None:
    """The reason for our own parser: APScheduler's from_crontab reads 1-5 as Tue-Sat."""
    from apscheduler.triggers.cron import CronTrigger

    naive = CronTrigger.from_crontab("0 7 * * 1-5", timezone=LONDON)
    start = datetime(2026, 3, 2, tzinfo=LONDON)
    days = {t.strftime("%a") for t in fire_times(naive, start, start + timedelta(days=14))}
    assert days == {"Tue", "Wed", "Thu", "Fri", "Sat"}
    assert _weekdays("0 7 * * 1-5") != days


def test_day_of_month_or_weekday_like_cron() -> None:
    """cron fires when EITHER a restricted day-of-month OR a restricted weekday matches."""
    trig = cron_trigger("0 9 1 * 1", UTC)
    got = [t.date() for t in fire_times(trig, datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))]
    mondays = [date(2026, 4, d) for d in (6, 13, 20, 27)]
    assert got == [date(2026, 4, 1), *mondays]


def test_steps_lists_and_shortcuts() -> None:
    trig = cron_trigger("*/20 9-10 * * *", UTC)
    day = datetime(2026, 6, 1, tzinfo=UTC)
    got = [t.strftime("%H:%M") for t in fire_times(trig, day, day + timedelta(days=1))]
    assert got == ["09:00", "09:20", "09:40", "10:00", "10:20", "10:40"]
    assert parse_cron("@daily").expression == "0 0 * * *"
    assert parse_cron("@weekly").weekdays == frozenset({0})


def test_london_seven_am_fires_once_every_day_across_both_dst_changes() -> None:
    trig = cron_trigger("0 7 * * *", LONDON)
    times = fire_times(trig, datetime(2026, 1, 1, tzinfo=LONDON), datetime(2027, 1, 1, tzinfo=LONDON))
    per_day = Counter(t.astimezone(LONDON).date() for t in times)
    assert len(per_day) == 365 and set(per_day.values()) == {1}
    assert {t.astimezone(LONDON).strftime("%H:%M") for t in times} == {"07:00"}
    # the UTC instant moves with the clocks: 07:00 GMT in winter, 06:00 UTC in summer
    by_day = {t.astimezone(LONDON).date(): t.astimezone(UTC).hour for t in times}
    assert by_day[date(2026, 3, 28)] == 7 and by_day[date(2026, 3, 29)] == 6  # spring forward
    assert by_day[date(2026, 10, 24)] == 6 and by_day[date(2026, 10, 25)] == 7  # fall back


def test_paris_half_past_two_fires_once_on_the_autumn_night() -> None:
    trig = cron_trigger("30 2 * * *", PARIS)
    start, end = datetime(2026, 10, 24, tzinfo=PARIS), datetime(2026, 10, 27, tzinfo=PARIS)
    times = fire_times(trig, start, end)
    on_the_day = [t for t in times if t.astimezone(PARIS).date() == date(2026, 10, 25)]
    assert len(on_the_day) == 1
    assert on_the_day[0].astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30 (CEST)
    assert len(times) == 3


def test_plain_apscheduler_fires_twice_there() -> None:
    """What the guard is for: APScheduler 3.11's own CronTrigger fires at both 02:30s."""
    from apscheduler.triggers.cron import CronTrigger

    naive = CronTrigger(hour=2, minute=30, timezone=PARIS)
    day = [t for t in fire_times(naive, datetime(2026, 10, 25, tzinfo=PARIS), datetime(2026, 10, 26, tzinfo=PARIS))]
    assert len(day) == 2


def test_paris_half_past_two_on_the_spring_night_fires_once_at_half_past_three() -> None:
    trig = cron_trigger("30 2 * * *", PARIS)
    times = fire_times(trig, datetime(2026, 3, 28, 12, tzinfo=PARIS), datetime(2026, 3, 30, 12, tzinfo=PARIS))
    spring = [t.astimezone(PARIS) for t in times if t.astimezone(PARIS).date() == date(2026, 3, 29)]
    assert [t.strftime("%H:%M %Z") for t in spring] == ["03:30 CEST"]  # 02:30 does not exist that night
    assert spring[0].astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_hourly_job_keeps_real_time_through_the_repeated_hour() -> None:
    """Like Vixie cron: a job with hour "*" runs each real hour, both 02:30s included."""
    trig = cron_trigger("30 * * * *", PARIS)
    times = fire_times(trig, datetime(2026, 10, 25, 1, tzinfo=PARIS), datetime(2026, 10, 25, 4, tzinfo=PARIS))
    gaps = _gaps(times)
    assert len(times) == 4 and gaps == {timedelta(hours=1)}


def test_triggers_survive_pickling_for_the_job_store() -> None:
    for trig in (
        cron_trigger("30 2 * * 1-5", PARIS),
        cron_trigger("0 9 1 * 1", UTC),
        interval_trigger(timedelta(seconds=5), UTC),
    ):
        again = pickle.loads(pickle.dumps(trig))
        now = datetime(2026, 10, 25, tzinfo=PARIS)
        assert again.get_next_fire_time(None, now) == trig.get_next_fire_time(None, now)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0 7 * *", "expected 5 fields"),
        ("60 7 * * *", "minute: 60 is out of range 0-59"),
        ("0 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 7 32 * *", "day of month: 32"),
        ("0 7 * 13 *", "month: 13"),
        ("0 7 * * 8", "day of week: 8 is out of range 0-7"),
        ("0 7 * * fri-mon", "runs backwards"),
        ("0 7 * * funday", '"funday" is not a number'),
        ("*/0 * * * *", "step"),
    ],
)
def test_bad_cron_is_explained(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        parse_cron(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("15m", 900), ("6h", 21600), ("1d", 86400), ("1h30m", 5400), (90, 90), ("2", 2)],
)
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("bad", ["", "soon", "5x", "0s", "-5m", True, "1h 30"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_interval_is_real_time_across_dst() -> None:
    trig = interval_trigger(timedelta(hours=6), PARIS, start=datetime(2026, 10, 24, 12, tzinfo=PARIS))
    times = fire_times(trig, datetime(2026, 10, 24, 12, tzinfo=PARIS), datetime(2026, 10, 26, tzinfo=PARIS))
    gaps = _gaps(times)
    assert gaps == {timedelta(hours=6)}


def test_interval_grid_is_anchored_not_started_at_now() -> None:
    """A restart at any moment keeps the same grid: "15m" fires on the quarter hours."""
    trig = interval_trigger(timedelta(minutes=15), UTC)
    for now in (datetime(2026, 3, 2, 9, 1, 7, tzinfo=UTC), datetime(2026, 3, 2, 9, 14, 59, tzinfo=UTC)):
        assert trig.get_next_fire_time(None, now) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
