"""The delivery backend interface (modelled on Django's mail backends).

A backend takes ready-made messages (envelope + CRLF bytes) and hands them to something that
delivers or stores them. ``send_messages(list) -> count`` keeps Django's shape for simple
callers; ``deliver(messages, journal)`` is what `digest send` uses: it streams results one by
one (so memory stays flat) and calls the journal right before each message leaves and right
after its outcome is known, which is how the send log stays exact across crashes.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Protocol
from urllib.parse import SplitResult, parse_qs, urlsplit

from digest.config import Settings
from digest.errors import ConfigError

log = logging.getLogger("digest.deliver")

_LINE_BREAKS = ("\r", "\n", "\x00")


def has_line_break(value: str) -> bool:
    """CR, LF or NUL: a value with one could smuggle extra headers or SMTP commands."""
    return any(ch in value for ch in _LINE_BREAKS)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one recipient: envelope addresses and the exact bytes to transmit."""

    sender: str
    recipient: str
    data: bytes
    message_id: str
    ref: Any = None  # the caller's handle (e.g. the subscriber id), passed back in the result
    bounce_token: str | None = None  # the envelope sender's VERP token, when it has one


@dataclass(frozen=True)
class SendResult:
    """What happened to one message: ``ok`` with the server's reply, or the failure code/reason."""

    message: OutgoingMessage
    ok: bool
    code: int | None = None
    reply: str = ""
    attempts: int = 1
    unknown: bool = False  # sent whole, but no answer came: the relay may have it (never resent by itself)

    @property
    def status(self) -> str:
        return "sent" if self.ok else "unknown" if self.unknown else "failed"


class Journal(Protocol):
    """Told about each message.

    ``before_send`` must be durable when it returns. ``after_send`` may be kept back and
    written together with the next ``before_send`` (one commit per message instead of two);
    backends call ``flush`` before they idle (rate limit, backoff) and when they finish, so
    an outcome is never left unwritten while nothing else is going on.
    """

    def before_send(self, message: OutgoingMessage) -> None: ...

    def after_send(self, result: SendResult) -> None: ...

    def flush(self) -> None: ...


class NullJournal:
    def before_send(self, message: OutgoingMessage) -> None:
        pass

    def after_send(self, result: SendResult) -> None:
        pass

    def flush(self) -> None:
        pass


_open_backends: weakref.WeakSet[BaseBackend] = weakref.WeakSet()


def abort_open_backends() -> None:
    """A long-running process is stopping and its grace period ran out: every backend in use
    stops now (the send log keeps what was in flight, for the next run)."""
    for backend in list(_open_backends):
        backend.abort()


def redact_url(url: str) -> str:
    """The URL as it may be shown: any password in it replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


class BaseBackend:
    """Open once, send many, close; usable as a context manager.

    Subclasses set ``scheme`` and implement ``send_one``; backends with their own
    concurrency (SMTP with several connections) override ``deliver``.
    """

    scheme: ClassVar[str] = ""
    # False for backends that only keep or show messages (outbox, console, memory): mail there
    # reaches no reader, so a send may go ahead with example settings.
    reaches_people: ClassVar[bool] = True

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.parts: SplitResult = urlsplit(url)
        self.options: dict[str, str] = {k: v[-1] for k, v in parse_qs(self.parts.query).items()}

    # -- lifecycle ---------------------------------------------------------
    def open(self) -> None:
        """Prepare (connect, create folders). Safe to call more than once."""

    def close(self) -> None:
        """Release what ``open`` took. Safe to call more than once."""

    def __enter__(self) -> BaseBackend:
        _open_backends.add(self)
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _open_backends.discard(self)
        self.close()

    # -- sending -----------------------------------------------------------
    def send_one(self, message: OutgoingMessage) -> SendResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def deliver(
        self,
        messages: Iterable[OutgoingMessage],
        journal: Journal | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[SendResult]:
        """Send each message, yielding its result as soon as it is known.

        Once ``cancel`` is set no further message is started (the one in flight completes);
        backends that read messages ahead must drop what they read without sending it.
        """
        journal = journal or NullJournal()
        self.open()
        try:
            for message in messages:
                if cancel is not None and cancel.is_set():
                    break
                journal.before_send(message)
                result = self.send_one(message)
                journal.after_send(result)
                yield result
        finally:
            journal.flush()

    def send_messages(self, messages: Sequence[OutgoingMessage]) -> int:
        """Django's contract: send them all, return how many were accepted."""
        return sum(1 for result in self.deliver(messages) if result.ok)

    def abort(self) -> None:
        """Stop delivering now, from another thread (a signal's grace period ran out). Backends
        that wait on the network override it to cut their connections."""

    # -- describing --------------------------------------------------------
    @property
    def display_url(self) -> str:
        """The backend URL safe to print or log (never a password)."""
        return redact_url(self.url)

    def location(self) -> str | None:
        """Where delivered messages can be found, when that is a place on disk."""
        return None

    # -- helpers for subclasses ---------------------------------------------
    def option_int(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = lo - 1
        if not lo <= value <= hi:
            raise ConfigError(f"{self.display_url}: ?{name}= expects an integer {lo}-{hi}, got {raw!r}")
        return value

    def option_float(self, name: str, default: float | None, lo: float, hi: float) -> float | None:
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = lo - 1
        if not lo <= value <= hi:
            raise ConfigError(f"{self.display_url}: ?{name}= expects a number {lo}-{hi}, got {raw!r}")
        return value

    def check_options(self, known: Iterable[str]) -> None:
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"{self.display_url}: unknown option ?{unknown[0]}= (known options: {allowed})")

    def data_path(self, raw: str) -> Path:
        """A path from a backend URL: absolute, or relative to DIGEST_DATA_DIR."""
        path = Path(raw).expanduser()
        return path if path.is_absolute() else Path(self.settings.data_dir) / path
