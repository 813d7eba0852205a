"""A Maildir: new messages are read from ``new/`` (and unflagged ones from ``cur/``); a handled
message moves to ``cur/`` with a flag, the way mail clients mark a message seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from digest.errors import InputError
from digest.mailing.bounces.sources.base import SourceBase

_INFO = ":2,"


def _flags(name: str) -> str:
    return name.partition(_INFO)[2] if _INFO in name else ""


class MaildirSource(SourceBase):
    """Messages in ``new/``, and those in ``cur/`` without ``flag``; ids are ``new/NAME`` or ``cur/NAME``."""

    def __init__(self, path: str | os.PathLike[str], *, flag: str = "S", dry_run: bool = False) -> None:
        self.path = Path(path)
        if len(flag) != 1 or not flag.isalpha():
            raise InputError(f"maildir flag must be one letter, got {flag!r}")
        self.flag = flag
        self.dry_run = dry_run
        for sub in ("new", "cur", "tmp"):
            if not (self.path / sub).is_dir():
                raise InputError(f"{self.path}: not a Maildir (no {sub}/ directory)")

    def _pending(self) -> list[str]:
        ids: list[str] = []
        for sub in ("new", "cur"):
            names = sorted(n for n in os.listdir(self.path / sub) if not n.startswith("."))
            for name in names:
                if sub == "cur" and self.flag in _flags(name):
                    continue
                ids.append(f"{sub}/{name}")
        return ids

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for message_id in self._pending():
            try:
                data = (self.path / message_id).read_bytes()
            except FileNotFoundError:
                continue  # another reader took it meanwhile
            yield message_id, data

    def mark_done(self, message_id: str) -> None:
        if self.dry_run:
            return
        sub, _, name = message_id.partition("/")
        if sub not in ("new", "cur") or not name or "/" in name or name.startswith("."):
            raise InputError(f"{message_id!r} is not a message id of this Maildir")
        base, _, flags = name.partition(_INFO)
        if self.flag in flags:
            return
        new_name = base + _INFO + "".join(sorted(set(flags) | {self.flag}))
        try:
            os.replace(self.path / sub / name, self.path / "cur" / new_name)
        except FileNotFoundError:
            raise InputError(f"{self.path / sub / name}: message disappeared before it was marked") from None
