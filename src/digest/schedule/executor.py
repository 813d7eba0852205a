"""Executors that tell the job which fire it is running.

APScheduler 3 calls a job's function without its scheduled run time, but the edition of a
digest IS that time (so a catch-up or a retry of one fire is recognised as the same
edition). These executors run APScheduler's own ``run_job`` (misfire check, events, logs)
one run time at a time with the time published in a context variable.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.executors.pool import ThreadPoolExecutor

_fire_time: ContextVar[datetime | None] = ContextVar("digest_schedule_fire_time", default=None)


def scheduled_fire_time() -> datetime | None:
    """The scheduled time of the fire being run in this thread (None outside the scheduler)."""
    return _fire_time.get()


def run_with_fire_times(job: Any, jobstore_alias: str, run_times: list[datetime], logger_name: str) -> list[Any]:
    events: list[Any] = []
    for run_time in run_times:
        token = _fire_time.set(run_time)
        try:
            events.extend(run_job(job, jobstore_alias, [run_time], logger_name))
        finally:
            _fire_time.reset(token)
    return events


class FireTimeThreadPoolExecutor(ThreadPoolExecutor):
    """APScheduler's thread pool executor, publishing each run's scheduled time."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        def callback(f: Any) -> None:
            exc = f.exception()
            if exc:
                self._run_job_error(job.id, exc, getattr(exc, "__traceback__", None))
            else:
                self._run_job_success(job.id, f.result())

        f = self._pool.submit(run_with_fire_times, job, job._jobstore_alias, run_times, self._logger.name)
        f.add_done_callback(callback)


class FireTimeInlineExecutor(BaseExecutor):
    """Runs the job synchronously in the scheduler's thread: deterministic tests."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            events = run_with_fire_times(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException:  # noqa: BLE001 - as APScheduler's own executor: the error goes to the job's listeners
            self._run_job_error(job.id, *sys.exc_info()[1:])
        else:
            self._run_job_success(job.id, events)
