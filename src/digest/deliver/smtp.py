"""smtp:// and smtps://: deliver through an SMTP server, the way a careful MTA client would.

``smtp://[user@]host[:port]?tls=starttls|none`` (default STARTTLS on 587; ``tls=none`` on 25)
and ``smtps://[user@]host[:port]`` (implicit TLS, 465). The password only ever comes from
``DIGEST_SMTP_PASSWORD`` (a password inside the URL is refused: the URL lives in config files
and logs). Options: ``connections=N`` parallel connections (each reused for many messages),
``rate=M`` messages per second at most (all connections together), ``timeout=S`` seconds per
network operation, ``data_timeout=S`` seconds to wait for the server to accept a message once
all of it is sent (default 600, as MTAs do), ``cafile=PATH`` extra CA bundle to trust (a
private CA, or a test CA).

Failures are sorted by what they mean for the message. A 4xx reply, a dropped connection or
a timeout is transient: the message is tried again after an exponential backoff (a fresh
connection where the old one may be broken), at most ``[delivery] max_attempts`` times. A 5xx
reply to RCPT or DATA is about this recipient: it is marked failed and the others go on. A
server that cannot be reached at all, refuses our login or our sender address stops the run
(every later message would fail the same way); unsent recipients stay in the send log for
the next run.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

from digest.config import Settings
from digest.deliver.base import BaseBackend, Journal, NullJournal, OutgoingMessage, SendResult, has_line_break
from digest.deliver.smtp_options import SMTPOptions
from digest.errors import DeliveryError

log = logging.getLogger("digest.deliver.smtp")

_DONE = object()
_UNSET = object()
_LEADING_DOT = re.compile(rb"(?m)^\.")
_MAX_BACKOFF = 60.0


class _Transient(Exception):
    """Worth another try; ``reconnect`` when the connection itself may be unusable."""

    def __init__(self, code: int | None, reason: str, reconnect: bool) -> None:
        super().__init__(reason)
        self.code, self.reason, self.reconnect = code, reason, reconnect


class _Permanent(Exception):
    """This recipient cannot get this message (5xx): record it and go on."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class _Fatal(Exception):
    """Nothing more can be sent in this run (unreachable, bad login, sender refused)."""


class _Unanswered(Exception):
    """The whole message went out and the reply to its end never came in time: the relay may
    have queued it (RFC 1047), so sending it again could deliver it twice."""


def _text(resp: bytes | str) -> str:
    value = resp.decode("utf-8", errors="replace") if isinstance(resp, bytes) else str(resp)
    return " ".join(value.split())


def _classify(code: int, resp: bytes | str, stage: str) -> Exception:
    reason = f"{stage}: {code} {_text(resp)}"
    if code == 421:
        return _Transient(code, reason, reconnect=True)
    if 400 <= code < 500:
        return _Transient(code, reason, reconnect=False)
    if stage == "MAIL FROM" and 500 <= code < 600:
        return _Fatal(f"server refused the sender address ({reason})")
    if 500 <= code < 600:
        return _Permanent(code, reason)
    return _Transient(code, reason, reconnect=True)  # -1 and other oddities: start afresh


def _wire(data: bytes) -> bytes:
    """The DATA payload as transmitted: dot-stuffed, ending CRLF.CRLF (as smtplib does)."""
    payload = _LEADING_DOT.sub(b"..", data)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return payload + b".\r\n"


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


class _Lookahead:
    """The next message, fetched early: while the server digests one message we build the next.

    Its wire form is prepared then too. A failure while fetching is kept and raised when the
    message is asked for, so it never interrupts the exchange with the server.
    """

    def __init__(self, pull: Any) -> None:
        self._pull = pull
        self._item: Any = _UNSET
        self._wire: bytes = b""
        self.wire: bytes = b""  # the wire form of the message last taken

    def fill(self) -> None:
        if self._item is _UNSET:
            try:
                self._item = self._pull()
                if self._item is not None:
                    self._wire = _wire(self._item.data)
            except BaseException as exc:  # noqa: BLE001 - re-raised by take()
                self._item = _Failed(exc)

    def take(self) -> OutgoingMessage | None:
        self.fill()
        item, self._item = self._item, _UNSET
        if isinstance(item, _Failed):
            raise item.exc
        self.wire = self._wire
        return item  # type: ignore[no-any-return]


@dataclass
class _Failed:
    exc: BaseException


class _Link:
    """One SMTP connection, opened on first use and reused until it breaks."""

    def __init__(self, backend: SMTPBackend) -> None:
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None

    def ensure(self) -> smtplib.SMTP:
        if self.smtp is None:
            if self.backend.aborted():
                raise _Fatal("stopped")
            self.smtp = self.backend.connect()
            self.backend.links.add(self)
        return self.smtp

    def cut(self) -> None:
        """From another thread: end whatever this connection waits for, now."""
        smtp = self.smtp
        sock = getattr(smtp, "sock", None) if smtp is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None
        self.backend.links.discard(self)

    def quit(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.drop()


class SMTPBackend(BaseBackend):
    scheme = "smtp"

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self.opts = SMTPOptions.parse(self)
        self.links: weakref.WeakSet[_Link] = weakref.WeakSet()
        self._password = settings.smtp_password
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0
        self._abort = threading.Event()

    # -- connections --------------------------------------------------------
    def abort(self) -> None:
        """Stop now, from another thread: no new message or retry, and every open connection is
        cut (a message waiting for its answer is left in flight: the send log says so)."""
        self._abort.set()
        for link in list(self.links):
            link.cut()

    def aborted(self) -> bool:
        return self._abort.is_set()

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.opts.cafile)
        except (OSError, ssl.SSLError) as exc:
            raise _Fatal(f"cannot load the CA file {self.opts.cafile}: {exc}") from None

    def connect(self) -> smtplib.SMTP:
        """A connected, TLS-protected (unless tls=none) and logged-in session."""
        smtp: smtplib.SMTP
        o = self.opts
        if o.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                o.host, o.port, local_hostname=o.helo, timeout=o.timeout, context=self._tls_context()
            )
        else:
            smtp = smtplib.SMTP(o.host, o.port, local_hostname=o.helo, timeout=o.timeout)
        try:
            smtp.ehlo()
            if self.opts.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise _Fatal("the server does not offer STARTTLS; refusing to send in clear (?tls=none to allow)")
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.opts.user:
                try:
                    smtp.login(self.opts.user, str(self._password))
                except smtplib.SMTPAuthenticationError as exc:
                    raise _Fatal(
                        f"login refused for user {self.opts.user!r}: {exc.smtp_code} {_text(exc.smtp_error)}"
                    ) from None
                except smtplib.SMTPNotSupportedError:
                    raise _Fatal("the server offers no AUTH; remove the user from the URL") from None
        except BaseException:
            with contextlib.suppress(OSError):
                smtp.close()
            raise
        return smtp

    # -- one message ----------------------------------------------------------
    def _transaction(
        self, smtp: smtplib.SMTP, message: OutgoingMessage, wire: bytes, journal: Journal, meanwhile: _Lookahead
    ) -> tuple[int, str]:
        # Addresses were validated and normalized when stored: send the commands as they are.
        # The journal's commit runs while the server answers MAIL FROM: still before any of
        # the message's content is sent, which is what makes it safe.
        smtp.putcmd("MAIL", f"FROM:<{message.sender}>")
        journal.before_send(message)
        code, resp = smtp.getreply()
        if code != 250:
            self._reset(smtp)
            raise _classify(code, resp, "MAIL FROM")
        code, resp = smtp.docmd("RCPT", f"TO:<{message.recipient}>")
        if code not in (250, 251):
            self._reset(smtp)
            raise _classify(code, resp, "RCPT TO")
        # smtplib's data() sends and waits in one call; split it so the next message is built
        # while the server works on this one.
        code, resp = smtp.docmd("DATA")
        if code != 354:
            self._reset(smtp)
            raise _classify(code, resp, "DATA")
        smtp.send(wire)
        meanwhile.fill()
        if smtp.sock is not None:
            smtp.sock.settimeout(self.opts.data_timeout)
        try:
            code, resp = smtp.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib turns a read timeout into "disconnected": a timeout is the unanswered
            # case; a connection the server closed is retried, as MTAs do.
            if isinstance(exc.__context__, TimeoutError):
                raise _Unanswered(
                    f"no reply to the end of the message within {self.opts.data_timeout:g} s: the relay may have "
                    "it (RFC 1047), so it is not sent again by itself; `digest send --retry-unknown` resends"
                ) from None
            raise
        finally:
            if smtp.sock is not None:
                smtp.sock.settimeout(self.opts.timeout)
        if code != 250:
            self._reset(smtp)
            raise _classify(code, resp, "DATA")
        return code, _text(resp)

    @staticmethod
    def _reset(smtp: smtplib.SMTP) -> None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.rset()

    def _pace(self, journal: Journal) -> None:
        if not self.opts.rate:
            return
        with self._pace_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.opts.rate
        if slot > now:
            journal.flush()  # nothing may wait unrecorded while we idle
            self._abort.wait(slot - now)

    def send_with_retry(
        self, link: _Link, message: OutgoingMessage, journal: Journal, meanwhile: _Lookahead | None = None
    ) -> SendResult:
        """One message, retried on transient failures; _Fatal when nothing more can be sent."""
        if has_line_break(message.sender) or has_line_break(message.recipient):
            return SendResult(message, ok=False, reply="address contains a line break (CR or LF); not sent")
        if meanwhile is None:
            meanwhile = _Lookahead(lambda: None)
            wire = _wire(message.data)
        else:
            wire = meanwhile.wire
        attempt = 0
        code: int | None
        while True:
            attempt += 1
            connected = False
            try:
                smtp = link.ensure()
                connected = True
                self._pace(journal)
                code, reply = self._transaction(smtp, message, wire, journal, meanwhile)
                return SendResult(message, ok=True, code=code, reply=reply, attempts=attempt)
            except _Permanent as exc:
                return SendResult(message, ok=False, code=exc.code, reply=exc.reason, attempts=attempt)
            except _Unanswered as exc:
                link.drop()  # the conversation is out of step: never reuse this connection
                return SendResult(message, ok=False, reply=str(exc), attempts=attempt, unknown=True)
            except _Transient as exc:
                code, reason = exc.code, exc.reason
                if exc.reconnect:
                    link.drop()
            except _Fatal:
                link.drop()
                raise
            except ssl.SSLCertVerificationError as exc:
                link.drop()
                raise _Fatal(f"TLS certificate not trusted: {exc.verify_message} (?cafile= to add a CA)") from None
            except smtplib.SMTPResponseException as exc:  # EHLO/STARTTLS refused
                link.drop()
                if 500 <= exc.smtp_code < 600:
                    raise _Fatal(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
                code, reason = exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}"
            except (OSError, EOFError) as exc:  # refused, reset, dropped, timed out
                link.drop()
                code = None
                reason = "timed out" if isinstance(exc, TimeoutError) else (_text(str(exc)) or type(exc).__name__)
            if attempt >= self.opts.max_attempts:
                if not connected:
                    raise _Fatal(f"cannot reach {self.opts.host}:{self.opts.port}: {reason} ({attempt} attempts)")
                reply = f"{reason} ({attempt} attempts)"
                return SendResult(message, ok=False, code=code, reply=reply, attempts=attempt)
            delay = min(_MAX_BACKOFF, self.opts.backoff * 2 ** (attempt - 1))
            log.info(
                "%s: %s; retrying in %.1fs (attempt %d of %d)",
                message.recipient,
                reason,
                delay,
                attempt + 1,
                self.opts.max_attempts,
            )
            journal.flush()
            if self._abort.wait(delay):
                raise _Fatal("stopped")

    # -- many messages -------------------------------------------------------
    def _run_link(self, pull: Any, journal: Journal, emit: Any, cancel: threading.Event | None = None) -> None:
        """Send everything ``pull`` gives over one connection (reused), then say goodbye."""
        link = _Link(self)
        ahead = _Lookahead(pull)
        try:
            while not _cancelled(cancel) and (message := ahead.take()) is not None:
                result = self.send_with_retry(link, message, journal, ahead)
                journal.after_send(result)
                emit(result)
        finally:
            journal.flush()
            link.quit()

    def deliver(
        self,
        messages: Iterable[OutgoingMessage],
        journal: Journal | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[SendResult]:
        """Send over one or ``connections`` links; once ``cancel`` is set, each link finishes
        only its message in flight (a message read ahead is dropped, still owed)."""
        journal = journal or NullJournal()
        source = iter(messages)
        self._abort.clear()
        if self.opts.connections == 1:  # the common case: no threads at all
            link = _Link(self)
            ahead = _Lookahead(lambda: next(source, None))
            try:
                while not _cancelled(cancel) and (message := ahead.take()) is not None:
                    result = self.send_with_retry(link, message, journal, ahead)
                    journal.after_send(result)
                    yield result
            except _Fatal as exc:
                raise DeliveryError(f"{self.display_url}: {exc}") from None
            finally:
                journal.flush()
                link.quit()
            return
        yield from self._deliver_parallel(source, journal, cancel)

    def _deliver_parallel(
        self, source: Iterator[OutgoingMessage], journal: Journal, cancel: threading.Event | None = None
    ) -> Iterator[SendResult]:
        lock = threading.Lock()
        queue: SimpleQueue[object] = SimpleQueue()
        errors: list[BaseException] = []

        def pull() -> OutgoingMessage | None:
            with lock:
                if self._abort.is_set() or _cancelled(cancel):
                    return None
                return next(source, None)

        def worker() -> None:
            try:
                self._run_link(pull, journal, queue.put, cancel)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                self._abort.set()
            finally:
                queue.put(_DONE)

        threads = [threading.Thread(target=worker, name=f"smtp-{i}", daemon=True) for i in range(self.opts.connections)]
        for t in threads:
            t.start()
        running = len(threads)
        try:
            while running:
                item = queue.get()
                if item is _DONE:
                    running -= 1
                else:
                    yield item  # type: ignore[misc]
        finally:
            self._abort.set()
            for t in threads:
                t.join()
        if errors:
            first = errors[0]
            if isinstance(first, _Fatal):
                raise DeliveryError(f"{self.display_url}: {first}") from None
            raise first

    def close(self) -> None:
        self._abort.set()
