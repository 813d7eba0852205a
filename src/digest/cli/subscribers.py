"""`digest subscribers`: add, import, list, remove and unsubscribe addresses."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from click.decorators import FC

from digest.cli.common import AppContext, emit_json, pass_app


def _engine(app: AppContext):  # type: ignore[no-untyped-def]
    from digest.storage.engine import open_engine

    return open_engine(app.settings)


def list_option(default: str | None = "default") -> Callable[[FC], FC]:
    return click.option(
        "--list",
        "list_name",
        default=default,
        metavar="NAME",
        show_default=default is not None,
        help="The subscriber list (a name like vip; created by adding to it).",
    )


@click.group()
def subscribers() -> None:
    """Manage who receives the digest (stored in the digest database)."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", help="Display name, used in the greeting and the To header.")
@click.option("--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed (only if they asked).")
@list_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def add(app: AppContext, email: str, name: str | None, resubscribe: bool, list_name: str, as_json: bool) -> None:
    """Add one subscriber to a list (or update their name)."""
    from digest.mailing import subscribers as subs

    result = subs.add(_engine(app), email, name, resubscribe=resubscribe, list_name=list_name)
    if as_json:
        emit_json({"outcome": result.outcome, **result.subscriber.to_dict()})
        return
    s = result.subscriber
    if result.outcome == "suppressed":
        click.echo(
            f"{s.email} unsubscribed on {s.unsubscribed_at:%Y-%m-%d} and stays unsubscribed "
            "(use --resubscribe only if they asked to come back)."
        )
    else:
        click.echo(f"{s.email}: {result.outcome}" + ("" if s.list == "default" else f" (list {s.list})"))


@subscribers.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@list_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def import_(app: AppContext, path: Path, list_name: str, as_json: bool) -> None:
    """Import subscribers into a list from a CSV file with an `email` column and an optional `name` column."""
    from digest.mailing import subscribers as subs

    report = subs.import_csv(_engine(app), path, list_name=list_name)
    if as_json:
        emit_json(report.to_dict())
        return
    for bad in report.invalid:
        click.echo(f"{path}: line {bad.line}: {bad.reason}", err=True)
    parts = [f"{report.added} added", f"{report.updated} updated", f"{report.unchanged} unchanged"]
    if report.suppressed:
        parts.append(f"{report.suppressed} kept unsubscribed")
    if report.invalid:
        parts.append(f"{len(report.invalid)} invalid (not imported)")
    click.echo(f"{path}: " + ", ".join(parts))


@subscribers.command("list")
@click.option("--active", "active_only", is_flag=True, help="Only active subscribers.")
@list_option()
@click.option("--all-lists", is_flag=True, help="Subscribers of every list (overrides --list).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def list_(app: AppContext, active_only: bool, list_name: str, all_lists: bool, as_json: bool) -> None:
    """List a list's subscribers with their status."""
    from digest.mailing import subscribers as subs

    rows = subs.iter_subscribers(_engine(app), active_only=active_only, list_name=None if all_lists else list_name)
    if as_json:
        emit_json([s.to_dict() for s in rows])
        return
    n = 0
    for s in rows:
        n += 1
        name = f" ({s.name})" if s.name else ""
        where = f"  [{s.list}]" if all_lists else ""
        click.echo(f"{s.email}{name}  {s.status}{where}")
    click.echo(f"{n} subscriber(s)", err=True)


@subscribers.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def show(app: AppContext, email: str, as_json: bool) -> None:
    """Everything held about one address: lists, statuses, consents, sends, bounces."""
    from digest.errors import InputError
    from digest.mailing.records import record_of

    record = record_of(_engine(app), email)
    if not record["subscriptions"] and not record["consents"] and not record["bounces"]:
        raise InputError(f"{record['email']}: nothing is held about this address")
    if as_json:
        emit_json(record)
        return
    click.echo(record["email"])
    for sub in record["subscriptions"]:
        click.echo(f"  list {sub['list']}: {sub['status']} (since {sub['created_at']})")
    for c in record["consents"]:
        click.echo(f"  {c['at']}  {c['action']} {c['list']}" + (f"  from {c['form_url']}" if c["form_url"] else ""))
    click.echo(f"  {len(record['sends'])} message(s) sent, {len(record['bounces'])} bounce(s) or complaint(s)")


@subscribers.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@pass_app
def export(app: AppContext, fmt: str, output: str | None) -> None:
    """Every subscription of every list, with its status, as CSV or JSON."""
    from digest.mailing.records import export as write

    engine = _engine(app)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            n = write(engine, fh, fmt)
    else:
        n = write(engine, sys.stdout, fmt)
    click.echo(f"{n} subscription(s) exported", err=True)


@subscribers.command("lists")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def lists(app: AppContext, as_json: bool) -> None:
    """Every subscriber list with its number of active and all subscribers."""
    from digest.mailing import subscribers as subs

    found = subs.list_names(_engine(app))
    if as_json:
        emit_json([{"list": name, "active": a, "total": t} for name, (a, t) in found.items()])
        return
    for name, (active, total) in found.items():
        click.echo(f"{name}  {active} active, {total} in all")
    click.echo(f"{len(found)} list(s)", err=True)


@subscribers.command("remove")
@click.argument("email")
@list_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def remove(app: AppContext, email: str, list_name: str, as_json: bool) -> None:
    """Forget an address on a list entirely, with its send history (`unsubscribe` stops mailing)."""
    from digest.mailing import subscribers as subs

    gone = subs.remove(_engine(app), email, list_name)
    if as_json:
        emit_json({"removed": gone.email, "list": gone.list})
    else:
        click.echo(f"{gone.email}: removed")


@subscribers.command("unsubscribe")
@click.argument("email_or_token")
@list_option(default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def unsubscribe(app: AppContext, email_or_token: str, list_name: str | None, as_json: bool) -> None:
    """Stop mailing an address, given as itself or as the token from its unsubscribe link.

    An address leaves --list (default: default); a token leaves the list it was issued for.
    """
    from digest.mailing import subscribers as subs

    sub, changed = subs.unsubscribe(_engine(app), app.settings, email_or_token, list_name)
    if as_json:
        emit_json({"changed": changed, **sub.to_dict()})
    elif changed:
        click.echo(f"{sub.email}: unsubscribed from list {sub.list}")
    else:
        click.echo(f"{sub.email}: already unsubscribed from list {sub.list}")


@subscribers.command("reactivate")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list on stdout.")
@pass_app
def reactivate(app: AppContext, email: str, yes: bool, as_json: bool) -> None:
    """Mail a bounced or complained address again (on every list where it was stopped).

    Do this only when you know the address works again, or the reader asked: mailing dead
    addresses or people who marked you as spam hurts delivery to everyone else.
    """
    from digest.mailing import subscribers as subs
    from digest.mailing.suppression import reactivate as reactivate_address

    engine = _engine(app)
    rows = subs.get_all(engine, email)
    stopped = [r for r in rows if r.status in (subs.BOUNCED, subs.COMPLAINED)]
    if stopped and not yes:
        where = ", ".join(f"{r.list} ({r.status})" for r in stopped)
        if not sys.stdin.isatty():
            raise click.UsageError(f"{stopped[0].email} is {where}: confirm with --yes to mail it again")
        click.confirm(f"{stopped[0].email} is {where}. Mail it again?", abort=True, err=True)
    changed = reactivate_address(engine, email)
    if as_json:
        emit_json([r.to_dict() for r in changed])
    else:
        for row in changed:
            click.echo(f"{row.email}: {row.status} on list {row.list}")
