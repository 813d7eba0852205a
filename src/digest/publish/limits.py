"""Rate limits and retries, the same for every platform.

Each platform says how much is left in its own words: Mastodon ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (an ISO time), Bluesky ``ratelimit-remaining`` and ``ratelimit-reset``
(Unix seconds), X ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (Unix seconds); a 429
may add ``Retry-After`` (seconds or an HTTP date). Times are measured against the server's own
``Date`` header when it sends one, so a skewed local clock neither shortens nor stretches a wait.

Every wait is bounded (``RetryPolicy.max_wait``): a limit that resets in an hour makes the post
fail with a line saying when to try again, rather than hanging a scheduled run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

REMAINING_HEADERS = ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining")
RESET_HEADERS = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
_EPOCH_THRESHOLD = 1_000_000_000  # a reset below this is a number of seconds, above it a Unix time


@dataclass(frozen=True)
class RetryPolicy:
    """How often to retry transient failures and how long to wait for a rate limit."""

    attempts: int = 4  # tries in all for 5xx and timeouts
    backoff: float = 1.0  # seconds before the second try; doubles after each failure
    max_backoff: float = 30.0
    max_wait: float = 120.0  # the longest rate-limit wait honoured; a longer one fails the post
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def backoff_after(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed try (1, 2, ...)."""
        return float(min(self.backoff * (2 ** max(failures - 1, 0)), self.max_backoff))


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _http_date(value: str) -> float | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def server_now(headers: Mapping[str, str], local_now: float | None = None) -> float:
    """The server's clock (its Date header), else ours."""
    date = _lower(headers).get("date")
    stamp = _http_date(date) if date else None
    return stamp if stamp is not None else (time.time() if local_now is None else local_now)


def _reset_at(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        return number if number >= _EPOCH_THRESHOLD else now + number
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _http_date(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def wait_seconds(headers: Mapping[str, str], local_now: float | None = None) -> float | None:
    """Seconds until a rate-limited request may be tried again; None when the headers do not say."""
    lower = _lower(headers)
    now = server_now(lower, local_now)
    retry = lower.get("retry-after")
    if retry is not None:
        try:
            seconds = float(retry)
        except ValueError:
            stamp = _http_date(retry)
            seconds = stamp - now if stamp is not None else math.nan
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    for name in RESET_HEADERS:
        if name in lower:
            at = _reset_at(lower[name], now)
            if at is not None:
                return max(at - now, 0.0)
    return None


def remaining(headers: Mapping[str, str]) -> int | None:
    lower = _lower(headers)
    for name in REMAINING_HEADERS:
        if name in lower:
            try:
                return int(float(lower[name]))
            except ValueError:
                return None
    return None


class RateWindow:
    """What the platform last said is left; asks for a pause before the next request when nothing is.

    ``update`` takes every response's headers; ``pause_needed`` is the wait before the next
    request (0 while the budget lasts). It is measured on the monotonic clock from the moment
    the headers arrived, so it shrinks while other work goes on.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._resume_at = 0.0
        self.remaining: int | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        left = remaining(headers)
        if left is None:
            return
        self.remaining = left
        if left > 0:
            self._resume_at = 0.0
            return
        wait = wait_seconds(headers)
        self._resume_at = self._clock() + (wait if wait is not None else 0.0)

    def pause_needed(self) -> float:
        return max(self._resume_at - self._clock(), 0.0)


def describe_wait(seconds: float) -> str:
    """'45 s' / '12 min' / '2 h', for messages."""
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    if seconds < 5400:
        return f"{math.ceil(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def resume_clock_time(seconds: float) -> str:
    """The UTC time ``seconds`` from now, as HH:MM UTC."""
    return datetime.fromtimestamp(time.time() + seconds, tz=UTC).strftime("%H:%M UTC")


def rate_limited_message(platform: str, seconds: float | None, max_wait: float) -> str:
    if seconds is None:
        return f"rate limited by {platform} (no reset time given); try again later"
    return (
        f"rate limited by {platform} for {describe_wait(seconds)} (longer than the {describe_wait(max_wait)} "
        f"a run waits); try again after {resume_clock_time(seconds)}"
    )
