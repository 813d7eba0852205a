"""The real APScheduler BlockingScheduler, stepped by hand so a test controls 'now'."""

from __future__ import annotations

import threading
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler


class SteppedScheduler(BlockingScheduler):
    """Everything BlockingScheduler does except its wait loop: ``step()`` is one loop turn."""

    def start(self, paused: bool = False) -> None:  # type: ignore[override]
        self._event = threading.Event()
        BaseScheduler.start(self, paused)

    def wakeup(self) -> None:
        pass

    def step(self) -> float | None:
        return self._process_jobs()


def write_job(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n' + body, encoding="utf-8")
    return path
