"""A reverse proxy on 127.0.0.1 that injects faults in front of a real server (the local PDS).

It forwards every request unchanged and rewrites the upstream's own URL in JSON answers to its
own (as a reverse proxy's URL rewriting does), so a client that learns its server's address from
an answer (atproto reads it from the DID document at login) keeps talking through the proxy.
A fault rule answers a matching request itself (``forward=False``: the upstream never sees it)
or after forwarding it (``forward=True``: the request takes effect, the client sees an error).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Fault:
    path: str  # a substring of the request path, e.g. "com.atproto.repo.createRecord"
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"error":"Injected","message":"injected by the test proxy"}'
    count: int = 1
    forward: bool = False


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, int]] = []  # (method, path, status the client got)
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30, trust_env=False)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._take(self.path)
                status, headers, content = 0, {}, b""
                if fault is None or fault.forward:
                    upstream = proxy._client.request(
                        self.command,
                        proxy.upstream + self.path,
                        content=body,
                        headers={k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS},
                    )
                    status, content = upstream.status_code, upstream.content
                    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
                    if "json" in upstream.headers.get("content-type", ""):
                        content = content.replace(proxy.upstream.encode(), proxy.base.encode())
                if fault is not None:
                    status, content = fault.status, fault.body
                    headers = {"Content-Type": "application/json", **fault.headers}
                with proxy._lock:
                    proxy.seen.append((self.command, self.path.split("?", 1)[0], status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(content)

            do_GET = do_POST = _relay

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://localhost:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path in path:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def calls(self, path_part: str) -> list[int]:
        """Statuses the client got for requests whose path contains ``path_part``, in order."""
        with self._lock:
            return [status for _, path, status in self.seen if path_part in path]


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy._thread.start()
    try:
        yield proxy
    finally:
        proxy.httpd.shutdown()
        proxy.httpd.server_close()
        proxy._client.close()
