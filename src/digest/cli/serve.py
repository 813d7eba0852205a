"""`digest serve`: the reader-facing web service."""

from __future__ import annotations

import click

from digest.cli.common import AppContext, emit_json, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--json", "json_out", is_flag=True, help='Print {"url", "host", "port"} once listening.')
@click.option("--proxy-headers", is_flag=True, help="Trust X-Forwarded-For/-Proto from the proxies below.")
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Comma-separated proxy addresses whose forwarded headers are trusted (with --proxy-headers).",
)
@click.option("--access-log", is_flag=True, help="Log every request (tokens in paths included).")
@pass_app
def serve(
    app: AppContext,
    host: str,
    port: int,
    json_out: bool,
    proxy_headers: bool,
    forwarded_allow_ips: str,
    access_log: bool,
) -> None:
    """Serve the subscribe, confirm, unsubscribe and preferences pages, the archive and its feeds.

    Set [web] base_url to the public https address; behind nginx or Caddy, add --proxy-headers.
    SIGTERM lets requests in flight finish, then exits 0.
    """
    from digest.web.server import serve as run

    settings = app.settings

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        url = f"http://{shown}:{bound_port}/"
        if json_out:
            emit_json({"url": url, "host": bound_host, "port": bound_port})
        click.echo(f"Serving {settings.digest.title} at {url} (Ctrl+C stops)", err=True)

    stopped = run(
        settings,
        host,
        port,
        on_ready=ready,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=access_log,
        debug=app.debug,
    )
    if stopped.cut_off:
        click.echo(
            f"digest: stopped: {stopped.cut_off} request(s) still running after the drain window were cut off",
            err=True,
        )
        raise SystemExit(stopped.exit_code)
    click.echo(f"digest: stopped ({stopped.in_flight} request(s) in flight finished)", err=True)
