"""Scheduled jobs: job files (jobs), cron/interval triggers (triggers), what a fire does
(runner, social), and the long-running APScheduler service (service).

Python use::

    from digest.config import load_settings
    from digest.schedule import load_jobs, run_job, run_service

    settings = load_settings()
    loaded = load_jobs(Path("scheduled"), settings.digest.timezone)
    run_job(loaded.get("daily-digest"), settings)      # one fire now
"""

from digest.schedule.jobs import JobFileError, JobSpec, LoadedJobs, load_job_file, load_jobs
from digest.schedule.outcome import RunOutcome
from digest.schedule.runner import edition_for, run_job
from digest.schedule.triggers import cron_trigger, fire_times, interval_trigger, parse_cron, parse_duration

__all__ = [
    "JobFileError",
    "JobSpec",
    "LoadedJobs",
    "RunOutcome",
    "cron_trigger",
    "edition_for",
    "fire_times",
    "interval_trigger",
    "load_job_file",
    "load_jobs",
    "parse_cron",
    "parse_duration",
    "run_job",
]


def run_service(*args, **kwargs):  # type: ignore[no-untyped-def]
    """`digest schedule run` from Python (imports APScheduler's service lazily)."""
    from digest.schedule.service import run_service as _run

    return _run(*args, **kwargs)
