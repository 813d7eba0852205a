"""`digest preview --serve`: the command-line side of the preview server (kept here so the
`digest preview` command only delegates)."""

from __future__ import annotations

import webbrowser
from collections.abc import Sequence

import click

from digest.cli.common import emit_json
from digest.config import Settings
from digest.preview.server import DEFAULT_HOST, DEFAULT_PORT, PreviewServer, serve_preview


def run_server(
    settings: Settings,
    sources: Sequence[str],
    host: str | None,
    port: int | None,
    *,
    json_out: bool = False,
    debug: bool = False,
    open_browser: bool = False,
) -> None:
    """Serve until Ctrl+C. A --host given explicitly may be a non-loopback address (warned)."""
    if "-" in sources:
        raise click.UsageError('--serve reads the sources again on every reload: "-" (stdin) cannot be read twice')

    def ready(server: PreviewServer) -> None:
        if json_out:
            emit_json({"url": server.url, "host": server.host, "port": server.port})
        click.echo(
            f"Preview at {server.url} (reload the page after editing templates or the config; Ctrl+C stops)",
            err=True,
        )
        if open_browser:
            webbrowser.open(server.url)

    serve_preview(
        settings,
        list(sources),
        host or DEFAULT_HOST,
        DEFAULT_PORT if port is None else port,
        allow_remote=host is not None,
        debug=debug,
        on_ready=ready,
    )
