"""outbox://PATH: one .eml file per message in a Maildir-style folder (the embedded default).

Each message is written under tmp/ and then renamed into new/, so a reader (or a crash) never
sees half a file. PATH is relative to DIGEST_DATA_DIR unless absolute (outbox:///var/mail/x).
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from pathlib import Path

from digest.config import Settings
from digest.deliver.base import BaseBackend, OutgoingMessage, SendResult
from digest.errors import DeliveryError

_counter = itertools.count(1)


class OutboxBackend(BaseBackend):
    scheme = "outbox"
    reaches_people = False

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self.check_options(())
        raw = self.parts.netloc + self.parts.path
        if not raw:
            raise DeliveryError(f"{url}: expected outbox://PATH (e.g. outbox://outbox)")
        self.path = self.data_path(raw)
        self._host = socket.gethostname().replace("/", "_").replace(":", "_") or "localhost"
        self._opened = False

    def open(self) -> None:
        if self._opened:
            return
        try:
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"outbox {self.path}: cannot create it: {exc.strerror}") from None
        self._opened = True

    def location(self) -> str | None:
        return str(self.path / "new")

    def send_one(self, message: OutgoingMessage) -> SendResult:
        self.open()
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(_counter)}.{self._host}.eml"
        tmp: Path = self.path / "tmp" / name
        final: Path = self.path / "new" / name
        try:
            with open(tmp, "wb") as fh:
                fh.write(message.data)
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DeliveryError(f"outbox {self.path}: cannot write a message: {exc.strerror}") from None
        return SendResult(message, ok=True, code=None, reply=f"saved {final}")
