"""What every bounce source offers: new messages once each, and a way to mark them handled."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Protocol, Self


class BounceSource(Protocol):
    """New messages from a mailbox, each ``(id, raw bytes)``.

    ``mark_done(id)`` records a message as handled so the next run skips it; callers call it
    only after the message's result is stored, so a crash in between means the message is
    read again rather than lost. With ``dry_run`` set, ``mark_done`` changes nothing.
    """

    dry_run: bool

    def __iter__(self) -> Iterator[tuple[str, bytes]]: ...

    def mark_done(self, message_id: str) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SourceBase:
    """Context-manager plumbing shared by the concrete sources."""

    dry_run: bool = False

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
