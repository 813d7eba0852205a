"""What one fire of a job does, for the scheduler and for `digest schedule run-once`.

Every fire is its own edition, ``<job name>@<scheduled fire time in UTC>``: a catch-up after
downtime, a restart in the middle of a fire, or a retry of that fire reuse the edition, and
the send log (one row per edition and recipient) keeps any recipient from getting it twice.
A failing fire is logged with its reason and returns; the scheduler keeps running and the
job runs again at its next fire time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from digest.config import Settings, load_settings, with_overrides
from digest.errors import DigestError
from digest.mailing.lists import DEFAULT_LIST
from digest.schedule.bounces import run_bounces
from digest.schedule.executor import scheduled_fire_time
from digest.schedule.jobs import JobSpec, editors_for, load_jobs, resolve_jobs_dir
from digest.schedule.outcome import RunOutcome
from digest.schedule.social import run_social

log = logging.getLogger("digest.schedule")


@dataclass
class RunContext:
    """What the running scheduler shares with its fires (set once by the service)."""

    settings: Settings
    jobs: dict[str, JobSpec]
    stop: threading.Event = field(default_factory=threading.Event)
    on_outcome: Callable[[RunOutcome], None] | None = None


_context: RunContext | None = None


def configure(context: RunContext | None) -> None:
    global _context
    _context = context


def current_context() -> RunContext | None:
    return _context


def edition_for(job: JobSpec, fire_time: datetime) -> str:
    """``daily-digest@2026-03-02T07:00:00Z``: stable for one fire, different for every other."""
    moment = fire_time.astimezone(UTC).replace(microsecond=0)
    return f"{job.name}@{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def fire(name: str, schedule: str = "") -> dict[str, Any]:
    """The scheduler's entry point (stored in the job store as ``digest.schedule.runner:fire``).

    ``schedule`` is the job's trigger fingerprint, kept in the job store only so a restart can
    tell whether the stored next run time still belongs to the same schedule.
    """
    ctx = _context
    if ctx is None:  # a job store used by another process: load what the CLI would
        settings = load_settings()
        loaded = load_jobs(resolve_jobs_dir(None, settings), settings.digest.timezone)
        ctx = RunContext(settings=settings, jobs={j.name: j for j in loaded.jobs})
    job = ctx.jobs.get(name)
    if job is None:
        log.error("%s: no such job any more (removed from the jobs folder?): fire skipped", name)
        return {"job": name, "status": "failed", "reason": "no such job"}
    when = scheduled_fire_time() or datetime.now(UTC)
    outcome = run_job(job, ctx.settings, fire_time=when, stop=ctx.stop, scheduled=True)
    if ctx.on_outcome:
        ctx.on_outcome(outcome)
    return outcome.to_dict()


def unfinished_fires(
    settings: Settings, jobs: dict[str, JobSpec], now: datetime | None = None
) -> list[tuple[JobSpec, datetime]]:
    """Fires of digest jobs that left recipients owed (a scheduler stopped mid-send: killed, its
    machine lost), still within the job's ``misfire_grace``: a new leader finishes them. Their
    edition and send log make finishing them exact: nobody reached is mailed again."""
    from sqlalchemy import exists, select

    from digest.mailing.sendlog import PENDING
    from digest.storage.engine import open_engine
    from digest.storage.schema import digests, sends

    now = now or datetime.now(UTC)
    longest = max((j.misfire_grace for j in jobs.values() if j.kind == "digest"), default=0)
    if not longest:
        return []
    owed = exists().where(sends.c.digest_id == digests.c.id, sends.c.status == PENDING)
    query = select(digests.c.edition).where(digests.c.created_at >= now - timedelta(seconds=longest), owed)
    engine = open_engine(settings)
    try:
        with engine.connect() as conn:
            names = list(conn.execute(query).scalars())
    finally:
        engine.dispose()
    found = []
    for name in sorted(names):
        job_name, _, stamp = name.rpartition("@")
        job = jobs.get(job_name)
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            continue  # an edition not made by a scheduled fire
        if (
            job is not None
            and job.kind == "digest"
            and timedelta(0) <= now - when <= timedelta(seconds=job.misfire_grace)
        ):
            found.append((job, when))
    return found


def settings_for(job: JobSpec, settings: Settings) -> Settings:
    """The config with the job's overrides (sources, subject, title) applied; the recipients
    override (a subscriber list) is passed to send_digest, not kept in the settings."""
    if job.sources is not None:
        settings = replace(settings, sources=job.sources)
    if job.subject is not None:
        settings = with_overrides(settings, "email", subject=job.subject)
    if job.title is not None:
        settings = with_overrides(settings, "digest", title=job.title)
    return settings


def run_job(
    job: JobSpec,
    settings: Settings,
    *,
    fire_time: datetime | None = None,
    stop: threading.Event | None = None,
    scheduled: bool = False,
) -> RunOutcome:
    """Run one fire of a job and never raise: the outcome says what happened and why."""
    when = fire_time or datetime.now(UTC).replace(second=0, microsecond=0)
    edition = edition_for(job, when)
    outcome = RunOutcome(
        job=job.name, kind=job.kind, edition=edition, fire_time=when.astimezone(UTC).isoformat(), status="failed"
    )
    log.info("%s: running edition %s", job.name, edition)
    try:
        job_settings = settings_for(job, settings)
        if job.kind == "digest":
            _run_digest(job, job_settings, outcome, when, stop)
        elif job.kind == "bounces":
            run_bounces(job, job_settings, outcome, stop)
        else:
            run_social(job, job_settings, outcome, stop)
    except DigestError as exc:
        outcome.status, outcome.reason = "failed", " ".join(str(exc).split())
    except Exception as exc:
        log.debug("%s: traceback", job.name, exc_info=True)
        outcome.status = "failed"
        outcome.reason = f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}"
    _log_outcome(outcome, scheduled)
    return outcome


def _log_outcome(o: RunOutcome, scheduled: bool) -> None:
    if o.status == "failed":
        again = " (will run again at its next fire time)" if scheduled else ""
        log.error("%s: edition %s failed: %s%s", o.job, o.edition, o.reason, again)
    elif o.status == "partial":
        log.warning("%s: edition %s sent to %d, failed for %d: %s", o.job, o.edition, o.sent, o.failed, o.reason)
    elif o.status == "draft":
        log.info("%s: edition %s drafted, editors told: %s", o.job, o.edition, o.reason)
    elif o.status == "skipped":
        log.info("%s: edition %s: nothing new: skipped", o.job, o.edition)
    elif o.status == "duplicate":
        log.info("%s: edition %s was already sent: nothing sent again", o.job, o.edition)
    elif o.status == "processed":
        log.info("%s: bounces: %s", o.job, o.reason)
    elif o.status == "interrupted":
        log.warning("%s: edition %s interrupted by shutdown after %d sent: %s", o.job, o.edition, o.sent, o.reason)
    else:
        log.info("%s: edition %s sent to %d recipient(s)", o.job, o.edition, o.sent)


def review_deadline(job: JobSpec, settings: Settings, fire_time: datetime) -> datetime | None:
    """The first approve_by time (the job's, else [schedule] approve_by) after the fire, in the
    job's time zone; None when there is no deadline."""
    clock = job.approve_by if job.approve_by is not None else settings.schedule.approve_by
    if not clock:
        return None
    zone = ZoneInfo(job.timezone)
    local = fire_time.astimezone(zone)
    hour, minute = (int(x) for x in clock.split(":"))
    deadline = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if deadline <= local:
        deadline += timedelta(days=1)
    return deadline.astimezone(UTC)


def post_queued(settings: Settings) -> None:
    """Post the queued posts whose time has come; never raises (a scheduler job)."""
    from digest.publish.queue import post_due
    from digest.storage.engine import open_engine

    try:
        engine = open_engine(settings)
        try:
            post_due(engine, settings)
        finally:
            engine.dispose()
    except DigestError as exc:
        log.error("post queue: %s", " ".join(str(exc).split()))
    except Exception as exc:  # noqa: BLE001 - a failing round must never stop the scheduler
        log.error("post queue: unexpected %s: %s", type(exc).__name__, exc)


def settle_drafts(settings: Settings) -> None:
    """Send or skip the drafts nobody approved by their deadline; never raises (a scheduler job)."""
    from digest.mailing.drafts import settle_overdue

    try:
        for draft, what in settle_overdue(settings):
            log.warning("%s: edition %s not approved in time: %s", draft.job or "editions", draft.edition, what)
    except DigestError as exc:
        log.error("review deadlines: %s", " ".join(str(exc).split()))
    except Exception as exc:  # noqa: BLE001 - a failing check must never stop the scheduler
        log.error("review deadlines: unexpected %s: %s", type(exc).__name__, exc)


def _run_draft(job: JobSpec, settings: Settings, outcome: RunOutcome, fire_time: datetime) -> None:
    """approve = true: keep the edition as a draft and mail the editors; it goes out on approval."""
    from digest.mailing.drafts import draft_edition, mail_editors

    editors = editors_for(job, settings)
    list_name = job.recipients or DEFAULT_LIST
    outcome.details["list"] = list_name
    draft = draft_edition(
        settings,
        outcome.edition,
        list_name=list_name,
        today=fire_time.astimezone(ZoneInfo(job.timezone)).date(),
        only_new=True,
        skip_if_empty=job.skip_if_empty,
        job=job.name,
        review_by=review_deadline(job, settings, fire_time),
        on_timeout=job.on_timeout or settings.schedule.on_timeout,
    )
    if draft is None:
        outcome.status, outcome.reason = "skipped", "nothing new since the last sent digest"
        return
    outcome.digest_id = draft.id
    outcome.details["review_by"] = draft.review_by.isoformat() if draft.review_by else None
    if draft.status != "draft":
        outcome.status, outcome.reason = "duplicate", f"edition {draft.edition} is already {draft.status}"
        return
    delivered, failures = mail_editors(settings, draft, editors)
    outcome.sent, outcome.failed = len(delivered), len(failures)
    outcome.status = "draft"
    outcome.reason = f"waiting for review: `digest editions approve {draft.edition}`"
    if failures:
        outcome.reason += f"; review mail not delivered to: {'; '.join(failures)}"


def _run_digest(
    job: JobSpec, settings: Settings, outcome: RunOutcome, fire_time: datetime, stop: threading.Event | None
) -> None:
    if job.approve:
        _run_draft(job, settings, outcome, fire_time)
        return
    from digest.mailing.send import send_digest  # lazy: the scheduler must not import the whole pipeline

    list_name = job.recipients or DEFAULT_LIST
    outcome.details["list"] = list_name
    report = send_digest(
        settings,
        edition=outcome.edition,
        only_new=True,
        skip_if_empty=job.skip_if_empty,
        today=fire_time.astimezone(ZoneInfo(job.timezone)).date(),  # a late catch-up keeps its day
        list_name=list_name,  # logged, exactly-once sends to that list (unlike to=, test copies)
        cancel=stop,  # checked between messages: a shutdown finishes the message(s) in flight
    )
    if report.cancelled:
        outcome.status, outcome.sent, outcome.failed = "interrupted", report.sent, report.failed
        outcome.reason = (
            f"stopped by shutdown after {report.sent} message(s); {report.pending} stay owed in the send log: "
            f"resume with `digest schedule run-once {job.name} --at {fire_time.astimezone(UTC).isoformat()}`"
        )
        return
    outcome.digest_id = report.digest_id
    outcome.sent, outcome.failed, outcome.skipped = report.sent, report.failed, report.skipped
    if report.failures:
        outcome.details["failures"] = list(report.failures)
    if report.warnings:
        outcome.details["warnings"] = list(report.warnings)
    if report.skipped_empty:
        outcome.status = "skipped"
        outcome.reason = "nothing new since the last sent digest"
    elif outcome.failed and outcome.sent:
        outcome.status = "partial"
    elif outcome.failed:
        outcome.status = "failed"
        outcome.reason = f"{outcome.failed} recipient(s) failed"
    elif outcome.sent == 0 and outcome.skipped:
        outcome.status = "duplicate"
    elif outcome.sent == 0:
        outcome.status = "skipped"
        outcome.reason = f"no active subscribers on list {list_name!r}"
    else:
        outcome.status = "sent"
