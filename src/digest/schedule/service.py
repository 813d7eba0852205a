"""The long-running scheduler: APScheduler 3.11 BlockingScheduler + a persistent job store.

Jobs are stored by TEXTUAL reference (``digest.schedule.runner:fire``) under their name as a
stable id, so the store survives upgrades and restarts. On start the store is synchronised
with the jobs folder: new jobs are added, edited ones replaced, removed ones deleted; a job
whose schedule did not change keeps its stored next run time, so a fire missed while the
service was down is caught up (once, thanks to ``coalesce``) when it is still within the
job's ``misfire_grace`` and reported as missed otherwise.

APScheduler 3 must not share one job store between two scheduler processes, so any number of
`digest schedule run` may run (on several machines with PostgreSQL) but only the leader
(digest.schedule.leader) starts its scheduler; the others stand by and take over.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from digest.config import Settings
from digest.deliver.base import abort_open_backends
from digest.errors import ConfigError, Interrupted
from digest.ingest.fetch import abort_all_fetches
from digest.schedule import runner
from digest.schedule.executor import FireTimeInlineExecutor, FireTimeThreadPoolExecutor
from digest.schedule.jobs import JobSpec, LoadedJobs
from digest.schedule.leader import Leadership
from digest.schedule.outcome import RunOutcome
from digest.schedule.triggers import format_duration
from digest.storage.engine import driver_url

REVIEW_CHECK_SECONDS = 60  # how often drafts past their review deadline are looked for
QUEUE_CHECK_SECONDS = 30  # how often the post queue is looked at for posts whose time has come
GRACE_SECONDS = 4.0  # after a stop signal, how long the message in flight may take
log = logging.getLogger("digest.schedule")

FIRE_REF = "digest.schedule.runner:fire"
JOBS_TABLE = "digest_scheduler_jobs"
LONG_DOWNTIME = timedelta(days=7)


def jobstore_url(settings: Settings) -> str:
    """PostgreSQL when the archive is there (one database to run); else SQLite in the data dir.

    SQLite gets its own file so the scheduler's writes never wait on a long send transaction.
    """
    url = settings.archive.url
    if url and url.split(":", 1)[0].split("+", 1)[0] in {"postgresql", "postgres"}:
        return driver_url(url)
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'jobs.sqlite3').resolve()}"


def open_jobstore(settings: Settings) -> SQLAlchemyJobStore:
    url = jobstore_url(settings)
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return SQLAlchemyJobStore(url=url, tablename=JOBS_TABLE, engine_options=options)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # same schedule: stored next run time kept
    rescheduled: list[str] = field(default_factory=list)  # schedule changed: next run recomputed
    removed: list[str] = field(default_factory=list)


def configure_scheduler(
    scheduler: BaseScheduler,
    settings: Settings,
    jobs: list[JobSpec],
    *,
    inline: bool = False,
    jobstore: SQLAlchemyJobStore | None = None,
) -> SyncReport:
    """Give a not-yet-started scheduler our executor, the persistent store and the jobs."""
    store = jobstore or open_jobstore(settings)
    store.start(scheduler, "default")  # read what the last run left, before anything is replaced
    existing = {job.id: job for job in store.get_all_jobs()}
    report = SyncReport()
    for stale in sorted(set(existing) - {j.name for j in jobs}):
        store.remove_job(stale)
        report.removed.append(stale)
        log.info("%s: removed from the job store (no longer in the jobs folder)", stale)

    scheduler.add_jobstore(store, "default")
    scheduler.add_executor(FireTimeInlineExecutor() if inline else FireTimeThreadPoolExecutor(max_workers=4), "default")
    for job in jobs:
        options: dict[str, Any] = {
            "trigger": job.trigger(),
            "id": job.name,
            "name": job.name,
            "kwargs": {"name": job.name, "schedule": job.fingerprint},
            "replace_existing": True,
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": job.misfire_grace,
            "jobstore": "default",
            "executor": "default",
        }
        old = existing.get(job.name)
        if old is None:
            report.added.append(job.name)
            log.info("%s: added to the job store", job.name)
        elif old.kwargs.get("schedule") == job.fingerprint and old.next_run_time is not None:
            if datetime.now(UTC) - old.next_run_time > max(LONG_DOWNTIME, timedelta(seconds=2 * job.misfire_grace)):
                # APScheduler would walk every missed fire one by one (a minutely job down for a
                # year: half a million steps); none of them is within grace anyway
                log.warning(
                    "%s: missed every fire since %s (down longer than misfire_grace %s): not caught up",
                    job.name,
                    old.next_run_time.isoformat(),
                    format_duration(timedelta(seconds=job.misfire_grace)),
                )
                report.rescheduled.append(job.name)
            else:
                options["next_run_time"] = old.next_run_time  # keeps a missed fire for catch-up
                report.kept.append(job.name)
        else:
            report.rescheduled.append(job.name)
            log.info("%s: schedule changed to %s (%s): next run recomputed", job.name, job.trigger_text, job.timezone)
        scheduler.add_job(FIRE_REF, **options)
    if any(j.approve for j in jobs):
        # Drafts past their review deadline are sent or skipped within a minute of it. Kept out
        # of the persistent store: it is derived from the jobs, not a job of its own.
        scheduler.add_jobstore(MemoryJobStore(), "review")
        scheduler.add_job(
            runner.settle_drafts,
            "interval",
            seconds=REVIEW_CHECK_SECONDS,
            id="review-deadlines",
            jobstore="review",
            executor="default",
            coalesce=True,
            max_instances=1,
            kwargs={"settings": settings},
        )
    if any(j.post_to for j in jobs):
        # Queued posts live in the post log (so a restart keeps them); this only looks there.
        scheduler.add_jobstore(MemoryJobStore(), "posts")
        scheduler.add_job(
            runner.post_queued,
            "interval",
            seconds=QUEUE_CHECK_SECONDS,
            id="post-queue",
            jobstore="posts",
            executor="default",
            coalesce=True,
            max_instances=1,
            kwargs={"settings": settings},
        )
    scheduler.add_listener(
        _listener(scheduler, {j.name: j for j in jobs}), EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES
    )
    return report


def _listener(scheduler: BaseScheduler, jobs: dict[str, JobSpec]) -> Any:
    def on_event(event: JobEvent) -> None:
        spec = jobs.get(event.job_id)
        if event.code == EVENT_JOB_MISSED:
            run_time = getattr(event, "scheduled_run_time", None)
            grace = format_duration_s(spec.misfire_grace) if spec else "?"
            local = run_time.astimezone(_tz(spec)).isoformat() if run_time and spec else run_time
            log.warning(
                "%s: missed the fire of %s: the scheduler was down longer than misfire_grace %s; "
                "not caught up, next fire at %s",
                event.job_id,
                local,
                grace,
                _next_run(scheduler, event.job_id),
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning("%s: previous fire still running: this fire skipped", event.job_id)
        elif event.code == EVENT_JOB_ERROR:
            log.error("%s: fire crashed: %s", event.job_id, getattr(event, "exception", ""))

    return on_event


def format_duration_s(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


def _tz(spec: JobSpec) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(spec.timezone)


def _next_run(scheduler: BaseScheduler, job_id: str) -> str:
    try:
        job = scheduler.get_job(job_id)
    except Exception:  # noqa: BLE001 - only for a log line
        return "?"
    return job.next_run_time.isoformat() if job and job.next_run_time else "none"


def next_fire(job: JobSpec, now: datetime | None = None) -> datetime | None:
    """When the job fires next after ``now`` (its own time zone)."""
    now = now or datetime.now(UTC)
    nxt: datetime | None = job.trigger().get_next_fire_time(None, now.astimezone(_tz(job)))
    return nxt


def run_service(settings: Settings, loaded: LoadedJobs) -> int:
    """`digest schedule run`: stand by until this process leads, then fire the jobs; block until
    SIGTERM/SIGINT, then finish the message in flight and raise Interrupted saying what was left
    undone (the CLI exits 143 or 130). If the message in flight takes longer than GRACE_SECONDS,
    its connection is cut (the send log keeps it owed)."""
    if not loaded.jobs:
        raise ConfigError(f"{loaded.folder}: no job to schedule")
    stop = threading.Event()
    stopped_by: list[int] = []
    interrupted: list[RunOutcome] = []
    running: list[BlockingScheduler] = []

    def on_outcome(outcome: RunOutcome) -> None:
        if outcome.status == "interrupted":
            interrupted.append(outcome)

    context = runner.RunContext(
        settings=settings, jobs={j.name: j for j in loaded.jobs}, stop=stop, on_outcome=on_outcome
    )
    runner.configure(context)

    def force() -> None:
        abort_open_backends()
        abort_all_fetches()

    def on_signal(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: exiting now", name)
            force()
            os._exit(128 + signum)
        stop.set()
        stopped_by.append(signum)
        log.warning("%s: finishing the message in flight, then stopping", name)
        timer = threading.Timer(GRACE_SECONDS, force)
        timer.daemon = True
        timer.start()
        for scheduler in running:
            if scheduler.running:
                # not from the handler itself: shutdown waits for the running fire and takes locks
                threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    store = jobstore_url(settings)
    leadership = Leadership(settings, store)
    try:
        _announce(settings, loaded.jobs)
        while not stop.is_set():
            with leadership.lead(stop) as held:
                if held is None:
                    break
                scheduler = BlockingScheduler(timezone=UTC)
                running[:] = [scheduler]
                lost, end = threading.Event(), threading.Event()
                watcher = leadership.watch(held, lost, end)
                try:
                    _lead(scheduler, settings, loaded.jobs, stop, lost)
                finally:
                    running.clear()
                    end.set()
                    watcher.join()
    finally:
        leadership.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runner.configure(None)
    log.info("scheduler stopped")
    if stopped_by:
        undone = "; ".join(f"{o.job}: {o.reason}" for o in interrupted) or "no fire was running: nothing left undone"
        raise Interrupted(stopped_by[0], undone)
    return 0


def _announce(settings: Settings, jobs: list[JobSpec]) -> None:
    for job in jobs:
        log.info("%s: %s (%s), next %s", job.name, job.trigger_text, job.timezone, _iso(next_fire(job)))
        if job.kind == "social" and not (job.editors or settings.delivery.editors or job.post_to):
            log.warning("%s: no editors ([delivery] editors or editors = [...]): its fires will fail", job.name)


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when else "never"


def _lead(
    scheduler: BlockingScheduler, settings: Settings, jobs: list[JobSpec], stop: threading.Event, lost: threading.Event
) -> None:
    """One term as the leader: sync the job store, finish fires a previous leader left owed,
    run the scheduler until ``stop`` (a signal) or ``lost`` (the leader lock's session died)."""
    configure_scheduler(scheduler, settings, jobs)  # logs what it added, kept, removed
    for job in jobs:
        stored = scheduler.get_job(job.name)
        pending = stored.next_run_time if stored is not None and hasattr(stored, "next_run_time") else None
        if pending and pending < datetime.now(UTC):
            log.info("%s: catch-up pending for the fire of %s", job.name, pending.isoformat())
    resumed = []
    for job, when in runner.unfinished_fires(settings, {j.name: j for j in jobs}):
        log.warning("%s: the fire of %s stopped with recipients owed: finishing it", job.name, when.isoformat())
        thread = threading.Thread(
            target=runner.run_job,
            args=(job, settings),
            kwargs={"fire_time": when, "stop": stop, "scheduled": True},
            name=f"resume-{job.name}",
        )
        thread.start()
        resumed.append(thread)

    def on_lost() -> None:
        lost.wait()
        if scheduler.running:
            scheduler.shutdown(wait=True)

    threading.Thread(target=on_lost, name="leader-lost", daemon=True).start()
    if not stop.is_set() and not lost.is_set():
        log.info("scheduler leading with %d job(s); job store %s", len(jobs), _safe_url(jobstore_url(settings)))
        scheduler.start()  # blocks until shutdown: by a signal, or when leadership is lost
    for thread in resumed:
        thread.join()


def _safe_url(url: str) -> str:
    """A database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "(database)"
