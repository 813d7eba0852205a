"""Read a mailbox of bounces and complaints once, and apply each to the subscribers.

Each message is classified, its bounces are attributed and applied (``suppression.apply``) in
their own transactions, and only then is the message marked handled in the mailbox. A run
that stops in between (a crash, SIGTERM) reads that message again next time; the events it
already recorded are found by their source (mailbox URL and message id) and not applied
twice, so a soft bounce is never counted double.

``cancel`` (a threading.Event) is checked between messages. ``abort()`` cuts the mailbox's
connection from another thread, for a stop that cannot wait for a slow IMAP server.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine

from digest.config import Settings
from digest.errors import InputError
from digest.mailing.bounces import classify_bytes
from digest.mailing.bounces.sources import open_source
from digest.mailing.suppression import Incoming, Report, already_recorded, apply
from digest.storage.engine import open_engine

if TYPE_CHECKING:
    from digest.mailing.bounces.sources import BounceSource

log = logging.getLogger("digest.mailing.bounces")


def source_url(settings: Settings, url: str) -> str:
    """The URL with ``[bounces] processed_folder`` as the IMAP ``processed`` folder unless it names one."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("imap", "imaps") or not settings.bounces.processed_folder:
        return url
    query = parse_qs(parts.query, keep_blank_values=True)
    if "processed" in query:
        return url
    extra = urlencode({"processed": settings.bounces.processed_folder})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def _where(url: str) -> str:
    """The URL as kept in ``bounce_events.source``: no query, no password."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2] if parts.password else parts.netloc
    if parts.password and parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class BounceProcessor:
    """One pass over a bounce mailbox; ``process()`` returns the report."""

    def __init__(
        self, settings: Settings, url: str, *, dry_run: bool = False, cancel: threading.Event | None = None
    ) -> None:
        self.settings = settings
        self.url = source_url(settings, url)
        self.dry_run = dry_run
        self.cancel = cancel or threading.Event()
        self._source: BounceSource | None = None
        self._lock = threading.Lock()

    def abort(self) -> None:
        """Cut the mailbox connection (from another thread): a blocked read then fails at once."""
        self.cancel.set()
        with self._lock:
            source = self._source
        if source is not None:
            cut = getattr(source, "abort", None)
            if callable(cut):
                cut()

    def process(self) -> Report:
        report = Report()
        engine = open_engine(self.settings)
        where = _where(self.url)
        try:
            with open_source(self.url, dry_run=self.dry_run) as source:
                with self._lock:
                    self._source = source
                try:
                    for message_id, data in source:
                        if self.cancel.is_set():
                            report.cancelled = True
                            break
                        self._one(engine, source, f"{where}#{message_id}"[:512], message_id, data, report)
                        if self.cancel.is_set():
                            report.cancelled = True
                            break
                except InputError:
                    if not self.cancel.is_set():
                        raise
                    report.cancelled = True  # the connection was cut by abort()
                finally:
                    with self._lock:
                        self._source = None
        finally:
            engine.dispose()
        return report

    @staticmethod
    def _mark(source: BounceSource, origin: str, message_id: str, report: Report) -> None:
        """A message that cannot be marked (gone meanwhile) is reported; the others go on."""
        try:
            source.mark_done(message_id)
        except InputError as exc:
            log.warning("%s: %s", origin, exc)
            report.errors.append(f"{origin}: {exc}")

    def _one(
        self, engine: Engine, source: BounceSource, origin: str, message_id: str, data: bytes, report: Report
    ) -> None:
        report.processed += 1
        try:
            classified = classify_bytes(data)
        except InputError as exc:
            # Not a mail message at all: it can never be a bounce, so it is marked and not read again.
            log.warning("%s: not a bounce: %s", origin, exc)
            report.not_bounces += 1
            report.errors.append(f"{origin}: {exc}")
            self._mark(source, origin, message_id, report)
            return
        if not classified.bounces:
            report.not_bounces += 1
            self._mark(source, origin, message_id, report)
            return
        if not self.dry_run and already_recorded(engine, origin):
            log.info("%s: recorded by an earlier run; marking it handled", origin)
            self._mark(source, origin, message_id, report)
            return
        envelope = classified.envelope_to
        if classified.original_return_path:
            envelope = (*envelope, classified.original_return_path)
        found = [
            Incoming(
                recipient=b.recipient,
                kind=b.kind,
                reason=b.reason,
                status=b.status,
                message_id=classified.original_message_id,
                envelope_to=envelope,
                source=origin,
            )
            for b in classified.bounces
        ]
        apply(engine, self.settings, found, dry_run=self.dry_run, report=report)
        self._mark(source, origin, message_id, report)


def process_source(
    settings: Settings, url: str, dry_run: bool = False, cancel: threading.Event | None = None
) -> Report:
    """Classify every new message of ``url`` and apply the policy; see the module docstring."""
    return BounceProcessor(settings, url, dry_run=dry_run, cancel=cancel).process()
