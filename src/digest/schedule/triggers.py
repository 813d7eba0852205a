"""Standard cron and interval schedules as APScheduler 3.11 triggers.

Why not ``CronTrigger.from_crontab``: it numbers weekdays from Monday = 0, so the crontab
``1-5`` (Monday-Friday everywhere else) would mean Tuesday-Saturday. Here every field is
parsed with cron's own rules (``0``/``7`` = Sunday, names, ranges, steps, lists, the
``@daily`` shortcuts, and "day-of-month OR day-of-week" when both are restricted) and handed
to APScheduler as explicit values, with weekdays as names.

Why a subclass: on the autumn DST night a wall-clock time between 02:00 and 03:00 (Europe)
happens twice, and APScheduler 3.11 fires a ``30 2 * * *`` job at both. Like Vixie cron, a
job with a fixed hour runs once (at the first occurrence); a job whose hour is ``*`` keeps
running on real time. On the spring night the missing 02:30 fires once, at 03:30 local.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 = Sunday
APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler numbering: 0 = Monday

SHORTCUTS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()
    names_start: int = 0


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("day of week", 0, 7, CRON_DAYS, 0),
)


@dataclass(frozen=True)
class CronSpec:
    """A parsed 5-field cron expression: the set of values each field allows."""

    expression: str
    minute: frozenset[int]
    hour: frozenset[int]
    day: frozenset[int]
    month: frozenset[int]
    weekdays: frozenset[int]  # cron numbering, 0 = Sunday (7 folded into 0)
    day_restricted: bool  # field did not start with "*": cron ORs day and weekday then
    weekday_restricted: bool
    hour_wildcard: bool


def _value(token: str, f: _Field) -> int:
    token = token.strip().lower()
    if token.isdigit():
        value = int(token)
    elif token in f.names:
        value = f.names.index(token) + f.names_start
    else:
        hint = f" or a name ({f.names[0]}..{f.names[-1]})" if f.names else ""
        raise ValueError(f'{f.name}: "{token}" is not a number {f.lo}-{f.hi}{hint}')
    if not f.lo <= value <= f.hi:
        raise ValueError(f"{f.name}: {value} is out of range {f.lo}-{f.hi}")
    return value


def _parse_field(text: str, f: _Field) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f'{f.name}: empty item in "{text}"')
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f'{f.name}: step "{step_text}" must be a whole number >= 1')
            step = int(step_text)
        if base == "*":
            lo, hi = f.lo, f.hi
        elif "-" in base:
            first, _, last = base.partition("-")
            lo, hi = _value(first, f), _value(last, f)
            if lo > hi:
                raise ValueError(f'{f.name}: range "{base}" runs backwards')
        else:
            lo = _value(base, f)
            hi = f.hi if step_text else lo  # "5/15" = from 5 to the end, every 15 (Vixie)
        values.update(range(lo, hi + 1, step))
    return values


_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def parse_cron(expression: str) -> CronSpec:
    """Parse a standard cron expression; raise ValueError naming the bad field."""
    if not isinstance(expression, str):
        raise ValueError(f"expected a cron expression string, got {expression!r}")
    text = " ".join(expression.split())
    text = SHORTCUTS.get(text.lower(), text)
    parts = text.split(" ")
    if len(parts) != 5:
        raise ValueError(
            f'expected 5 fields "minute hour day-of-month month day-of-week" (like "0 7 * * 1-5"), '
            f'got {len(parts)} in "{expression}"'
        )
    minute, hour, day, month, weekday = (_parse_field(p, f) for p, f in zip(parts, FIELDS, strict=True))
    weekdays = frozenset(d % 7 for d in weekday)
    if not parts[2].startswith("*") and parts[4].startswith("*"):
        longest = max(_MONTH_DAYS[m] for m in month)
        if min(day) > longest:
            months = ", ".join(str(m) for m in sorted(month))
            raise ValueError(
                f'"{expression}" never fires: no month {months} has a day {min(day)}; '
                "check the day-of-month and month fields"
            )
    return CronSpec(
        expression=text,
        minute=frozenset(minute),
        hour=frozenset(hour),
        day=frozenset(day),
        month=frozenset(month),
        weekdays=weekdays,
        day_restricted=not parts[2].startswith("*"),
        weekday_restricted=not parts[4].startswith("*"),
        hour_wildcard=parts[1] == "*",
    )


def _compact(values: frozenset[int], lo: int, hi: int) -> str:
    """Sorted values as APScheduler field text: "*" when all, runs as "a-b"."""
    if set(values) == set(range(lo, hi + 1)):
        return "*"
    ordered = sorted(values)
    runs: list[str] = []
    start = prev = ordered[0]
    for v in [*ordered[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}" if prev > start + 1 else f"{start},{prev}")
        if v is not None:
            start = prev = v
    return ",".join(runs)


def aps_day_of_week(weekdays: frozenset[int]) -> str:
    """Cron weekdays (0 = Sunday) as APScheduler weekday names, e.g. {1..5} -> "mon-fri"."""
    if len(weekdays) == 7:
        return "*"
    aps = sorted((d - 1) % 7 for d in weekdays)  # cron 1 (Mon) -> 0, cron 0 (Sun) -> 6
    runs: list[list[int]] = []
    for d in aps:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(APS_DAYS[r[0]] if len(r) == 1 else f"{APS_DAYS[r[0]]}-{APS_DAYS[r[-1]]}" for r in runs)


class WallClockCronTrigger(CronTrigger):
    """A CronTrigger that fires a fixed-hour job once when DST repeats a wall-clock hour."""

    __slots__ = ()

    def _fires_on_real_time(self) -> bool:
        hour = self.fields[CronTrigger.FIELD_NAMES.index("hour")]
        return str(hour) == "*"

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        nxt: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while nxt is not None and _is_repeat(nxt) and not self._fires_on_real_time():
            nxt = super().get_next_fire_time(nxt, nxt)
        if nxt is not None:
            # normalise: a spring-gap 02:30 (which does not exist) becomes the real 03:30
            nxt = datetime.fromtimestamp(nxt.timestamp(), self.timezone)
        return nxt


def _is_repeat(moment: datetime) -> bool:
    """The second occurrence of an ambiguous local time (autumn DST)."""
    if moment.fold != 1:
        return False
    return moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()


def cron_trigger(expression: str, timezone: str | tzinfo) -> BaseTrigger:
    """The APScheduler trigger for a standard cron expression in a time zone."""
    spec = parse_cron(expression)
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    common = {
        "minute": _compact(spec.minute, 0, 59),
        "hour": _compact(spec.hour, 0, 23),
        "month": _compact(spec.month, 1, 12),
        "timezone": tz,
    }
    day = _compact(spec.day, 1, 31)
    dow = aps_day_of_week(spec.weekdays)
    if spec.day_restricted and spec.weekday_restricted:
        # cron runs when EITHER the day of month OR the weekday matches ("0 7 1 * mon")
        return OrTrigger(
            [
                WallClockCronTrigger(day=day, day_of_week="*", **common),
                WallClockCronTrigger(day="*", day_of_week=dow, **common),
            ]
        )
    return WallClockCronTrigger(day=day, day_of_week=dow, **common)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")


_MAX_DURATION = 10 * 366 * 86400  # longer is a typo, and overflows timedelta soon after


def parse_duration(value: object) -> timedelta:
    """ "15m", "6h", "5s", "1d", "1h30m" or a number of seconds -> timedelta (> 0)."""
    if isinstance(value, bool):
        raise ValueError(f'expected a duration like "15m", got {value!r}')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            seconds = float(text)
        else:
            pos, seconds = 0, 0.0
            for m in _DURATION.finditer(text):
                if m.start() != pos:
                    break
                seconds += int(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if not text or pos != len(text):
                raise ValueError(f'expected a duration like "30s", "15m", "6h", "1d" or "1h30m", got "{value}"')
    else:
        raise ValueError(f'expected a duration like "15m", got {value!r}')
    if seconds != seconds or seconds <= 0:  # NaN compares false with everything
        raise ValueError(f"expected a duration above zero, got {value!r}")
    if seconds > _MAX_DURATION:
        raise ValueError(f"expected at most 10 years, got {value!r}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """timedelta -> the shortest "1h30m" form (whole seconds)."""
    seconds = int(delta.total_seconds())
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out) or "0s"


def interval_trigger(every: timedelta, timezone: str | tzinfo, start: datetime | None = None) -> IntervalTrigger:
    """Every N seconds of real time (DST does not stretch or shrink an interval).

    The grid is anchored at Monday 2000-01-03 00:00 in the job's zone (not at "now"), so
    "15m" fires at :00, :15, :30, :45 and a restart does not shift the schedule.
    """
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    anchor = start or datetime(2000, 1, 3, tzinfo=tz)
    return IntervalTrigger(seconds=int(every.total_seconds()), timezone=tz, start_date=anchor)


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime, limit: int = 100_000) -> list[datetime]:
    """Every fire time of a trigger in [start, end): for `schedule list` and for tests."""
    out: list[datetime] = []
    prev: datetime | None = None
    now = start
    while len(out) < limit:
        nxt = trigger.get_next_fire_time(prev, now)
        if nxt is None or nxt >= end:
            break
        out.append(nxt)
        prev = now = nxt
    return out
