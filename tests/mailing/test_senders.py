"""Several real `digest send` processes on one edition, on SQLite and on PostgreSQL.

Every recipient gets the edition once; a sender killed with -9 leaves its recipients to the
others (at most the one message in flight on its connection arrives twice); a sender frozen
past its lease loses its recipients and sends none of them; senders that start a new edition
at the same instant build it once; `digest send --workers N` shares the work the same way, and
`digest send --follow` joins an edition another sender started.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.support.delivery import ROOT, check_all, configure, seed
from tests.support.smtp import FaultyHandler, raws, start_smtp

from digest.config import Settings
from digest.storage.engine import open_engine
from digest.storage.locks import locks_for
from digest.storage.schema import digests, sends

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]


class Sender:
    """A `digest send` process; its stdout and stderr go to files (no pipe can fill up)."""

    def __init__(self, folder: Path, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.out = folder / f"{name}.out"
        self.err = folder / f"{name}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "digest", *args],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
                stdout=out,
                stderr=err,
            )

    def wait(self, timeout: float = 180) -> int:
        return self.proc.wait(timeout=timeout)

    def report(self) -> dict[str, object]:
        return json.loads(self.out.read_text())  # type: ignore[no-any-return]

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def senders(tmp_path: Path) -> Iterator[Callable[..., Sender]]:
    started: list[Sender] = []

    def start(name: str, *args: str, env: dict[str, str] | None = None) -> Sender:
        started.append(Sender(tmp_path, name, *args, env=env))
        return started[-1]

    yield start
    for s in started:
        s.kill()


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _rows(settings: Settings) -> list[tuple[str, str | None, int]]:
    engine = open_engine(settings)
    try:
        with engine.connect() as conn:
            return [(r.status, r.claimed_by, r.attempts) for r in conn.execute(select(sends))]
    finally:
        engine.dispose()


def _count_digests(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(digests)).scalar_one())


def test_three_senders_reach_every_recipient_once(monkeypatch: pytest.MonkeyPatch, senders) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler(slow_data=0.01)
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 300)
        runs = [senders(f"s{i}", "send", "--now", "--json", "--edition", "shared") for i in range(3)]
        assert [r.wait() for r in runs] == [0, 0, 0], [r.stderr for r in runs]
        check_all(raws(handler), emails)
        reports = [r.report() for r in runs]
        assert sum(int(r["sent"]) for r in reports) == 300  # type: ignore[call-overload]
        assert len({r["digest_id"] for r in reports}) == 1
        rows = _rows(settings)
        assert {status for status, _, _ in rows} == {"sent"} and len(rows) == 300
        assert len({who for _, who, _ in rows}) >= 2, "the senders shared the work"
        engine = open_engine(settings)
        assert _count_digests(engine) == 1
        engine.dispose()
    finally:
        controller.stop()


def test_kill_minus_nine_of_one_sender_then_the_survivors_finish(monkeypatch: pytest.MonkeyPatch, senders) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler(slow_data=0.03)  # slow enough that the kill lands mid-run
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 240)
        runs = {i: senders(f"s{i}", "send", "--now", "--json", "--edition", "shared") for i in range(3)}
        pids = {r.proc.pid: i for i, r in runs.items()}

        def victim() -> int | None:  # a sender that has claimed recipients and sent some
            working = {int(who.rsplit(":", 2)[1]) for _, who, attempts in _rows(settings) if who and attempts}
            return next((pids[p] for p in working if p in pids), None) if handler.count() >= 60 else None

        _wait_until(lambda: victim() is not None, 120, "a sender in full flow")
        killed = victim()
        assert killed is not None
        runs[killed].proc.send_signal(signal.SIGKILL)
        runs[killed].wait()
        assert runs[killed].proc.returncode == -signal.SIGKILL
        survivors = [r for i, r in runs.items() if i != killed]
        assert [r.wait() for r in survivors] == [0, 0], [r.stderr for r in survivors]
        time.sleep(0.3)  # a message the server was still confirming to the dead sender lands now

        counts = check_all(raws(handler), emails, allow_double=1)  # its one connection: one in flight
        doubled = sum(n - 1 for n in counts.values())
        reports = [r.report() for r in survivors]
        resent = 0
        for r in survivors:
            found = re.search(r"(\d+) message\(s\) of edition \S+ were in flight", r.stderr)
            resent += int(found.group(1)) if found else 0
        assert doubled <= resent <= 1
        assert {status for status, _, _ in _rows(settings)} == {"sent"}
        assert all(r["failed"] == 0 for r in reports)
        assert "taking them over" in "".join(r.stderr for r in survivors)
    finally:
        controller.stop()


def test_a_sender_frozen_past_its_lease_loses_its_recipients(monkeypatch: pytest.MonkeyPatch, senders) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler(slow_data=0.02)
    controller, _ = start_smtp(handler)
    lease = {"DIGEST_DELIVERY__CLAIM_LEASE": "2"}
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 120)
        frozen = senders("frozen", "send", "--now", "--json", "--edition", "shared", env=lease)
        _wait_until(lambda: handler.count() >= 20, 120, "the first sender in full flow")
        frozen.proc.send_signal(signal.SIGSTOP)  # alive (its database session too), but silent
        try:
            rescuer = senders("rescuer", "send", "--now", "--json", "--edition", "shared", env=lease)
            assert rescuer.wait() == 0, rescuer.stderr  # it waited out the lease, then took over
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        assert frozen.wait() == 1
        assert "another sender took over" in frozen.stderr and "Traceback" not in frozen.stderr
        time.sleep(0.3)
        check_all(raws(handler), emails, allow_double=1)  # the message it had in flight, at most
        assert {status for status, _, _ in _rows(settings)} == {"sent"}
    finally:
        controller.stop()


def test_senders_starting_a_new_edition_at_the_same_instant_build_it_once(
    monkeypatch: pytest.MonkeyPatch, senders
) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler()
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 20)
        engine = open_engine(settings)
        locks = locks_for(engine, settings)
        # Hold the edition's build lock while both start, then let go: they reach for it together.
        with locks.hold("build-fresh"):
            runs = [senders(f"s{i}", "-v", "send", "--now", "--json", "--edition", "fresh") for i in range(2)]
            time.sleep(4)  # both are up and waiting on the lock by now
            assert all(r.proc.poll() is None for r in runs)
        assert [r.wait() for r in runs] == [0, 0], [r.stderr for r in runs]
        logs = "".join(r.stderr for r in runs)
        assert len(re.findall(r"edition fresh: built \(", logs)) == 1, logs  # one build
        assert logs.count("another sender was building it") == 2  # both waited: on us, then one on the other
        assert _count_digests(engine) == 1
        counts = check_all(raws(handler), emails)
        assert sum(counts.values()) == 20
        subjects = {m.message["Subject"] for m in handler.messages}
        assert len(subjects) == 1  # one rendering
        locks.close()
        engine.dispose()
    finally:
        controller.stop()


def test_send_with_workers_shares_the_edition(monkeypatch: pytest.MonkeyPatch, senders) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler(slow_data=0.01)
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 300)
        run = senders("workers", "send", "--now", "--json", "--workers", "3")
        assert run.wait() == 0, run.stderr
        report = run.report()
        assert (report["sent"], report["failed"], report["skipped"]) == (300, 0, 0)
        check_all(raws(handler), emails)
        rows = _rows(settings)
        assert {status for status, _, _ in rows} == {"sent"}
        assert len({who for _, who, _ in rows}) >= 2, "the workers shared the work"
        assert len({peer for peer in handler.peers}) >= 2  # several processes, several connections
        again = senders("again", "send", "--now", "--json", "--workers", "3")
        assert again.wait() == 0, again.stderr
        assert (again.report()["sent"], again.report()["skipped"]) == (0, 300)
    finally:
        controller.stop()


def test_a_follower_joins_an_edition_being_sent(monkeypatch: pytest.MonkeyPatch, senders) -> None:  # type: ignore[no-untyped-def]
    handler = FaultyHandler(slow_data=0.02)
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 200)
        follower = senders("follower", "send", "--follow", "--json")
        _wait_until(lambda: "following:" in follower.stderr, 60, "the follower to start")
        main = senders("main", "send", "--now", "--json", "--edition", "big")
        assert main.wait() == 0, main.stderr
        _wait_until(lambda: bool(follower.out.read_text().strip()), 60, "the follower's report")
        follower.proc.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=60) == 0, follower.stderr
        joined = [json.loads(line) for line in follower.out.read_text().splitlines()]
        assert [j["edition"] for j in joined] == ["big"] and joined[0]["sent"] > 0
        assert main.report()["sent"] + joined[0]["sent"] == 200  # type: ignore[operator]
        check_all(raws(handler), emails)
        assert "Traceback" not in follower.stderr
    finally:
        controller.stop()
