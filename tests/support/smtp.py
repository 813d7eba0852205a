"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records every message it accepts."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from tests.support.net import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    """Accepts everything unless a test sets a fault hook; keeps each message's raw bytes."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)
                )
            )
        return "250 Message accepted for delivery"


def start_smtp(handler: Any | None = None, **kwargs: Any) -> tuple[Controller, Any]:
    handler = handler or RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, handler
