"""A real HTTP server on 127.0.0.1 for fetching tests: feeds, pages and the faults users meet.

Routes are plain data (status, body, headers, delay, ETag); the server counts every request
and every conditional request per path, so tests can assert what was (not) fetched.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
PAGES = DATA / "html-articles"
FEEDS = DATA / "feeds"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    location: str | None = None
    chunked: bool = False  # no Content-Length: the size cap must hold while streaming


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                route = server.routes.get(path)
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                with server._lock:
                    server.hits[path] += 1
                    if conditional:
                        server.conditional[path] += 1
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                if route.delay:
                    time.sleep(route.delay)
                if route.location:
                    self.send_response(route.status)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                etag_match = route.etag and self.headers.get("If-None-Match") == route.etag
                lm_match = route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
                if etag_match or (lm_match and not self.headers.get("If-None-Match")):
                    with server._lock:
                        server.not_modified[path] += 1
                    self.send_response(304)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._send(route.status, route.body, route.content_type, route)

            def _send(self, status: int, body: bytes, ctype: str | None, route: Route | None = None) -> None:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                if route is not None:
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    if route.last_modified:
                        self.send_header("Last-Modified", route.last_modified)
                if route is not None and route.chunked:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    with suppress(BrokenPipeError, ConnectionResetError):
                        for i in range(0, len(body), 65536):
                            self.wfile.write(body[i : i + 65536])
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients hanging up mid-response (size cap, timeouts) are expected here

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def page(self, path: str, name: str, **kw: object) -> str:
        """Serve one of the shared article pages (tests/data/html-articles/<name>.html)."""
        return self.add(path, Route(body=(PAGES / f"{name}.html").read_bytes(), **kw))  # type: ignore[arg-type]

    def feed(self, path: str, filename: str, content_type: str = "application/rss+xml", **kw: object) -> str:
        """Serve a fixture feed with {base} replaced by this server's address."""
        body = (FEEDS / filename).read_text(encoding="utf-8").replace("{base}", self.base).encode("utf-8")
        return self.add(path, Route(body=body, content_type=content_type, **kw))  # type: ignore[arg-type]


@contextmanager
def serve() -> Iterator[FixtureServer]:
    """A started server, stopped on exit (use it in a fixture: ``with serve() as s: yield s``)."""
    server = FixtureServer().start()
    try:
        yield server
    finally:
        server.stop()
