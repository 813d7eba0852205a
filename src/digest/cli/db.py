"""`digest db`: the database's schema revision, and upgrading it."""

from __future__ import annotations

import click

from digest.cli.common import AppContext, emit_json, pass_app


@click.group()
def db() -> None:
    """The database: which schema revision it is at, and upgrading it."""


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Show the database URL (password hidden), its revision and the one this digest needs."""
    from digest.storage import migrate
    from digest.storage.engine import connect

    engine = connect(app.settings)
    try:
        found = migrate.status(engine)
    finally:
        engine.dispose()
    if as_json:
        emit_json(found.to_json())
        return
    state = "up to date" if found.up_to_date else "empty (created on first use)" if found.empty else "out of date"
    click.echo(f"{found.url}: revision {found.revision or 'none'}, head {found.head}: {state}")
    if not found.up_to_date and not found.empty:
        click.echo("run `digest db upgrade` to bring it up to date", err=True)


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def upgrade(app: AppContext, as_json: bool) -> None:
    """Bring the database to the schema this digest needs (any earlier digest database; safe to repeat)."""
    from digest.storage import migrate
    from digest.storage.engine import connect

    engine = connect(app.settings)
    try:
        before, after = migrate.upgrade(engine)
        url = migrate.shown_url(engine)
    finally:
        engine.dispose()
    if as_json:
        emit_json({"url": url, "from": before, "to": after})
    elif before == after:
        click.echo(f"{url}: already at revision {after}")
    else:
        click.echo(f"{url}: upgraded from revision {before or 'none (digest 0.1.0)'} to {after}")
