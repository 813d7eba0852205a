"""The checks behind every config value: each setting names one, so a wrong value is
reported with its key and what was expected, when the config loads."""

from __future__ import annotations

import ipaddress
import math
import re
import string
from collections.abc import Callable
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Validator = Callable[[Any], Any]


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def integer(lo: int | None = None, hi: int | None = None) -> Validator:
    if lo is not None and hi is not None:
        desc = f"an integer {lo}-{hi}"
    elif lo is not None:
        desc = f"an integer >= {lo}"
    else:
        desc = "an integer"

    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(f"expected {desc}, got {_show(value)}") from None
        if not isinstance(value, int):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {desc}, got {value}")
        return value

    return check


def number(lo: float | None = None, hi: float | None = None) -> Validator:
    desc = f"a number {lo}-{hi}" if lo is not None and hi is not None else "a number"

    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError(f"expected {desc}, got {_show(value)}") from None
        if not isinstance(value, int | float):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if not math.isfinite(value):  # nan slips through every comparison; inf stalls retries
            raise ValueError(f"expected {desc}, got {value}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {desc}, got {value}")
        return float(value)

    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {_show(value)}")


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_show(value)}")
    return value


def one_line(value: Any) -> str:
    """Text that ends up in a mail header: a CR or LF would smuggle in headers of its own."""
    checked = text(value)
    if "\r" in checked or "\n" in checked:
        raise ValueError("must be one line: a line break here would break the e-mail header")
    return checked


def optional_one_line(value: Any) -> str | None:
    return None if value is None or value == "" else one_line(value)


# What {placeholders} the subject, preheader, footer and archive_url templates may use.
TEMPLATE_FIELDS = ("title", "date", "date_long", "edition", "stories", "from_name")


def _template_check(value: str) -> str:
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write {{{{ and }}}} for literal braces") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
            raise ValueError(f"{shown}: only plain placeholders are allowed: {known}")
    return value


def template(value: Any) -> str:
    return _template_check(one_line(value))


def optional_template(value: Any) -> str | None:
    return None if value is None or value == "" else template(value)


def optional_long_template(value: Any) -> str | None:
    """A template that may span paragraphs (the footer): plain placeholders, line breaks allowed."""
    return None if value is None or value == "" else _template_check(text(value))


def backend_url(value: Any) -> str:
    """A delivery URL that can be taken apart (scheme://...); the backend checks the rest."""
    checked = one_line(value).strip()
    try:
        parts = urlsplit(checked)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc} (got {checked!r})") from None
    if not parts.scheme:
        raise ValueError(f"expected a URL like smtp://host:587 or outbox://outbox, got {checked!r}")
    return checked


def optional_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return text(value)


def choice(*options: str) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {_show(value)}")
        return value.strip().lower()

    return check


def string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {_show(value)}")
    return tuple(value)


def timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an IANA time zone name, got {_show(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'expected an IANA time zone name like "Europe/London", got "{value}"') from None
    return value


def patterns(value: Any) -> tuple[str, ...]:
    """Words (matched whole, any case) or ``re:`` regular expressions, each checked now."""
    items = string_list(value)
    for item in items:
        if item.startswith("re:"):
            try:
                re.compile(item[3:])
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {item!r} ({exc})") from None
        elif not item.strip():
            raise ValueError("expected words or re: patterns, got an empty string")
    return items


def clock_time(value: Any) -> str:
    """ "HH:MM" on a 24-hour clock, or "" for none."""
    if value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        raise ValueError(f'expected a time like "07:30" (24-hour clock) or "", got {_show(value)}')
    return value.strip()


def _loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_base_url(value: Any) -> str | None:
    """The service's public address: https (plain http only on a loopback host, for testing),
    no query or fragment; returned without a trailing slash so paths can be appended."""
    if value is None or value == "":
        return None
    checked = one_line(value).strip()
    try:
        parts = urlsplit(checked)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc} (got {checked!r})") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"expected an address like https://news.example.org, got {checked!r}")
    if parts.scheme == "http" and not _loopback_host(host):
        raise ValueError(f"expected https:// (plain http only for a loopback host like 127.0.0.1), got {checked!r}")
    if parts.query or parts.fragment or not checked.isascii() or " " in checked:
        raise ValueError(f"expected a plain ASCII address with no query or fragment, got {checked!r}")
    return checked.rstrip("/")


# "10/hour", "5 per minute", "2/3 days": a single rate in the limits library's notation.
_SIMPLE_RATE = re.compile(r"[0-9]+\s*(?:/|\s*per\s*)\s*(?:[0-9]+\s*)?(?:second|minute|hour|day|month|year)s?")


def rate_limit(value: Any) -> str:
    """A rate like "10/hour" or "5 per minute" (the limits library's notation)."""
    checked = text(value).strip()
    if _SIMPLE_RATE.fullmatch(checked):
        return checked  # the common form needs no parser: importing limits costs 0.1 s of start-up
    import limits

    try:
        limits.parse(checked)
    except ValueError:
        raise ValueError(f'expected a rate like "10/hour" or "3 per day", got {_show(value)}') from None
    return checked


def colour(value: Any) -> str:
    checked = text(value).strip()
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", checked):
        raise ValueError(f'expected a colour like "#1a56db", got {_show(value)}')
    return checked.lower()


def list_names(value: Any) -> tuple[str, ...]:
    names = string_list(value)
    for name in names:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
            raise ValueError(f"expected list names (lowercase letters, digits, '.', '_' and '-'), got {_show(name)}")
    return names


def setting(default: Any, check: Validator, doc: str = "") -> Any:
    """A dataclass field whose value is validated with ``check`` when loaded."""
    if isinstance(default, list | dict):

        def factory(d: Any = default) -> Any:
            return type(d)(d)

        return field(default_factory=factory, metadata={"check": check, "doc": doc})
    return field(default=default, metadata={"check": check, "doc": doc})


SOCIAL_PLATFORMS = ("x", "bluesky", "mastodon", "linkedin", "threads")


def platform_list(value: Any) -> tuple[str, ...]:
    names = tuple(v.strip().lower() for v in string_list(value))
    unknown = [n for n in names if n not in SOCIAL_PLATFORMS]
    if unknown:
        raise ValueError(f"expected platforms among {', '.join(SOCIAL_PLATFORMS)}, got {_show(unknown[0])}")
    return names


_DURATION = re.compile(r"(\d+)\s*(s|m|h|d)?")


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str) -> int:
    """Seconds in a checked duration ("90s", "10m", "2h", "1d"; a bare number is seconds)."""
    m = _DURATION.fullmatch(value.strip().lower())
    if m is None:
        raise ValueError(f'expected a duration like "10m", "90s" or "1h", got {_show(value)}')
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2) or "s"]


def duration(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f'expected a duration like "10m", "90s" or "1h", got {_show(value)}')
    seconds = duration_seconds(value)
    if seconds > 7 * 86400:
        raise ValueError(f"expected at most a week, got {_show(value)}")
    return value.strip().lower()


ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


PUBLISH_PLATFORMS = ("mastodon", "bluesky", "x")


def account_name(value: Any) -> str:
    checked = text(value).strip()
    if not ACCOUNT_NAME.fullmatch(checked):
        raise ValueError(f"expected 1-64 letters, digits, '.', '_' or '-', got {_show(value)}")
    return checked


def platform_name(value: Any) -> str:
    """A built-in platform, or any other plain name (a plugin's; checked when the account is used)."""
    checked = text(value).strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", checked):
        raise ValueError(f"expected a platform like {', '.join(PUBLISH_PLATFORMS)}, got {_show(value)}")
    return checked


def optional_http_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    checked = one_line(value).strip()
    parts = urlsplit(checked)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL like https://mastodon.social, got {_show(value)}")
    return checked.rstrip("/")
