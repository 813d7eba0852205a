"""The one progress bar every command shows: rich, on stderr, only when stderr is a terminal.

Nothing is drawn (and rich is not even imported) when stderr is a pipe or a file, so `--json`
output and logs stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Bar:
    """One line per task, each task named by a key (a command may show several in turn)."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def update(self, key: str, done: int, total: int | None = None, description: str | None = None) -> None:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = self._progress.add_task(description or key, total=total)
        self._progress.update(task, completed=done, total=total, description=description or key)

    def advance(self, key: str, total: int | None = None, description: str | None = None) -> None:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = self._progress.add_task(description or key, total=total)
        self._progress.update(task, advance=1, description=description or key)


@contextmanager
def progress_bar(enabled: bool = True, *, eta: bool = False) -> Iterator[Bar | None]:
    """A bar (``eta``: with the time remaining, else the time elapsed), or None when not shown."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    clock = TimeRemainingColumn() if eta else TimeElapsedColumn()
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(), clock)
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield Bar(progress)
