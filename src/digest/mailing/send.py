"""Send an edition to every active subscriber: build, render once, deliver, log each outcome.

``send_digest`` is the whole `digest send` command as a library call. The order of work is
what makes it safe to re-run at any time:

1. The edition's rendering is frozen in the database on its first real run, so every later
   run of that edition (after a crash, or with ``retry_failed``) sends the same email.
2. Every active subscriber without a row for the edition gets a pending row (one statement).
   Steps 1 and 2 run under the edition's build lock (digest.storage.locks: an advisory lock
   on PostgreSQL, a file lock on SQLite), so senders starting one edition at once build it once.
3. Recipients are claimed from the send log in batches (digest.mailing.claims): any number of
   senders, on any machines sharing a PostgreSQL database, split an edition between them, and
   the rows of one that dies go to the others. Each message is built just in time (memory
   stays flat in the number of subscribers; the SMTP backend builds the next message while
   the server is still processing the current one). The attempt is committed before a
   message leaves; its outcome is committed with the next attempt (or at once when the
   backend idles or finishes), so at most one message per connection is ever unrecorded.

Test copies (``to=``) go only to the given addresses, with "[TEST] " before the subject, and
leave no trace in the send log.

An edition goes to one subscriber list (``list_name``, default "default"); sending the same
edition to another list reuses its frozen rendering and logs that list's sends on their own.
``cancel`` (a threading.Event) stops a send between messages: each connection finishes the
message it has in flight, the rest stay pending in the send log and a re-run resumes them.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from digest.config import Settings
from digest.deliver.base import BaseBackend, OutgoingMessage, SendResult
from digest.deliver.registry import backend_from_url
from digest.errors import ConfigError, DeliveryError, DigestError, InputError
from digest.mailing import claims, editions, sendlog
from digest.mailing.addresses import normalize_email
from digest.mailing.lists import DEFAULT_LIST, check_list_name
from digest.mailing.message import HeaderInjectionError, MessageFactory
from digest.mailing.subscribers import count_active
from digest.mailing.subscribers import get as get_subscriber
from digest.mailing.tokens import is_example_url, signer_for, unsubscribe_template
from digest.models import Digest, digest_to_data
from digest.render.email import RenderedEmail, render_email
from digest.storage.archive import Archive
from digest.storage.engine import open_engine
from digest.storage.locks import Locks, locks_for

log = logging.getLogger("digest.mailing.send")

Progress = Callable[[int, int], None]  # (done, total), called once with done=0 first
_MAX_LISTED_FAILURES = 50


@dataclass
class SendReport:
    digest_id: int | None
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    backend: str = ""
    edition: str = ""
    dry_run: bool = False
    test: bool = False
    would_send: int = 0
    location: str | None = None  # where messages are on disk (outbox), if anywhere
    skipped_empty: bool = False  # only_new + skip_if_empty and nothing new: nothing built or sent
    stories: int = 0
    resent_in_flight: int = 0  # messages whose outcome a crash left unknown, sent again
    list_name: str = DEFAULT_LIST
    cancelled: bool = False  # stopped by ``cancel`` before everyone was reached
    pending: int = 0  # still owed after this run (cancelled, or stopped by a delivery error)
    hard_bounced: int = 0  # failed because the mailbox does not exist: the address is now "bounced"
    unknown: int = 0  # sent whole but unanswered in this run: may have arrived, not resent by itself
    unknown_total: int = 0  # all of the edition's messages in that state (earlier runs too)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first few, for display
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "digest_id": self.digest_id,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "backend": self.backend,
        }
        if self.list_name != DEFAULT_LIST:  # the documented shape stays exact for the default list
            data["list"] = self.list_name
        if self.cancelled:
            data.update(cancelled=True, pending=self.pending)
        if self.dry_run:
            data.update(dry_run=True, would_send=self.would_send)
        if self.skipped_empty:
            data["skipped_empty"] = True
        if self.unknown:
            data["unknown"] = self.unknown
        if self.hard_bounced:
            data["hard_bounced"] = self.hard_bounced
        return data

    @property
    def ok(self) -> bool:
        """False when someone was not reached for a reason worth a retry, or nobody was reached at
        all: a cron job must not take such a run for a success. Hard bounces alone are not a
        failure of the run (the address is gone; it is no longer mailed)."""
        if self.dry_run or self.skipped_empty:
            return not self.cancelled
        if self.cancelled or self.unknown or self.failed - self.hard_bounced > 0:
            return False
        return not (self.sent == 0 and self.failed > 0)

    def note_failure(self, email: str, code: int | None, reason: str) -> None:
        log.warning("not delivered to %s: %s", email, reason)
        with self._lock:  # the message-building thread reports failures too
            self.failed += 1
            if len(self.failures) < _MAX_LISTED_FAILURES:
                self.failures.append({"email": email, "code": code, "reason": reason})


class NothingNew(Exception):
    """Only-new digest with no new story: the caller skips the edition (not an error)."""


@dataclass
class PreparedEdition:
    """An edition ready to send (or to hold for review): its rendering and where it came from."""

    digest_id: int | None
    rendered: RenderedEmail
    title: str
    article_ids: list[int] = field(default_factory=list)
    frozen: bool = False  # the rendering came from an earlier run of this edition
    digest: Digest | None = None  # the digest it was built from (None when frozen)


def prepare_edition(
    engine: Engine,
    settings: Settings,
    edition: str,
    today: date | None,
    only_new: bool = False,
    skip_if_empty: bool = False,
    list_name: str = DEFAULT_LIST,
) -> PreparedEdition:
    """The edition to send: the frozen one if it started, else a fresh build through the archive."""
    found = editions.find_digest(engine, edition)
    if found is not None and found[1] is not None:
        return PreparedEdition(found[0], found[1], settings.digest.title, frozen=True)
    from digest.compose.build import build_digest  # the summarizer loads only when an edition is built

    archive = Archive(engine, settings)
    archive.audience = list_name  # "new" means not yet sent to this list
    built = build_digest(
        settings, today=editions.edition_date(settings, today), edition=edition, archive=archive, only_new=only_new
    )
    for failure in built.failures:
        log.warning("source skipped: %s: %s", failure.source, failure.error)
    digest = built.digest
    if not digest.stories:
        failed = f" ({len(built.failures)} sources failed)" if built.failures else ""
        if only_new and skip_if_empty and built.failures and not built.article_ids and not built.already_sent:
            # every source broke: that is a failure to report, not "nothing new"
            raise InputError(f"edition {edition}: every source failed{failed}")
        if only_new and skip_if_empty:
            raise NothingNew(f"edition {edition}: nothing new since the last sent digest{failed}")
        what = "no new stories" if only_new else "no stories"
        raise InputError(f"edition {edition}: nothing to send, the digest has {what}{failed}")
    rendered = render_email(digest, settings)
    for warning in [*digest.warnings, *rendered.warnings]:
        log.warning("%s", warning)
    return PreparedEdition(found[0] if found else None, rendered, digest.title, built.article_ids, digest=digest)


def _messages(
    engine: Engine,
    factory: MessageFactory,
    digest_id: int,
    report: SendReport,
    owed: Iterable[sendlog.Target],
    *,
    record: bool,
    cancel: threading.Event | None = None,
) -> Generator[OutgoingMessage, None, None]:
    for target in owed:
        if cancel is not None and cancel.is_set():
            return  # the backend finishes what it has in flight; the rest stays pending
        try:
            yield factory.build(
                target.email,
                target.name,
                ref=target.id,
                edition_id=digest_id if record else None,
                selector=target.token,
            )
        except HeaderInjectionError as exc:  # a bad name in the database: never sent, logged failed
            if record:
                sendlog.record_failure(engine, digest_id, target.id, None, str(exc))
            report.note_failure(target.email, None, str(exc))


def send_digest(
    settings: Settings,
    *,
    edition: str | None = None,
    to: Sequence[str] | None = None,
    dry_run: bool = False,
    retry_failed: bool = False,
    retry_unknown: bool = False,
    progress: Progress | None = None,
    backend: BaseBackend | None = None,
    today: date | None = None,
    only_new: bool = False,
    skip_if_empty: bool = False,
    list_name: str = DEFAULT_LIST,
    cancel: threading.Event | None = None,
) -> SendReport:
    """Send (or test-send, or dry-run) one edition; see the module docstring for the guarantees.

    ``only_new`` leaves out stories an earlier sent edition carried to this list; with
    ``skip_if_empty`` an edition with nothing new is skipped (``report.skipped_empty``)
    instead of being an error. ``list_name`` picks the subscriber list; ``cancel`` stops the
    send between messages (``report.cancelled``, ``report.pending`` owed for a re-run).
    """
    list_name = check_list_name(list_name)
    name = editions.edition_name(settings, edition, today)
    backend = backend or backend_from_url(settings.delivery.backend, settings)
    report = SendReport(
        digest_id=None, backend=backend.display_url, edition=name, dry_run=dry_run, test=bool(to), list_name=list_name
    )
    engine = open_engine(settings)
    locks = locks_for(engine, settings)
    run = _Run(settings, engine, locks, backend, report, today, progress, only_new, skip_if_empty, list_name, cancel)
    try:
        if to:
            return run.test_copies(list(to))
        return run.edition(retry_failed, retry_unknown)
    finally:
        locks.close()
        engine.dispose()


def owe_edition(
    settings: Settings,
    *,
    edition: str | None = None,
    retry_failed: bool = False,
    retry_unknown: bool = False,
    today: date | None = None,
    only_new: bool = False,
    skip_if_empty: bool = False,
    list_name: str = DEFAULT_LIST,
) -> SendReport:
    """Build, freeze and owe an edition without sending any of it (`digest send --workers`
    does this before its workers start, so they never wait on a build). ``digest_id`` is
    None in the report when there is nothing to send (``skipped_empty``, nobody on the list);
    ``skipped`` counts the recipients already handled."""
    list_name = check_list_name(list_name)
    name = editions.edition_name(settings, edition, today)
    backend = backend_from_url(settings.delivery.backend, settings)  # for the report's display only
    report = SendReport(digest_id=None, backend=backend.display_url, edition=name, list_name=list_name)
    engine = open_engine(settings)
    locks = locks_for(engine, settings)
    run = _Run(settings, engine, locks, backend, report, today, None, only_new, skip_if_empty, list_name)
    try:
        prepared = run.prepare(retry_failed, retry_unknown)
        if prepared is not None:
            report.digest_id = prepared[0]
            done = sendlog.counts(engine, prepared[0], list_name)
            report.skipped = done.sent + (0 if retry_failed else done.failed) + (0 if retry_unknown else done.unknown)
            report.pending = (
                done.pending + (done.failed if retry_failed else 0) + (done.unknown if retry_unknown else 0)
            )
        return report
    finally:
        locks.close()
        engine.dispose()


@dataclass
class _Run:
    settings: Settings
    engine: Engine
    locks: Locks
    backend: BaseBackend
    report: SendReport
    today: date | None
    progress: Progress | None
    only_new: bool = False
    skip_if_empty: bool = False
    list_name: str = DEFAULT_LIST
    cancel: threading.Event | None = None

    def build(self) -> PreparedEdition:
        return prepare_edition(
            self.engine,
            self.settings,
            self.report.edition,
            self.today,
            self.only_new,
            self.skip_if_empty,
            self.list_name,
        )

    def freeze(self, built: PreparedEdition) -> tuple[int, RenderedEmail]:
        """Store the edition's rendering (once) and link its stories; returns what was stored."""
        name = self.report.edition
        data = digest_to_data(built.digest) if built.digest is not None else None
        digest_id = editions.save_digest(self.engine, name, built.title, built.rendered, data)
        if built.frozen:
            return digest_id, built.rendered
        found = editions.find_digest(self.engine, name)
        stored = found[1] if found else None
        if stored is not None and stored.html != built.rendered.html:
            return digest_id, stored  # its stories were linked by the run that froze it
        if built.article_ids:
            Archive(self.engine, self.settings).link_digest(digest_id, built.article_ids)
        return digest_id, built.rendered

    def hard_bounce(self, result: SendResult) -> None:
        """The server says the mailbox does not exist: as good as a hard bounce arriving later,
        so the address is ``bounced`` on every list now (never mailed again until reactivated)."""
        from digest.mailing.bounces.smtpcodes import find_status
        from digest.mailing.suppression import HARD, Incoming, apply

        code = result.code or 550
        bounce = Incoming(
            recipient=result.message.recipient,
            kind=HARD,
            reason="userunknown",
            status=find_status(result.reply) or f"{str(code)[0]}.1.1",
            message_id=result.message.message_id,
            source=f"smtp: {' '.join(result.reply.split())}",
        )
        try:
            apply(self.engine, self.settings, [bounce])
        except (DigestError, SQLAlchemyError) as exc:  # the send goes on; the failure is logged anyway
            log.warning("%s: could not mark as bounced: %s", result.message.recipient, exc)
            return
        log.warning("%s: the server says the mailbox does not exist: now bounced", result.message.recipient)

    def test_copies(self, to: list[str]) -> SendReport:
        report = self.report
        addresses = [normalize_email(a) for a in to]
        built = self.build()
        digest_id, rendered = built.digest_id, built.rendered
        report.digest_id = digest_id
        factory = MessageFactory(
            self.settings, rendered, signer_for(self.settings), test=True, list_name=self.list_name
        )
        messages = []
        for address in addresses:
            known = get_subscriber(self.engine, address, self.list_name)
            if known:
                messages.append(factory.build(address, known.name, selector=known.token))
            else:
                messages.append(factory.build(address))
        if report.dry_run:
            report.would_send = len(messages)
            return report
        _deliver(self.backend, messages, None, report, self.progress, len(messages), self.cancel)
        report.location = self.backend.location()
        return report

    def prepare(self, retry_failed: bool, retry_unknown: bool = False) -> tuple[int, MessageFactory] | None:
        """Build and freeze the edition once and owe it to the list; None when there is nothing
        to send (skipped, dry run, nobody on the list: the report says which).

        Under the edition's build lock: senders starting one edition at once (lists, processes,
        machines) build it once; the others wait and send the frozen rendering."""
        engine, report, name, lst = self.engine, self.report, self.report.edition, self.list_name
        editions.check_sendable(engine, name)
        if not report.dry_run:
            check_unsubscribe_link(self.settings, self.backend)
        with editions.build_lock(self.locks, name) as held:
            if held.waited:
                log.info("edition %s: another sender was building it: using its rendering", name)
            try:
                built = self.build()
            except NothingNew as exc:
                report.skipped_empty = True
                report.warnings.append(str(exc))
                log.info("%s: skipped", exc)
                return None
            if not built.frozen:
                log.info("edition %s: built (%d stories)", name, len(built.article_ids))
            digest_id, rendered = built.digest_id, built.rendered
            # Built before anything is stored: a bad header in the config stops the run here.
            factory = MessageFactory(self.settings, rendered, signer_for(self.settings), list_name=lst)
            if report.dry_run:
                report.digest_id = digest_id
                if digest_id is not None:
                    done = sendlog.counts(engine, digest_id, lst)
                    report.skipped = done.sent + (0 if retry_failed else done.failed)
                    report.skipped += 0 if retry_unknown else done.unknown
                owed = sendlog.targets(
                    engine,
                    digest_id,
                    retry_failed=retry_failed,
                    retry_unknown=retry_unknown,
                    include_unlogged=True,
                    list_name=lst,
                )
                for _message in _messages(engine, factory, digest_id or -1, report, owed, record=False):
                    report.would_send += 1
                return None

            if digest_id is None and count_active(engine, lst) == 0:
                return None  # nobody to send to: do not freeze the edition yet
            digest_id, stored = self.freeze(built)
            if stored is not rendered:  # a run elsewhere froze it first: send theirs
                factory = MessageFactory(self.settings, stored, signer_for(self.settings), list_name=lst)
            sendlog.enqueue(engine, digest_id, lst)
        return digest_id, factory

    def edition(self, retry_failed: bool, retry_unknown: bool = False) -> SendReport:
        prepared = self.prepare(retry_failed, retry_unknown)
        if prepared is None:
            return self.report
        engine, report, name, lst = self.engine, self.report, self.report.edition, self.list_name
        digest_id, factory = prepared
        report.digest_id = digest_id
        before = sendlog.counts(engine, digest_id, lst)
        report.skipped = before.sent + (0 if retry_failed else before.failed) + (0 if retry_unknown else before.unknown)
        total = before.pending + (before.failed if retry_failed else 0) + (before.unknown if retry_unknown else 0)
        again = "digest send" if lst == DEFAULT_LIST else f"digest send --list {lst}"
        share = claims.Claims(
            engine,
            self.locks,
            digest_id,
            lst,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
            lease=self.settings.delivery.claim_lease,
            cancel=self.cancel,
        )
        cut_off = False
        with share:
            while True:
                journal = sendlog.SendLog(engine, digest_id, share.sender)
                owed = share.targets()
                messages = _messages(engine, factory, digest_id, report, owed, record=True, cancel=self.cancel)
                try:
                    _deliver(
                        self.backend, messages, journal, report, self.progress, total, self.cancel, self.hard_bounce
                    )
                except DeliveryError as exc:
                    if self.cancel is not None and self.cancel.is_set():
                        log.warning("edition %s: connections cut after a stop signal: %s", name, exc)
                        cut_off = True
                        break  # counted below as cancelled, like a stop between messages
                    left = sendlog.counts(engine, digest_id, lst)
                    owed_count = left.pending + (left.failed if retry_failed else 0)
                    raise DeliveryError(
                        f"{exc} ({report.sent} sent in this run, {owed_count} not yet sent: "
                        f"run `{again}` again to resume)"
                    ) from None
                finally:
                    messages.close()  # the generator's database reads end here
                    journal.close()
                    if report.sent:
                        # the edition reached readers: its stories are no longer "new" for the next one
                        editions.mark_complete(engine, digest_id)
                # Other senders may still hold recipients: wait for them to finish, or take over
                # the recipients of one that ended, so none is left behind.
                if not share.wait_for_rest():
                    break
        if share.stats.resent:
            report.resent_in_flight = share.stats.resent
            report.warnings.append(
                f"{share.stats.resent} message(s) of edition {name} were in flight when an earlier run stopped; "
                "their outcome was unknown, so they were sent again (a recipient may have got it twice)"
            )
            log.warning("%s", report.warnings[-1])
        after = sendlog.counts(engine, digest_id, lst)
        report.pending = after.pending
        if self.cancel is not None and self.cancel.is_set() and (after.pending or cut_off):
            report.cancelled = True
            log.warning(
                "edition %s: cancelled after %d sent in this run; %d still owed: run `%s` again to resume",
                name,
                report.sent,
                after.pending,
                again,
            )
        report.unknown_total = after.unknown
        if after.pending == 0 and after.failed == 0 and after.unknown == 0:
            editions.mark_complete(engine, digest_id)
        report.location = self.backend.location()
        return report


def check_unsubscribe_link(settings: Settings, backend: BaseBackend) -> None:
    """Readers must be able to leave: mail to real subscribers does not go out with the
    example unsubscribe address (an outbox or console backend reaches nobody, so it may)."""
    if backend.reaches_people and is_example_url(unsubscribe_template(settings)):
        raise ConfigError(
            "[delivery] unsubscribe_url is still the example address, so readers could not unsubscribe: "
            "set [web] base_url to where `digest serve` answers, or unsubscribe_url to your own page"
        )


def _deliver(
    backend: BaseBackend,
    messages: Iterable[OutgoingMessage],
    journal: sendlog.SendLog | None,
    report: SendReport,
    progress: Progress | None,
    total: int,
    cancel: threading.Event | None = None,
    on_hard_bounce: Callable[[SendResult], None] | None = None,
) -> None:
    done = report.sent + report.failed  # a later pass of the same run goes on counting
    if progress:
        progress(done, max(total, done))
    # The message generator stops at a cancel on its own; a backend that reads ahead (SMTP
    # builds the next message while the server answers) is told too, so no connection starts
    # a message it already took once cancel is set.
    extra: dict[str, Any] = {"cancel": cancel} if cancel is not None and _accepts_cancel(backend) else {}
    with backend:
        for result in backend.deliver(messages, journal, **extra):
            _tally(result, report, on_hard_bounce)
            done += 1
            if progress:
                progress(done, max(total, done))


def _accepts_cancel(backend: BaseBackend) -> bool:
    """Backends from plugins may predate the cancel hook; they stop through the generator."""
    try:
        params = inspect.signature(backend.deliver).parameters
    except (TypeError, ValueError):
        return False
    return "cancel" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _tally(result: SendResult, report: SendReport, on_hard_bounce: Callable[[SendResult], None] | None = None) -> None:
    if result.ok:
        report.sent += 1  # only this thread counts successes
        log.info("sent to %s: %s %s", result.message.recipient, result.code or "", result.reply)
    elif result.unknown:
        report.unknown += 1
        log.warning("outcome unknown for %s: %s", result.message.recipient, result.reply)
    else:
        report.note_failure(result.message.recipient, result.code, result.reply)
        # the reply patterns load on the first failure, not with every send or dry run
        from digest.mailing.bounces.unknown_user import smtp_reply_is_unknown_user

        if on_hard_bounce is not None and result.code and smtp_reply_is_unknown_user(result.code, result.reply):
            report.hard_bounced += 1
            on_hard_bounce(result)
