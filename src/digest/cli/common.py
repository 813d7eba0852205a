"""What every subcommand shares: settings loading, JSON output, the error line."""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from digest.config import Settings, load_settings
from digest.errors import DigestError, Interrupted


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


def report_interrupt(ctx: click.Context, exc: KeyboardInterrupt) -> NoReturn:
    """One line saying which signal stopped the command and what is left undone; exit 130/143."""
    stopped = exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)
    app = ctx.find_object(AppContext)
    if app is not None and app.debug:
        traceback.print_exception(exc)
    name = signal.Signals(stopped.signum).name
    click.echo(f"error: stopped by {name}" + (f": {stopped.undone}" if stopped.undone else ""), err=True)
    ctx.exit(stopped.exit_code)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGINT or SIGTERM stops the command as Ctrl-C does: work unwinds, what is done is kept,
    worker processes are ended (SIGTERM's default action would leave them behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StopFlag(threading.Event):
    """Set by the first SIGINT or SIGTERM; remembers which one."""

    signum: int | None = None


# After the first signal, the message in flight may take this long before connections are cut.
GRACE_SECONDS = 4.0


@contextmanager
def stop_on_signals(on_force: Callable[[], None] | None = None) -> Iterator[StopFlag]:
    """SIGTERM or Ctrl-C: finish the message in flight, keep the rest owed. If that takes more
    than GRACE_SECONDS, ``on_force`` cuts the connections; a second signal aborts at once."""
    cancel = StopFlag()

    def force() -> None:
        if on_force is not None:
            on_force()

    def on_signal(signum: int, _frame: Any) -> None:
        if cancel.is_set():
            force()
            raise Interrupted(signum, "stopped at once by a second signal")
        cancel.signum = signum
        cancel.set()
        click.echo(
            f"{signal.Signals(signum).name}: finishing the message in flight, then stopping (again to abort)",
            err=True,
        )
        timer = threading.Timer(GRACE_SECONDS, force)
        timer.daemon = True
        timer.start()

    if threading.current_thread() is not threading.main_thread():  # e.g. called from a test thread
        yield cancel
        return
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield cancel
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
