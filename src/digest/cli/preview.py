"""`digest preview`: build the digest and write the email files without sending anything."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path

import click

from digest.cli.common import AppContext, emit_json, pass_app
from digest.cli.progress import progress_bar
from digest.preview.files import DEFAULT_OUT_DIR, PreviewResult, preview_digest
from digest.render.email import site_name


def print_summary(result: PreviewResult) -> None:
    """Where the files are, and one line per story (stdout)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 110)
    console.print(f"HTML: {result.html_path}  ({result.html_bytes:,} bytes)", markup=False)
    console.print(f"Text: {result.text_path}", markup=False)
    console.print(f"Data: {result.data_path}", markup=False)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("Title", overflow="ellipsis", no_wrap=True, max_width=56)
    table.add_column("Site", overflow="ellipsis", no_wrap=True, max_width=24)
    table.add_column("Points", justify="right")
    table.add_column("Teasers", justify="right")
    for i, story in enumerate(result.digest.stories, start=1):
        site = site_name(story) or ""
        table.add_row(str(i), story.article.title, site, str(len(story.summary.key_points)), str(len(story.teasers)))
    console.print(table)


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT_DIR,
    show_default=True,
    help="Folder for digest.html, digest.txt and digest.json.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open digest.html in your web browser.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with paths, counts and warnings.")
@click.option("--serve", is_flag=True, help="Serve the editor preview page instead (rebuilt on every reload).")
@click.option("--port", type=click.IntRange(0, 65535), help="With --serve: the port (default 8765; 0: any free one).")
@click.option("--host", help="With --serve: the address (default 127.0.0.1; any other is served with a warning).")
@pass_app
def preview(
    app: AppContext,
    sources: tuple[str, ...],
    out_dir: Path,
    open_browser: bool,
    as_json: bool,
    serve: bool,
    port: int | None,
    host: str | None,
) -> None:
    """Build the digest from SOURCES (default: the config's sources) and write it, without sending.

    SOURCES are files, folders, globs, "-" (stdin) or http(s) URLs of feeds or pages. With --serve,
    a local page shows the email (desktop, phone, dark mode), the text part, the social posts
    and every warning, and sends tests; --json then prints {"url", "host", "port"}.
    """
    if serve:
        from digest.cli.preview_serve import run_server

        run_server(app.settings, sources, host, port, json_out=as_json, debug=app.debug, open_browser=open_browser)
        return
    if port is not None or host is not None:
        raise click.UsageError("--port and --host go with --serve")
    settings = app.settings
    with progress_bar() as bar:
        update = None
        if bar is not None:
            shown = bar

            def update(stage: str, done: int, total: int) -> None:
                label = "reading sources" if stage == "sources" else "summarizing"
                shown.update(stage, done, total, description=label)

        result = preview_digest(settings, list(sources) or None, out_dir, progress=update)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json(result.to_json())
    else:
        print_summary(result)
    if open_browser:
        webbrowser.open(result.html_path.resolve().as_uri())
