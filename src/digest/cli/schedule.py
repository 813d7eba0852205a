"""`digest schedule`: list, run (foreground service), run-once NAME."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from digest.cli.common import AppContext, emit_json, pass_app, stop_on_signals
from digest.errors import ConfigError

F = Callable[..., Any]


def jobs_option(f: F) -> F:
    return click.option(
        "--jobs",
        "jobs_dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Folder of job files (default: ./scheduled, else [schedule] jobs_dir of the config).",
    )(f)


def _load(app: AppContext, jobs_dir: str | None, include_disabled: bool = False):  # type: ignore[no-untyped-def]
    from digest.schedule.jobs import load_jobs, resolve_jobs_dir

    settings = app.settings
    folder = resolve_jobs_dir(jobs_dir, settings)
    loaded = load_jobs(folder, settings.digest.timezone, include_disabled=include_disabled)
    for err in loaded.errors:
        click.echo(f"error: {err}", err=True)
    return settings, loaded


@click.group()
def schedule() -> None:
    """Scheduled jobs from scheduled/*.toml: list them, run the scheduler, run one now."""


@schedule.command("list")
@jobs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def list_jobs(app: AppContext, jobs_dir: str | None, as_json: bool) -> None:
    """Every job with its trigger and next run time (its own time zone and UTC).

    Exits 1 when a job file is bad (reported on stderr); the good jobs are still listed.
    """
    from digest.schedule.service import next_fire

    _settings, loaded = _load(app, jobs_dir)
    now = datetime.now(UTC)
    rows = []
    for job in loaded.jobs:
        nxt = next_fire(job, now)
        rows.append(
            {
                "name": job.name,
                "job": job.kind,
                "trigger": job.trigger_text,
                "timezone": job.timezone,
                "next_run": nxt.isoformat() if nxt else None,
                "next_run_utc": nxt.astimezone(UTC).isoformat() if nxt else None,
                "misfire_grace": job.misfire_grace,
                "skip_if_empty": job.skip_if_empty,
                "file": str(job.path),
            }
        )
    if as_json:
        emit_json(rows)
    else:
        if not rows:
            click.echo("no jobs", err=True)
        for r in rows:
            local = _fmt(r["next_run"], ZoneInfo(r["timezone"]))
            utc = _fmt(r["next_run_utc"], UTC)
            click.echo(f"{r['name']:<20} {r['job']:<7} {r['trigger']:<24} next {local} {r['timezone']}  ({utc} UTC)")
    if loaded.errors:
        raise click.exceptions.Exit(1)


def _fmt(iso: str | None, tz: Any) -> str:
    if iso is None:
        return "never"
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


def _service_logging(app: AppContext) -> None:
    """A service tells what it does: our log lines at INFO even without -v."""
    if not app.debug:
        logging.getLogger("digest").setLevel(logging.INFO)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


@schedule.command("run")
@jobs_option
@pass_app
def run(app: AppContext, jobs_dir: str | None) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C (then exit 0)."""
    from digest.schedule.service import run_service

    _service_logging(app)
    settings, loaded = _load(app, jobs_dir)
    if not loaded.jobs:
        raise ConfigError(f"{loaded.folder}: no usable job files (*.toml)")
    raise click.exceptions.Exit(run_service(settings, loaded))


@schedule.command("run-once")
@click.argument("name")
@jobs_option
@click.option(
    "--at",
    "at",
    default=None,
    help="Run the fire scheduled at this ISO 8601 time (retries that edition; "
    "recipients who already got it are skipped). Default: now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON document.")
@pass_app
def run_once(app: AppContext, name: str, jobs_dir: str | None, at: str | None, as_json: bool) -> None:
    """Run job NAME once now, as the scheduler would (same skip and exactly-once rules)."""
    from digest.schedule.runner import run_job

    _service_logging(app)
    settings, loaded = _load(app, jobs_dir, include_disabled=True)
    job = loaded.get(name)  # a disabled job can still be run by hand
    if job is None:
        if any(e.path.stem == name or f'"{name}"' in str(e) for e in loaded.errors):
            raise click.exceptions.Exit(1)  # its file is bad: already reported above
        known = ", ".join(j.name for j in loaded.jobs) or "none"
        raise ConfigError(f'no job named "{name}" in {loaded.folder} (jobs: {known})')
    fire_time = None
    if at is not None:
        try:
            fire_time = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(f'"{at}" is not an ISO 8601 time', param_hint="--at") from None
        if fire_time.tzinfo is None:
            fire_time = fire_time.replace(tzinfo=ZoneInfo(job.timezone))
    with stop_on_signals() as stop:  # SIGTERM/Ctrl-C: finish the message in flight, keep the rest owed
        outcome = run_job(job, settings, fire_time=fire_time, stop=stop)
    if as_json:
        emit_json(outcome.to_dict())
    if not outcome.ok:
        raise click.exceptions.Exit(1)
