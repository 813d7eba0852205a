"""`digest send`: deliver today's edition to every active subscriber (or test copies)."""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from digest.cli.common import AppContext, emit_json, pass_app, stop_on_signals
from digest.cli.progress import progress_bar
from digest.errors import Interrupted


@click.command()
@click.option("--now", is_flag=True, help="Send right away, without asking for confirmation.")
@click.option("--to", "to", multiple=True, metavar="ADDR", help="Send a [TEST] copy to ADDR only (repeatable).")
@click.option("--dry-run", is_flag=True, help="Build every message and report what would be sent.")
@click.option("--retry-failed", is_flag=True, help="Also retry recipients whose delivery failed before.")
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Also send again to recipients whose message got no answer (the relay may have it: they may get two).",
)
@click.option("--edition", metavar="NAME", help="Edition name (default: today's date in the configured time zone).")
@click.option(
    "--only-new", is_flag=True, help="Leave out stories an earlier sent edition carried; skip if nothing is new."
)
@click.option("--list", "list_name", default="default", show_default=True, metavar="NAME", help="Subscriber list.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Sender processes sharing the edition (each with the backend's own connections).",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Stay running and join every edition another sender is sending (until SIGTERM/Ctrl-C).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout (--follow: one line each).")
@pass_app
def send(
    app: AppContext,
    now: bool,
    to: tuple[str, ...],
    dry_run: bool,
    retry_failed: bool,
    retry_unknown: bool,
    edition: str | None,
    only_new: bool,
    list_name: str,
    workers: int,
    follow: bool,
    as_json: bool,
) -> None:
    """Build the digest and deliver it to every active subscriber.

    Safe to run again: an edition already sent goes only to those it has not reached yet.
    Several `digest send` runs of one edition at once (processes, or machines sharing a
    PostgreSQL database) split its recipients between them.
    """
    from digest.deliver.registry import backend_from_url
    from digest.mailing.lists import check_list_name
    from digest.mailing.send import send_digest

    list_name = check_list_name(list_name)
    if workers > 1 and (to or dry_run):
        raise click.UsageError("--workers shares a real send between processes: not with --to or --dry-run")
    if follow and (to or dry_run or edition or only_new or retry_failed or retry_unknown or workers > 1):
        raise click.UsageError(
            "--follow joins the editions other senders start: not with --to, --dry-run, --edition, --only-new, "
            "--retry-failed, --retry-unknown or --workers (run more followers for more)"
        )
    settings = app.settings
    if follow:
        _follow(app, as_json)
        return
    backend = backend_from_url(settings.delivery.backend, settings)
    if as_json and getattr(backend, "stream_name", None) == "stdout":
        raise click.UsageError("--json needs stdout for itself: use console://?stream=stderr with --json")
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if interactive and not (now or dry_run or to or as_json):
        from digest.mailing.subscribers import count_active
        from digest.storage.engine import open_engine

        engine = open_engine(settings)
        active = count_active(engine, list_name)
        engine.dispose()
        click.confirm(
            f"Send to the {active} active subscriber(s) of list {list_name} not yet reached, "
            f"through {backend.display_url}?",
            abort=True,
            err=True,
        )
    with progress_bar(not dry_run, eta=True) as bar, stop_on_signals(on_force=backend.abort) as cancel:
        progress = (lambda done, total: bar.update("sending", done, total)) if bar else None
        if workers > 1:
            from digest.mailing.workers import send_with_workers

            report = send_with_workers(
                settings,
                workers,
                edition=edition,
                retry_failed=retry_failed,
                retry_unknown=retry_unknown,
                progress=progress,
                only_new=only_new,
                skip_if_empty=only_new,
                list_name=list_name,
                cancel=cancel,
            )
        else:
            report = send_digest(
                settings,
                edition=edition,
                to=list(to) or None,
                dry_run=dry_run,
                retry_failed=retry_failed,
                retry_unknown=retry_unknown,
                progress=progress,
                backend=backend,
                only_new=only_new,
                skip_if_empty=only_new,
                list_name=list_name,
                cancel=cancel,
            )
    opt = "" if list_name == "default" else f" --list {list_name}"
    if as_json:
        emit_json(report.to_json())
    if report.cancelled:
        raise Interrupted(
            cancel.signum or signal.SIGINT,
            f"edition {report.edition}: {report.sent} sent in this run, {report.pending} still owed; "
            f"run `digest send{opt}` again to resume",
        )
    if as_json:
        if not report.ok:
            _failed_line(report, opt)
            sys.exit(1)  # not everyone was reached: scripts must not take it for a full send
        return
    if dry_run:
        who = "test recipient(s)" if to else "subscriber(s)"
        click.echo(f"Dry run: edition {report.edition} would go to {report.would_send} {who} via {report.backend}.")
        if report.skipped:
            click.echo(f"{report.skipped} already handled (sent, or failed: see --retry-failed).")
        return
    if report.skipped_empty:
        click.echo(f"Nothing new since the last sent digest: edition {report.edition} skipped.")
        return
    if not to and report.sent + report.failed + report.skipped == 0:
        on = "" if list_name == "default" else f" on list {list_name}"
        click.echo(
            f"No active subscribers{on} yet: add some with `digest subscribers add EMAIL{opt}` "
            f"or `digest subscribers import FILE.csv{opt}`."
        )
        return
    kind = "test copies of edition" if to else "edition"
    to_list = "" if to or list_name == "default" else f" to list {list_name}"
    unknown = f", {report.unknown} unknown (no answer: the relay may have them)" if report.unknown else ""
    gone = f" ({report.hard_bounced} of them do not exist: now bounced)" if report.hard_bounced else ""
    click.echo(
        f"Sent {kind} {report.edition}{to_list}: {report.sent} sent, {report.failed} failed{gone}{unknown}, "
        f"{report.skipped} skipped (already sent or failed earlier) via {report.backend}."
    )
    for failure in report.failures[:10]:
        click.echo(f"  failed: {failure['email']}: {failure['reason']}")
    if report.failed > 10:
        click.echo(f"  ... and {report.failed - 10} more; retry with `digest send --retry-failed{opt}`.")
    elif report.failed > report.hard_bounced:
        click.echo(f"  Retry them with `digest send --retry-failed{opt}`.")
    if report.location:
        click.echo(f"Messages are in {report.location}")
    else:
        click.echo(f"Messages were handed to {report.backend}.")
    if not report.ok:
        _failed_line(report, opt)
        sys.exit(1)


def _failed_line(report: Any, opt: str) -> None:
    """The line(s) that say why the exit status is 1."""
    if report.cancelled:
        return  # said already, with what is owed
    retryable = report.failed - report.hard_bounced
    if report.sent == 0 and report.failed and not report.unknown:
        what = f"nothing could be delivered: all {report.failed} recipient(s) failed"
    elif retryable:
        what = f"{retryable} recipient(s) not reached"
    else:
        what = ""
    bounced = f" ({report.hard_bounced} address(es) do not exist and are now bounced)" if report.hard_bounced else ""
    if what:
        retry = f"retry with `digest send --retry-failed{opt}`"
        click.echo(f"error: edition {report.edition}: {what}{bounced}; {retry}", err=True)
    if report.unknown:
        click.echo(
            f"error: edition {report.edition}: {report.unknown} message(s) got no answer and may have arrived; "
            f"they are not resent by themselves: `digest send --retry-unknown{opt}` sends them again",
            err=True,
        )


def _follow(app: AppContext, as_json: bool) -> None:
    """`digest send --follow`: a long-running helper; its log lines at INFO, as a service's are."""
    import logging

    from digest.mailing.follow import follow

    if not app.debug:
        logging.getLogger("digest").setLevel(logging.INFO)
    with stop_on_signals() as cancel:
        follow(
            app.settings,
            cancel,
            on_report=(lambda r: emit_json(r.to_json() | {"edition": r.edition})) if as_json else None,
        )
