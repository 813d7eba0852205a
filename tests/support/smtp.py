"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records every message it accepts.

``FaultyHandler`` injects the failures delivery must survive: scripted replies or dropped
connections at RCPT and DATA, slow replies, a recipient that always gets 550, and a server
that stops and comes back mid-run (``RestartableServer``). ``tls_material`` makes a CA and a
certificate for 127.0.0.1 with trustme; ``Authenticator`` checks one user and password.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
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
        self.record(envelope)
        return "250 Message accepted for delivery"

    def record(self, envelope: Any) -> None:
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)
                )
            )

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(r for m in self.messages for r in m.rcpt_tos)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def _drop(server: Any) -> None:
    """Close the client's connection without a reply, as a crashed or overloaded server does."""
    server.transport.close()


@dataclass
class FaultyHandler(RecordingHandler):
    """Scripted faults, consumed in order, one per RCPT or DATA command.

    Each script item is "ok", "drop" (close the connection), "slow:SECONDS" (answer 250 after
    a delay; the message is not accepted if the client has gone) or a reply like "451 4.3.0
    try later". ``reject`` maps addresses to a permanent RCPT reply. ``slow_data`` delays
    every 250 after DATA, the message already accepted (for the kill -9 test).
    ``refuse_all`` answers every MAIL with it.
    """

    rcpt_script: list[str] = field(default_factory=list)
    data_script: list[str] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    slow_data: float = 0.0
    refuse_all: str | None = None
    after_accept: Any = None  # callable(count) run after each accepted message
    peers: set[Any] = field(default_factory=set)  # client (host, port) of every accepted message

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.refuse_all:
            return self.refuse_all
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.reject:
            return self.reject[address]
        action = self.rcpt_script.pop(0) if self.rcpt_script else "ok"
        if action == "drop":
            _drop(server)
            return "421 closing"
        if action.startswith("slow:"):
            await asyncio.sleep(float(action[5:]))
        elif action != "ok":
            return action
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        action = self.data_script.pop(0) if self.data_script else "ok"
        if action == "drop":
            _drop(server)
            return "421 closing"
        if action.startswith("slow:"):
            await asyncio.sleep(float(action[5:]))
            if server.transport is None or server.transport.is_closing():
                return "451 client gone"
        elif action != "ok":
            return action
        self.record(envelope)
        self.peers.add(session.peer)
        if self.after_accept:
            self.after_accept(self.count())
        if self.slow_data:  # accepted, but the client hears so only later (or never, if it dies)
            await asyncio.sleep(self.slow_data)
        return "250 2.0.0 Message accepted for delivery"


def raws(handler: RecordingHandler) -> list[tuple[list[str], bytes]]:
    """(recipients, raw bytes) of every message the server accepted, in arrival order."""
    return [(m.rcpt_tos, m.raw) for m in handler.messages]


def start_smtp(handler: Any | None = None, port: int | None = None, **kwargs: Any) -> tuple[Controller, Any]:
    handler = handler or RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **kwargs)
    controller.start()
    return controller, handler


class RestartableServer:
    """An SMTP server that can be stopped and started again on the same port mid-run."""

    def __init__(self, handler: FaultyHandler, **kwargs: Any) -> None:
        self.handler = handler
        self.kwargs = kwargs
        self.port = free_port()
        self.controller: Controller | None = None
        self.restarts = 0
        self.stopping = False

    def start(self) -> None:
        self.controller, _ = start_smtp(self.handler, port=self.port, **self.kwargs)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart_after(self, n: int, downtime: float) -> None:
        """After the n-th accepted message: refuse new mail (421), go down, come back."""

        def hook(count: int) -> None:
            if count == n and not self.restarts:
                self.restarts += 1
                self.handler.refuse_all = "421 4.3.2 shutting down"
                threading.Thread(target=self._bounce, args=(downtime,), daemon=True).start()

        self.handler.after_accept = hook

    def _bounce(self, downtime: float) -> None:
        time.sleep(0.05)  # let the 250 for message n reach the client
        self.stop()
        time.sleep(downtime)
        self.handler.refuse_all = None
        self.start()


@dataclass
class TLSMaterial:
    ca_file: Path
    server_context: ssl.SSLContext


def tls_material(folder: Path) -> TLSMaterial:
    """A throwaway CA (trustme) and a server certificate for 127.0.0.1."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TLSMaterial(ca_file, server_context)


class Authenticator:
    """aiosmtpd authenticator accepting exactly one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.attempts: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.attempts.append(auth_data.login.decode())
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)
