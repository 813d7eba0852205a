"""console://: print each message to stdout (or ``console://?stream=stderr``), for a look."""

from __future__ import annotations

import sys
from typing import TextIO

from digest.config import Settings
from digest.deliver.base import BaseBackend, OutgoingMessage, SendResult
from digest.errors import ConfigError


class ConsoleBackend(BaseBackend):
    scheme = "console"
    reaches_people = False

    def __init__(self, url: str, settings: Settings, stream: TextIO | None = None) -> None:
        super().__init__(url, settings)
        self.check_options(("stream",))
        self.stream_name = self.options.get("stream", "stdout")
        if self.stream_name not in ("stdout", "stderr"):
            raise ConfigError(f"{url}: ?stream= expects stdout or stderr")
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or (sys.stderr if self.stream_name == "stderr" else sys.stdout)

    def send_one(self, message: OutgoingMessage) -> SendResult:
        out = self.stream
        out.write(message.data.decode("ascii", errors="replace").replace("\r\n", "\n"))
        out.write("-" * 79 + "\n")
        out.flush()
        return SendResult(message, ok=True, reply="printed")
