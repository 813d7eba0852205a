"""memory://: keep messages in a list in this process (tests and plugins read ``outbox``).

Like Django's locmem backend, the list is shared by every instance, so code that builds its
own backend (``send_digest``) can be checked afterwards: ``MemoryBackend.outbox``.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from digest.deliver.base import BaseBackend, OutgoingMessage, SendResult


class MemoryBackend(BaseBackend):
    scheme = "memory"
    reaches_people = False
    outbox: ClassVar[list[OutgoingMessage]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def send_one(self, message: OutgoingMessage) -> SendResult:
        with self._lock:
            self.outbox.append(message)
        return SendResult(message, ok=True, code=250, reply="kept in memory")

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()
