"""kill -9 in the middle of a real `digest send`, then a re-run: nobody lost, nobody doubled.

The only message allowed to arrive twice is the one in flight at the kill (accepted by the
server, its outcome not yet recorded), and the re-run says so.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select
from tests.support.delivery import ROOT, check_all, cli, configure, seed
from tests.support.smtp import FaultyHandler, start_smtp

from digest.storage.engine import open_engine
from digest.storage.schema import sends

# the send log, subscribers and archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")


@pytest.mark.slow
def test_kill_minus_nine_then_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = FaultyHandler(slow_data=0.15)  # each message takes a while: the kill lands mid-run
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 30)
        proc = subprocess.Popen(
            [sys.executable, "-m", "digest", "send", "--now", "--json"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while handler.count() < 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the send finished before it could be killed"
        time.sleep(0.07)  # most likely while the server is slow to confirm the 11th message
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        time.sleep(0.3)  # a message the server was still answering lands now
        before = handler.count()
        assert 10 <= before < 30

        handler.slow_data = 0
        rerun = cli("send", "--now", "--json")
        assert rerun.returncode == 0, rerun.stderr
        report = json.loads(rerun.stdout)
        warned = re.search(r"(\d+) message\(s\) of edition \S+ were in flight", rerun.stderr)
        in_flight = int(warned.group(1)) if warned else 0
        assert in_flight <= 1
        counts = check_all([(m.rcpt_tos, m.raw) for m in handler.messages], emails, allow_double=in_flight)
        assert report["failed"] == 0 and report["sent"] + report["skipped"] == 30
        assert report["sent"] == 30 - before + sum(n - 1 for n in counts.values())
        engine = open_engine(settings)
        with engine.connect() as conn:
            assert {row.status for row in conn.execute(select(sends.c.status))} == {"sent"}
        # A third run has nothing left to do.
        third = json.loads(cli("send", "--now", "--json").stdout)
        assert (third["sent"], third["skipped"]) == (0, 30)
    finally:
        controller.stop()
