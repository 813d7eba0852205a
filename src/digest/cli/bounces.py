"""`digest bounces`: classify bounce messages, and apply a mailbox of them to the subscribers."""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from digest.cli.common import AppContext, emit_json, one_line, pass_app, stop_on_signals
from digest.errors import Interrupted


@click.group()
def bounces() -> None:
    """Read bounces and spam complaints (files, Maildir, mbox, IMAP)."""


@bounces.command("classify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list on stdout.")
def classify(files: tuple[str, ...], as_json: bool) -> None:
    """Say which recipients each message reports as failed, and why (changes nothing).

    A message that is not a bounce (a delivery report, a vacation reply) reports nobody. A
    file that cannot be read is reported and the others go on; the exit status is then 1.
    """
    from digest.errors import InputError
    from digest.mailing.bounces import classify_file

    results: list[dict[str, Any]] = []
    for file in files:
        try:
            report = classify_file(file)
        except InputError as exc:
            results.append({"file": file, "error": one_line(str(exc))})
            if not as_json:
                click.echo(f"error: {one_line(str(exc))}", err=True)
            continue
        results.append({"file": file, "bounces": [b.as_dict() for b in report.bounces]})
        if as_json:
            continue
        if not report.bounces:
            click.echo(f"{file}: not a bounce")
        for b in report.bounces:
            click.echo(f"{file}: {b.recipient} {b.kind} {b.reason} {b.status or '-'}")
    if as_json:
        emit_json(results)
    if any("error" in r for r in results):
        sys.exit(1)


@bounces.command("process")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing, mark nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def process(app: AppContext, source: str, dry_run: bool, as_json: bool) -> None:
    """Apply the new bounces and complaints in SOURCE to the subscribers, each message once.

    SOURCE is maildir://PATH, mbox://PATH, imap://user@host[:port]/FOLDER or imaps://...
    (password in DIGEST_IMAP_PASSWORD). A hard bounce makes the address "bounced", a
    complaint "complained" (both on every list); soft bounces count towards [bounces]
    soft_limit. SIGTERM or Ctrl-C stops after the message in hand; the rest are read next time.
    """
    from digest.mailing.bounce_processing import BounceProcessor

    settings = app.settings
    processor = BounceProcessor(settings, source, dry_run=dry_run)
    with stop_on_signals(on_force=processor.abort) as cancel:
        processor.cancel = cancel
        report = processor.process()
    if as_json:
        emit_json(report.to_json())
    else:
        what = "Dry run: would apply" if dry_run else "Processed"
        click.echo(
            f"{what} {report.processed} message(s): {report.hard} hard, {report.soft} soft, "
            f"{report.complaints} complaint(s), {report.not_bounces} not bounces, {report.unmatched} unmatched."
        )
        verb = "would be suppressed" if dry_run else "suppressed"
        if report.suppressed:
            click.echo(f"{len(report.suppressed)} address(es) {verb}: {', '.join(report.suppressed)}")
        for error in report.errors[:10]:
            click.echo(f"  skipped: {one_line(error)}", err=True)
    if report.cancelled:
        raise Interrupted(
            cancel.signum or signal.SIGINT,
            f"{report.processed} message(s) handled; the rest are read by the next `digest bounces process`",
        )
