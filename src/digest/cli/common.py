"""What every subcommand shares: settings loading, JSON output, the error line."""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from digest.config import Settings, load_settings
from digest.errors import DigestError


@dataclass
class AppContext:
    config_path: str | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def emit_json(data: Any) -> None:
    """One JSON document on stdout and nothing else there."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit_jsonl(item: Any) -> None:
    """One line of a JSON-lines stream (the same encoding as ``emit_json``)."""
    emit_json(item)


def one_line(message: str) -> str:
    return " ".join(str(message).split())


def report_error(ctx: click.Context, exc: BaseException, unexpected: bool = False) -> NoReturn:
    """Print one clear line (or, with --debug, the traceback) and exit 1."""
    app = ctx.find_object(AppContext)
    if app is not None and app.debug:
        traceback.print_exception(exc)
    if unexpected and not isinstance(exc, DigestError):
        msg = f"unexpected {type(exc).__name__}: {one_line(str(exc))} (run with --debug for details)"
    else:
        msg = one_line(str(exc))
    click.echo(f"error: {msg}", err=True)
    ctx.exit(1)


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the command as Ctrl-C does: work unwinds, what is done is kept, worker
    processes are ended (the default action would kill this process and leave them behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM or Ctrl-C: finish the message in flight, keep the rest owed; a second one aborts."""
    cancel = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        click.echo(
            f"{signal.Signals(signum).name}: finishing the message in flight, then stopping (again to abort)",
            err=True,
        )

    if threading.current_thread() is not threading.main_thread():  # e.g. called from a test thread
        yield cancel
        return
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield cancel
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
