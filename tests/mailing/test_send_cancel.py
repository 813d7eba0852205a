"""send_digest(cancel=...): a shutdown stops between messages, nothing lost, nothing doubled.

A real aiosmtpd server whose DATA replies are slow, so messages are really in flight when the
event is set; the send log is read back from the real SQLite file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from tests.support.delivery import ROOT, check_all, cli, configure, seed
from tests.support.smtp import FaultyHandler, raws, start_smtp

from digest.deliver.memory import MemoryBackend
from digest.mailing import sendlog
from digest.mailing.send import send_digest
from digest.storage.engine import open_engine

# the send log, subscribers and archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def slow() -> Iterator[tuple[int, FaultyHandler]]:
    handler = FaultyHandler()
    handler.slow_data = 0.05  # each message accepted, then answered a moment later: in flight meanwhile
    controller, _ = start_smtp(handler)
    try:
        yield controller.port, handler
    finally:
        controller.stop()


def _counts(settings, digest_id: int) -> sendlog.Counts:  # type: ignore[no-untyped-def]
    engine = open_engine(settings)
    try:
        return sendlog.counts(engine, digest_id)
    finally:
        engine.dispose()


def _cancel_after(handler: FaultyHandler, n: int) -> threading.Event:
    cancel = threading.Event()

    def hook(count: int) -> None:
        if count >= n:
            cancel.set()  # the shutdown arrives while message n is still waiting for its reply

    handler.after_accept = hook
    return cancel


def test_cancel_on_one_connection_stops_after_the_message_in_flight(
    monkeypatch: pytest.MonkeyPatch, slow: tuple[int, FaultyHandler]
) -> None:
    port, handler = slow
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 12)
    cancel = _cancel_after(handler, 3)
    report = send_digest(settings, cancel=cancel)
    # message 3 was in flight: it completes and is logged; message 4, already built, is not started
    assert (report.sent, report.failed, report.cancelled, report.pending) == (3, 0, True, 9)
    assert report.to_json()["cancelled"] is True and report.to_json()["pending"] == 9
    assert handler.count() == 3
    logged = _counts(settings, report.digest_id)  # type: ignore[arg-type]
    assert (logged.sent, logged.pending, logged.in_flight, logged.failed) == (3, 9, 0, 0)

    handler.after_accept = None
    resumed = send_digest(settings)
    assert (resumed.sent, resumed.skipped, resumed.cancelled, resumed.resent_in_flight) == (9, 3, False, 0)
    check_all(raws(handler), emails)  # everyone exactly once
    assert _counts(settings, report.digest_id).sent == 12  # type: ignore[arg-type]


def test_cancel_with_several_connections_finishes_only_what_is_in_flight(
    monkeypatch: pytest.MonkeyPatch, slow: tuple[int, FaultyHandler]
) -> None:
    port, handler = slow
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none&connections=3")
    emails = seed(settings, 30)
    cancel = _cancel_after(handler, 4)
    report = send_digest(settings, cancel=cancel)
    assert report.cancelled and report.failed == 0
    # at the cancel, at most one message per connection was in flight past the 4th
    assert 4 <= report.sent <= 4 + 3 - 1, report.sent
    assert handler.count() == report.sent
    logged = _counts(settings, report.digest_id)  # type: ignore[arg-type]
    assert logged.sent == report.sent and logged.sent + logged.pending == 30
    assert logged.in_flight == 0  # every message started was finished and logged
    assert max(handler.per_recipient().values()) == 1

    handler.after_accept = None
    resumed = send_digest(settings)
    assert resumed.sent == 30 - report.sent and not resumed.cancelled
    check_all(raws(handler), emails)


def test_cancel_before_the_send_sends_nothing_and_keeps_everyone_owed(
    monkeypatch: pytest.MonkeyPatch, slow: tuple[int, FaultyHandler]
) -> None:
    port, handler = slow
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 5)
    cancel = threading.Event()
    cancel.set()
    report = send_digest(settings, cancel=cancel)
    assert (report.sent, report.pending, report.cancelled) == (0, 5, True)
    assert handler.count() == 0
    assert send_digest(settings).sent == 5
    check_all(raws(handler), emails)


def test_cancel_through_a_simple_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backends without their own loop (memory, outbox, console, plugins) stop the same way."""
    MemoryBackend.clear()
    settings = configure(monkeypatch, "memory://")
    seed(settings, 6)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 2:
            cancel.set()

    report = send_digest(settings, cancel=cancel, progress=progress)
    assert (report.sent, report.pending, report.cancelled) == (2, 4, True)
    assert len(MemoryBackend.outbox) == 2
    assert send_digest(settings).sent == 4
    assert len({m.recipient for m in MemoryBackend.outbox}) == len(MemoryBackend.outbox) == 6


def test_sigterm_stops_digest_send_after_the_message_in_flight(
    monkeypatch: pytest.MonkeyPatch, slow: tuple[int, FaultyHandler]
) -> None:
    """The real command: SIGTERM mid-send exits 1 with the counts, nothing doubled, a re-run resumes."""
    port, handler = slow
    handler.slow_data = 0.3  # the signal lands while message 3 waits for its reply
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 10)
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "send", "--now", "--json"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def hook(count: int) -> None:
        if count == 3:
            proc.send_signal(signal.SIGTERM)

    handler.after_accept = hook
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err  # 128 + SIGTERM, with one line saying what is owed
    assert "error: stopped by SIGTERM: edition" in err and "7 still owed" in err
    report = json.loads(out)
    assert (report["sent"], report["cancelled"], report["pending"]) == (3, True, 7), err
    assert "SIGTERM: finishing the message in flight" in err and "Traceback" not in err
    assert handler.count() == 3

    handler.after_accept = None
    handler.slow_data = 0
    again = cli("send", "--now", "--json")
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["sent"], json.loads(again.stdout)["skipped"]) == (7, 3)
    check_all(raws(handler), emails)
