"""An mbox file: read-only, with the handled messages remembered in a state file beside it.

The state file holds one SHA-256 digest per handled message, so a re-run skips them even
when the mbox has been appended to, compacted or rewritten by another program meanwhile.
"""

from __future__ import annotations

import hashlib
import mailbox
import os
from collections.abc import Iterator
from pathlib import Path

from digest.errors import InputError
from digest.mailing.bounces.sources.base import SourceBase

STATE_SUFFIX = ".digest-handled"


class MboxSource(SourceBase):
    """Messages of one mbox file; ids are the SHA-256 of each message's bytes."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        state: str | os.PathLike[str] | None = None,
        dry_run: bool = False,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such mbox file")
        self.state = Path(state) if state else self.path.with_name(self.path.name + STATE_SUFFIX)
        self.dry_run = dry_run
        self._done = self._load_state()

    def _load_state(self) -> set[str]:
        try:
            text = self.state.read_text(encoding="ascii")
        except FileNotFoundError:
            return set()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.state}: cannot read the list of handled messages: {exc}") from None
        return {line.strip() for line in text.splitlines() if line.strip()}

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        box = mailbox.mbox(self.path, create=False)
        try:
            box.lock()
        except mailbox.ExternalClashError:
            raise InputError(f"{self.path}: locked by another program, try again later") from None
        try:
            seen: set[str] = set()
            for key in box.iterkeys():
                data = box.get_bytes(key)
                digest = hashlib.sha256(data).hexdigest()
                if digest in self._done or digest in seen:
                    continue
                seen.add(digest)
                yield digest, data
        finally:
            box.unlock()
            box.close()

    def mark_done(self, message_id: str) -> None:
        if self.dry_run or message_id in self._done:
            return
        if len(message_id) != 64 or any(c not in "0123456789abcdef" for c in message_id):
            raise InputError(f"{message_id!r} is not a message id of this mbox")
        with open(self.state, "a", encoding="ascii") as fh:
            fh.write(message_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._done.add(message_id)
