"""Lenient date reading: bounces carry dates in many shapes, and one without any usable date
is not reported (it is usually not a bounce but a forwarded or broken message).

Ported from Sisimai 4.25's DateTime module (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

from digest.mailing.bounces._text import rx

_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_COMMA_DIGIT = rx(r"[,](\d+)")
_DIGIT_COMMA = rx(r"(\d{1,2}),")
_WORD = rx(r"\A[A-Z][a-z]{2,}[,]?\Z")
_NUMBER = rx(r"\A\d{1,4}\Z")
_HMS = rx(r"\A([0-2]\d):([0-5]\d):([0-5]\d)\Z")
_HMS_LOOSE = rx(r"\A(\d{1,2})[-:](\d{1,2})[-:](\d{1,2})\Z")
_HM = rx(r"\A([0-2]\d):([0-5]\d)\Z")
_HM_LOOSE = rx(r"\A(\d\d?):(\d\d?)\Z")
_AMPM = rx(r"\A[APap][Mm]\Z")
_OFFSET = rx(r"\A[-+][01]\d{3}\Z")
_ZONE = rx(r"\A[(]?[A-Z]{2,5}[)]?\Z")
_ISO_DATE = rx(r"\A(\d{4})[-/](\d{1,2})[-/](\d{1,2})\Z")
_ISO_DATETIME = rx(r"\A(\d{4})[-/](\d{1,2})[-/](\d{1,2})T([0-2]\d):([0-5]\d):([0-5]\d)\Z")
_US_SHORT = rx(r"\A(\d{1,2})/(\d{1,2})/(\d{1,2})\Z")
_DMY = rx(r"\A(\d{1,2})[-/](\d{1,2})[-/](\d{4})")


def _month(number: int) -> str | None:
    return _MONTHS[number - 1] if 1 <= number <= 12 else None


def parse(text: str) -> tuple[int, str, int, str] | None:
    """(year, month, day, HH:MM:SS) of a free-form date, or None when it has no full date."""
    if not text:
        return None
    text = _DIGIT_COMMA.sub(r"\1", _COMMA_DIGIT.sub(r", \1", text, count=1), count=1)
    year: int | None = None
    month: str | None = None
    day: int | None = None
    clock: str | None = None
    alt_year: int | None = None
    afternoon = False

    for p in text.split():
        if _WORD.match(p):
            p = p.rstrip(",")[:3]
            if p in _MONTHS:
                month = p
        elif _NUMBER.match(p):
            n = int(p)
            if n > 31:
                year = n
            elif day:
                if not year:
                    alt_year = n
            else:
                day = n
        elif (m := _HMS.match(p) or _HMS_LOOSE.match(p)) is not None:
            h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if h < 24 and mi < 60 and s < 60:
                clock = f"{h:02d}:{mi:02d}:{s:02d}"
        elif (m := _HM.match(p)) is not None:
            if int(m.group(1)) < 24 and int(m.group(2)) < 60:
                clock = f"{int(m.group(1)):02d}:{int(m.group(2)):02d}:00"
        elif (m := _HM_LOOSE.match(p)) is not None:
            clock = f"{int(m.group(1)):02d}:{int(m.group(2)):02d}:00"
        elif _AMPM.match(p):
            afternoon = True
        elif _OFFSET.match(p) or _ZONE.match(p):
            continue
        elif (m := _ISO_DATE.match(p)) is not None:
            year, month, day = int(m.group(1)), _month(int(m.group(2))), int(m.group(3))
        elif (m := _ISO_DATETIME.match(p)) is not None:
            year, month = int(m.group(1)), _month(int(m.group(2)))
            if int(m.group(3)) < 32:
                day = int(m.group(3))
            h, mi, s = int(m.group(4)), int(m.group(5)), int(m.group(6))
            if h < 24 and mi < 60 and s < 60:
                clock = f"{h:02d}:{mi:02d}:{s:02d}"
        elif (m := _US_SHORT.match(p)) is not None:
            month, day, year = _month(int(m.group(1))), int(m.group(2)), int(m.group(3)) + 2000
        elif (m := _DMY.match(p)) is not None:
            if int(m.group(1)) < 32:
                day = int(m.group(1))
            month, year = _month(int(m.group(2))), int(m.group(4 - 1))

    if clock and afternoon:
        hour = int(clock[:2])
        if hour + 12 <= 99 and hour <= 12:
            clock = f"{hour + 12:02d}{clock[2:]}"
    if year is not None and year < 200:
        year += 1900
    if alt_year is not None and not year:
        year = 1900 + alt_year if alt_year >= 82 else 2000 + alt_year
    if year is None or month is None or day is None or clock is None:
        return None
    if year < 1902 or year > 2037:
        return None
    return year, month, day, clock


def is_usable(text: str) -> bool:
    """True when ``text`` parses to a real calendar time (day 1-31, hour below 24)."""
    parsed = parse(text)
    if parsed is None:
        return False
    _, _, day, clock = parsed
    return 1 <= day <= 31 and int(clock[:2]) < 24
