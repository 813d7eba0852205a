"""`digest send --workers N`: one edition shared by N local sender processes.

The edition is built, frozen and owed here first, so no worker waits on a build; then N
processes each run an ordinary send of that edition and share its recipients through claims
on the send log, exactly as senders on several machines do (digest.mailing.claims). Each
worker opens its own connections to the relay, so N workers with ``connections=C`` keep
N x C messages in flight: the way to use a relay that is slow to answer, without one
process's GIL or one machine's cores getting in the way.

A worker that dies (even kill -9) leaves its recipients to the others. SIGTERM or Ctrl-C
here is passed on once: every worker finishes the message in flight and stops; the rest
stays owed for the next run, as with a single sender.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import signal
import threading
import time
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any

from digest.config import Settings
from digest.errors import DeliveryError, DigestError
from digest.mailing import sendlog
from digest.mailing.lists import DEFAULT_LIST
from digest.mailing.send import Progress, SendReport, owe_edition, send_digest
from digest.storage.engine import open_engine

log = logging.getLogger("digest.mailing.workers")

MAX_WORKERS = 64
_REPORT_EVERY = 0.2  # seconds between a worker's progress messages


def _worker(
    index: int,
    settings: Settings,
    edition: str,
    retry_failed: bool,
    retry_unknown: bool,
    list_name: str,
    log_level: int,
    out: Any,
) -> None:
    """One worker process: an ordinary send of the frozen edition; reports through ``out``."""
    logging.basicConfig(level=log_level, format=f"%(levelname)s %(name)s [worker {index}]: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches the parent, which tells us
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: cancel.set())
    last = 0.0

    def progress(done: int, _total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _REPORT_EVERY:
            last = now
            out.put(("progress", index, done))

    try:
        report = send_digest(
            settings,
            edition=edition,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
            list_name=list_name,
            cancel=cancel,
            progress=progress,
        )
    except DigestError as exc:
        out.put(("error", index, str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - reported by the parent as one line, like the CLI does
        out.put(("error", index, f"unexpected {type(exc).__name__}: {exc}"))
        return
    fields = {f.name: getattr(report, f.name) for f in dataclass_fields(report) if not f.name.startswith("_")}
    out.put(("done", index, fields))


def send_with_workers(
    settings: Settings,
    workers: int,
    *,
    edition: str | None = None,
    retry_failed: bool = False,
    retry_unknown: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    only_new: bool = False,
    skip_if_empty: bool = False,
    list_name: str = DEFAULT_LIST,
    cancel: threading.Event | None = None,
) -> SendReport:
    """``send_digest`` with the delivery spread over ``workers`` processes (see the module)."""
    if not 1 <= workers <= MAX_WORKERS:
        raise DeliveryError(f"--workers {workers}: expected 1-{MAX_WORKERS}")
    report = owe_edition(
        settings,
        edition=edition,
        retry_failed=retry_failed,
        retry_unknown=retry_unknown,
        today=today,
        only_new=only_new,
        skip_if_empty=skip_if_empty,
        list_name=list_name,
    )
    if report.digest_id is None:
        return report
    total, report.pending = report.pending, 0
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections or threads
    out = ctx.Queue()
    level = logging.getLogger().getEffectiveLevel()
    procs = [
        ctx.Process(
            target=_worker,
            args=(i, settings, report.edition, retry_failed, retry_unknown, report.list_name, level, out),
            name=f"digest-send-{i}",
        )
        for i in range(1, workers + 1)
    ]
    for p in procs:
        p.start()
    done: dict[int, int] = {}
    finished: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    told = False
    if progress:
        progress(0, total)
    try:
        while any(p.is_alive() for p in procs) or not out.empty():
            if cancel is not None and cancel.is_set() and not told:
                told = True
                for p in procs:
                    if p.is_alive():
                        p.terminate()  # SIGTERM: finish the message in flight, then stop
            try:
                kind, index, value = out.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "progress":
                done[index] = value
            elif kind == "done":
                finished[index] = value
                done[index] = value["sent"] + value["failed"]
            else:
                errors.append(value)
            if progress:
                progress(sum(done.values()), max(total, sum(done.values())))
    except BaseException:
        for p in procs:  # interrupted again, or worse: do not leave workers behind
            if p.is_alive():
                p.kill()
        raise
    finally:
        for p in procs:
            p.join()
    return _merge(settings, report, procs, finished, errors, retry_failed)


def _merge(
    settings: Settings,
    report: SendReport,
    procs: list[Any],
    finished: dict[int, dict[str, Any]],
    errors: list[str],
    retry_failed: bool,
) -> SendReport:
    for _index, fields in sorted(finished.items()):
        report.sent += fields["sent"]
        report.failed += fields["failed"]
        report.resent_in_flight += fields["resent_in_flight"]
        report.unknown += fields["unknown"]
        report.hard_bounced += fields["hard_bounced"]
        report.cancelled = report.cancelled or fields["cancelled"]
        report.failures.extend(fields["failures"][: max(0, 50 - len(report.failures))])
        report.warnings.extend(w for w in fields["warnings"] if w not in report.warnings)
        report.location = report.location or fields["location"]
    for i, p in enumerate(procs, 1):
        if i not in finished and p.exitcode not in (0, None):
            how = f"signal {-p.exitcode}" if p.exitcode < 0 else f"exit status {p.exitcode}"
            report.warnings.append(f"worker {i} ended with {how}; the other workers took over its recipients")
            log.warning("%s", report.warnings[-1])
    engine = open_engine(settings)
    try:
        left = sendlog.counts(engine, report.digest_id or -1, report.list_name)
    finally:
        engine.dispose()
    report.pending = left.pending + (left.failed if retry_failed else 0)
    report.unknown_total = left.unknown
    if errors:  # each already says what to run to resume
        raise DeliveryError(f"a worker stopped: {errors[0]}")
    if report.pending and not report.cancelled:
        raise DeliveryError(
            f"edition {report.edition}: every worker ended and {report.pending} recipient(s) are still owed: "
            "run `digest send` again to resume"
        )
    return report
