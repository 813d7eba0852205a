"""The "bounces" job: read the bounce mailbox in ``source`` and apply what is new to the subscribers.

Each message is handled once (the mailbox remembers it), so a fire that overlaps an earlier one
or is retried only reads what is still new. A shutdown stops between messages; the rest wait for
the next fire.
"""

from __future__ import annotations

import threading

from digest.config import Settings
from digest.schedule.jobs import JobSpec
from digest.schedule.outcome import RunOutcome


def run_bounces(job: JobSpec, settings: Settings, outcome: RunOutcome, stop: threading.Event | None) -> None:
    from digest.mailing.bounce_processing import process_source  # lazy: only bounce jobs need it

    assert job.source is not None  # parse_job requires it for this kind
    report = process_source(settings, job.source, cancel=stop)
    outcome.details["bounces"] = report.to_json()
    if report.cancelled:
        outcome.status = "interrupted"
        outcome.reason = f"stopped by shutdown after {report.processed} message(s); the rest are read next time"
        return
    outcome.status = "processed"
    suppressed = len(report.suppressed)
    outcome.reason = f"{report.processed} message(s) read, {suppressed} address(es) suppressed"
