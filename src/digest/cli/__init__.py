"""The `digest` command: a thin layer over the library.

Subcommands live one per module and load lazily, so `digest length` does not import the
summarizer and adding a command touches only its own module and the table below.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from typing import Any

import click

from digest.cli.common import AppContext, report_error, report_interrupt
from digest.errors import DigestError
from digest.version import __version__

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "summarize": "digest.cli.summarize:summarize",
    "extract": "digest.cli.sources:extract",
    "ingest": "digest.cli.sources:ingest",
    "preview": "digest.cli.preview:preview",
    "social": "digest.cli.social:social",
    "length": "digest.cli.social:length",
    "send": "digest.cli.send:send",
    "subscribers": "digest.cli.subscribers:subscribers",
    "schedule": "digest.cli.schedule:schedule",
    "db": "digest.cli.db:db",
    "editions": "digest.cli.editions:editions",
    "serve": "digest.cli.serve:serve",
    "archive": "digest.cli.archive:archive",
}


class DigestGroup(click.Group):
    """Loads subcommands on demand and turns library errors into one clear line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = []
        for name, target in COMMANDS.items():
            module = target.partition(":")[0]
            if importlib.util.find_spec(module) is not None:
                available.append(name)
        return sorted(available)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr)
        return command if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt as exc:
            report_interrupt(ctx, exc)
        except DigestError as exc:
            report_error(ctx, exc)
        except Exception as exc:  # noqa: BLE001 - the last guard before a user sees a traceback
            known = _explain(ctx, exc)
            if known is not None:
                report_error(ctx, DigestError(known))
            report_error(ctx, exc, unexpected=True)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $DIGEST_CONFIG, ./config/digest.toml, or built-in).",
)
@click.option("--debug", is_flag=True, envvar="DIGEST_DEBUG", help="Show tracebacks and debug logs.")
@click.option("-v", "--verbose", is_flag=True, help="More log lines on stderr.")
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, debug: bool, verbose: bool) -> None:
    """Turn news articles into a daily newsletter and social posts."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(config_path=config_path, debug=debug)


def _explain(ctx: click.Context, exc: Exception) -> str | None:
    """A database or disk failure in words a user can act on (busy, read-only, full)."""
    if not (isinstance(exc, OSError) or type(exc).__module__.startswith("sqlalchemy")):
        return None
    from digest.storage.engine import explain

    app = ctx.find_object(AppContext)
    try:
        settings = app.settings if app is not None else None
    except DigestError:
        settings = None
    return explain(exc, settings)


def main() -> None:
    cli(prog_name="digest")
