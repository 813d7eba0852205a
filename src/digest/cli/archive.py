"""`digest archive export DIR`: the public archive and feeds as static files."""

from __future__ import annotations

import click

from digest.cli.common import AppContext, emit_json, pass_app


@click.group()
def archive() -> None:
    """The public archive of sent editions."""


@archive.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--json", "json_out", is_flag=True, help="Print what was written as JSON.")
@pass_app
def export(app: AppContext, directory: str, json_out: bool) -> None:
    """Write the archive pages and the Atom and JSON feeds into DIRECTORY, for any web host."""
    from digest.web.export import export_archive

    report = export_archive(app.settings, directory)
    if json_out:
        emit_json(report.to_dict())
        return
    click.echo(f"Exported {len(report.editions)} edition(s) and both feeds to {report.directory}")
