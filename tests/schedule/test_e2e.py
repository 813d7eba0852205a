"""End to end: `digest schedule run` as a real process, a real SMTP server, SIGTERM.

The one test that waits on a real clock (an `every = "2s"` job); it polls, bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support.paths import ROOT
from tests.support.scheduler import write_job

DATA = ROOT / "tests" / "data"


def _wait_for(predicate, timeout: float, proc: subprocess.Popen, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"digest schedule run exited early ({proc.returncode}):\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"timed out; scheduler log:\n{log.read_text()}")


@pytest.mark.slow
def test_schedule_run_sends_the_digest_then_exits_cleanly_on_sigterm(tmp_path: Path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    host, port, handler = smtp_server
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", articles)
    config = tmp_path / "digest.toml"
    config.write_text(
        '[digest]\ntitle = "E2E Digest"\n'
        f'[delivery]\nbackend = "smtp://{host}:{port}?tls=none"\nfrom_address = "digest@example.org"\n'
        'unsubscribe_url = "https://news.digest.test/unsubscribe?token={token}"\n'
        f'[[sources]]\ntype = "path"\npath = "{articles}"\n',
        encoding="utf-8",
    )
    jobs = tmp_path / "jobs"
    write_job(jobs, "pulse", 'job = "digest"\nevery = "2s"\n')
    log = tmp_path / "scheduler.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        DIGEST_DATA_DIR=str(tmp_path / "data"),
        DIGEST_UNSUBSCRIBE_KEY="e2e-test-key-not-secret",
        DIGEST_DELIVERY__UNSUBSCRIBE_URL="https://news.digest.test/unsubscribe?token={token}",
        PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
    )
    digest = [sys.executable, "-m", "digest", "--config", str(config)]
    subprocess.run([*digest, "subscribers", "add", "reader@example.org"], env=env, cwd=tmp_path, check=True)
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*digest, "schedule", "run", "--jobs", str(jobs)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            _wait_for(lambda: len(handler.messages) >= 1, 60, proc, log)
            # the next fires find nothing new and stay quiet
            _wait_for(lambda: "nothing new: skipped" in log.read_text(), 30, proc, log)
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    assert rc == 143, text  # 128 + SIGTERM, with one line saying nothing was left undone
    assert "Traceback" not in text
    assert "SIGTERM" in text and "scheduler stopped" in text
    assert "error: stopped by SIGTERM: no fire was running: nothing left undone" in text
    assert len(handler.messages) == 1
    received = handler.messages[0]
    assert received.rcpt_tos == ["reader@example.org"]
    assert "E2E Digest" in str(received.message["Subject"])
