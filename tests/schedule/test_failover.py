"""Two real `digest schedule run` processes on one job store: one leads, the other stands by.

When the leader is killed (-9) the standby takes over within ``failover_seconds`` and fires the
job (the fire the dead leader never made, or the one it left half-sent); a fire time never
makes two editions, even when two processes run it at once. On PostgreSQL (schedulers on
several machines) and on SQLite (several on one machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.delivery import check_all, configure, seed
from tests.support.paths import DATA, ROOT
from tests.support.scheduler import write_job
from tests.support.smtp import FaultyHandler, raws, start_smtp

from digest.storage.engine import open_engine
from digest.storage.schema import digests

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]

EVERY = 12  # seconds between fires of the test job (on a grid anchored at 2000-01-03 00:00 UTC)
FAILOVER = 3


class Scheduler:
    def __init__(self, folder: Path, name: str, args: list[str], env: dict[str, str]) -> None:
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=err)

    @property
    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, needle: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if self.proc.poll() is not None:
                pytest.fail(f"scheduler exited ({self.proc.returncode}) before {needle!r}:\n{self.text}")
            assert time.monotonic() < deadline, f"timed out waiting for {needle!r}:\n{self.text}"
            time.sleep(0.05)
        return time.monotonic()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Callable[..., Scheduler], FaultyHandler]]:
    """A config, a job every EVERY seconds, 30 subscribers, a relay; starts schedulers on demand."""
    handler = FaultyHandler()
    controller, _ = start_smtp(handler)
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", articles)
    config = tmp_path / "digest.toml"
    config.write_text(
        '[digest]\ntitle = "Failover Digest"\n'
        f"[schedule]\nfailover_seconds = {FAILOVER}\n"
        f'[[sources]]\ntype = "path"\npath = "{articles}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DIGEST_CONFIG", str(config))
    seed(settings, 30)
    write_job(tmp_path / "jobs", "pulse", f'job = "digest"\nevery = "{EVERY}s"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started: list[Scheduler] = []

    def start(name: str) -> Scheduler:
        args = [sys.executable, "-m", "digest", "schedule", "run", "--jobs", str(tmp_path / "jobs")]
        started.append(Scheduler(tmp_path, name, args, env))
        return started[-1]

    try:
        yield start, handler
    finally:
        for s in started:
            s.stop()
        controller.stop()


def _next_fire(after: datetime) -> datetime:
    seconds = int(after.timestamp())
    return datetime.fromtimestamp(seconds - seconds % EVERY + EVERY, UTC)


def _edition(when: datetime) -> str:
    return f"pulse@{when.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _digest_editions() -> list[str]:
    from digest.config import load_settings

    engine = open_engine(load_settings())
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(select(digests.c.edition)).scalars())
    finally:
        engine.dispose()


def test_the_leader_is_killed_before_its_fire_and_the_standby_fires(setup) -> None:  # type: ignore[no-untyped-def]
    start, handler = setup
    # Start just after a fire time, so both are up well before the next one.
    now = datetime.now(UTC)
    if (_next_fire(now) - now).total_seconds() < EVERY - 2:
        time.sleep((_next_fire(now) - now).total_seconds() + 0.1)
    fire = _next_fire(datetime.now(UTC))
    leader = start("leader")
    leader.wait_for("scheduler leading", 30)
    standby = start("standby")
    standby.wait_for("standing by", 30)
    assert datetime.now(UTC) < fire - timedelta(seconds=1), "too slow to start: the fire came first"
    assert handler.count() == 0
    leader.proc.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    leader.proc.wait()
    took_over = standby.wait_for("this one leads now", FAILOVER + 5)
    assert took_over - killed <= FAILOVER, f"took over after {took_over - killed:.1f}s"
    standby.wait_for(f"running edition {_edition(fire)}", EVERY + 30)
    deadline = time.monotonic() + 60
    while handler.count() < 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    check_all(raws(handler), [f"reader{i:03d}@example.org" for i in range(30)])
    assert f"running edition {_edition(fire)}" not in leader.text  # the dead leader never fired it
    assert _digest_editions()[0] == _edition(fire)
    assert "Traceback" not in standby.text


def test_the_leader_is_killed_mid_send_and_the_standby_finishes_the_edition(setup) -> None:  # type: ignore[no-untyped-def]
    start, handler = setup
    handler.slow_data = 0.15  # the send takes seconds: the kill lands in the middle of it
    leader = start("leader")
    leader.wait_for("scheduler leading", 30)
    standby = start("standby")
    standby.wait_for("standing by", 30)
    deadline = time.monotonic() + EVERY + 60
    while handler.count() < 8:
        assert time.monotonic() < deadline and leader.proc.poll() is None, leader.text
        time.sleep(0.02)
    leader.proc.send_signal(signal.SIGKILL)
    leader.proc.wait()
    handler.slow_data = 0
    standby.wait_for("this one leads now", FAILOVER + 5)
    standby.wait_for("stopped with recipients owed: finishing it", 30)
    deadline = time.monotonic() + 60
    while len(handler.per_recipient()) < 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    check_all(raws(handler), [f"reader{i:03d}@example.org" for i in range(30)], allow_double=1)
    assert len(_digest_editions()) == 1  # one fire, one edition, finished by the standby


def test_one_fire_time_run_twice_at_once_makes_one_edition(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _start, handler = setup
    handler.slow_data = 0.02
    at = "2026-03-02T07:00:00Z"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = [
        sys.executable,
        "-m",
        "digest",
        "schedule",
        "run-once",
        "pulse",
        "--at",
        at,
        "--jobs",
        str(tmp_path / "jobs"),
    ]
    runs = [
        subprocess.Popen([*args, "--json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err.decode() for _, err in outs]
    outcomes = [json.loads(out) for out, _ in outs]
    assert {o["edition"] for o in outcomes} == {"pulse@2026-03-02T07:00:00Z"}
    assert sum(o["sent"] for o in outcomes) == 30
    check_all(raws(handler), [f"reader{i:03d}@example.org" for i in range(30)])
    assert _digest_editions() == ["pulse@2026-03-02T07:00:00Z"]
