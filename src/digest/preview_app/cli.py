"""Command-line glue for the preview server, shared by `digest preview --serve` and
`python -m digest.preview_app` so both behave the same."""

from __future__ import annotations

from collections.abc import Sequence

import click

from digest.cli.common import AppContext, emit_json, report_error
from digest.config import Settings
from digest.errors import DigestError
from digest.preview_app.server import DEFAULT_HOST, DEFAULT_PORT, PreviewServer, serve_preview


def run_server(
    settings: Settings,
    sources: Sequence[str],
    host: str | None,
    port: int | None,
    *,
    json_out: bool = False,
    debug: bool = False,
) -> None:
    """Serve until Ctrl+C. A --host given explicitly may be a non-loopback address (warned)."""

    def ready(server: PreviewServer) -> None:
        if json_out:
            bound_host, bound_port = server.server_address[:2]
            emit_json({"url": server.url, "host": bound_host, "port": bound_port})
        click.echo(
            f"Preview at {server.url} (reload the page after editing templates or the config; Ctrl+C stops)",
            err=True,
        )

    serve_preview(
        settings,
        list(sources),
        host or DEFAULT_HOST,
        DEFAULT_PORT if port is None else port,
        allow_remote=host is not None,
        debug=debug,
        on_ready=ready,
    )


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--port", type=click.IntRange(0, 65535), help=f"Port (default {DEFAULT_PORT}; 0 picks a free one).")
@click.option("--host", help=f"Address to bind (default {DEFAULT_HOST}; other addresses are served with a warning).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--json", "json_out", is_flag=True, help='Print {"url", "host", "port"} once listening.')
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def serve_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    port: int | None,
    host: str | None,
    config_path: str | None,
    json_out: bool,
    debug: bool,
) -> None:
    """Serve the editor preview of today's digest on a local web page."""
    ctx.obj = AppContext(config_path=config_path, debug=debug)
    try:
        run_server(ctx.obj.settings, sources, host, port, json_out=json_out, debug=debug)
    except DigestError as exc:
        report_error(ctx, exc)
