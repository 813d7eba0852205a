"""Running the app under uvicorn for `digest serve`.

SIGTERM or Ctrl-C stops taking connections and lets the requests in flight finish (up to
DRAIN_SECONDS), then the process exits 0: stopping a server is its normal end. Only if some
request was still running when the drain window closed does it exit 143 (130 after Ctrl-C)
with a line saying how many were cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn

from digest.config import Settings
from digest.errors import DigestError
from digest.web.app import create_app

DRAIN_SECONDS = 4.0  # a stopped service is gone within 5 s

log = logging.getLogger("digest.web")


@dataclass
class Stopped:
    signal: int | None = None  # what stopped it
    in_flight: int = 0  # requests running when it was asked to stop
    cut_off: int = 0  # requests still running when the drain window closed

    @property
    def exit_code(self) -> int:
        if not self.cut_off or self.signal is None:
            return 0
        return 128 + self.signal


class _Server(uvicorn.Server):
    """uvicorn's server, reporting its address once listening and how it stopped."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[str, int], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready
        self.stopped = Stopped()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        self.on_ready(str(host), int(port))

    async def shutdown(self, sockets: Any = None) -> None:
        self.stopped.in_flight = len(self.server_state.tasks)
        started = time.monotonic()
        await super().shutdown(sockets)
        if self.stopped.in_flight and time.monotonic() - started >= DRAIN_SECONDS - 0.05:
            self.stopped.cut_off = self.stopped.in_flight

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Like uvicorn's, without re-raising the signal afterwards (which would make a clean
        stop look like a crash to the service manager)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, frame: Any) -> None:
        if self.stopped.signal is None:
            self.stopped.signal = sig
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


class _OneLine(logging.Filter):
    """uvicorn's own error log in digest's manner: no traceback unless --debug, and no noise
    about requests cut off at shutdown (`digest serve` reports those itself)."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError) or record.getMessage().startswith("Cancel "):
            return False
        if error is not None and not self.debug:
            record.msg = f"{record.getMessage().strip()}: {type(error).__name__}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str, int], None],
    proxy_headers: bool = False,
    forwarded_allow_ips: str | None = None,
    access_log: bool = False,
    debug: bool = False,
) -> Stopped:
    app = create_app(settings, debug=debug)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips if proxy_headers else None,
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
        access_log=access_log,
        log_config=None,
        server_header=False,
        lifespan="off",
    )
    server = _Server(config, on_ready)
    quiet = _OneLine(debug)
    logging.getLogger("uvicorn.error").addFilter(quiet)
    with _bound(host, port) as sock:
        try:
            server.run(sockets=[sock])
        finally:
            logging.getLogger("uvicorn.error").removeFilter(quiet)
    return server.stopped


@contextlib.contextmanager
def _bound(host: str, port: int) -> Generator[socket.socket, None, None]:
    """The listening socket, bound here so a taken port or a foreign address is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DigestError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        yield sock
    finally:
        sock.close()
