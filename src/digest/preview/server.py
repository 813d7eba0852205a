"""A small local web server for the editor preview: `digest preview --serve`.

Standard library only (``http.server.ThreadingHTTPServer``): no framework, no build step.
Every page load re-reads the config and templates and rebuilds the digest, so an edit shows
on reload. The email frames and the text part ask for the page's own build by id, so one
page load summarizes the digest once.

Safety: bound to 127.0.0.1 unless the caller explicitly allows another address; requests
whose Host header names another site are refused (DNS rebinding); the send-test form needs
the per-process token and a same-origin POST; the email frame is served with a CSP that
allows no scripts at all; everything on the page is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import json
import logging
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from digest.config import Settings, load_settings
from digest.errors import ConfigError, DigestError
from digest.ingest import Spec
from digest.mailing.drafts import approve as approve_draft
from digest.mailing.drafts import discard as discard_draft
from digest.mailing.drafts import edit_draft
from digest.preview.app import PreviewApp, report_line
from digest.preview.counting import counting_data
from digest.preview.editions import base_path, draft_html, edit_from_form, render_editions
from digest.preview.files import placeholder_unsubscribe_url
from digest.preview.frames import emulate_dark_mode, links_open_outside
from digest.preview.page import posts_document, render_page

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_FORM_BYTES = 10_000
MAX_TEST_RECIPIENTS = 5

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The email as sent, shown in the page's frames: styles and remote images, never a script.
EMAIL_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; "
    "font-src https: data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: PreviewApp) -> None:
        self.app = app
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    @property
    def host(self) -> str:
        host = self.server_address[0]
        return host.decode() if isinstance(host, bytes | bytearray) else str(host)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/"


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "digest-preview"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    # ------------------------------------------------------------ plumbing
    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, head: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if "Cache-Control" not in (headers or {}):
            self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _html(self, status: int, text: str, csp: str = PAGE_CSP, frame: str = "DENY") -> None:
        self._send(
            status,
            text.encode("utf-8"),
            "text/html; charset=utf-8",
            {"Content-Security-Policy": csp, "X-Frame-Options": frame},
        )

    def _error(self, status: int, message: str) -> None:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>digest preview: error</title>"
            '<link rel=stylesheet href="/static/preview.css"><main class="failed"><h1>The digest could not be '
            f"built</h1><p class=error-line>{html.escape(message)}</p><p>Fix it and reload this page.</p></main>"
        )
        self._html(status, body)

    def _host_ok(self) -> bool:
        """Refuse requests for another host name (DNS rebinding) while bound to loopback."""
        if not self.server.app.loopback:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.port
        allowed = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
        allowed.add(f"{self.server.host}:{port}")
        return host in allowed

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except DigestError as exc:
            log.warning("%s", exc)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - show the editor a line, keep serving
            if self.server.app.debug:
                traceback.print_exception(exc)
            message = f"unexpected {type(exc).__name__}: {exc}"
            print(f"error: {message}", file=sys.stderr)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, message + " (run with --debug for details)")

    # ------------------------------------------------------------ routes
    def do_GET(self) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host\n", "text/plain; charset=utf-8")
            return
        path = urlsplit(self.path).path
        routes: dict[str, Callable[[], None]] = {
            "/": self._page,
            "/index.html": self._page,
            "/email.html": self._email_html,
            "/email.txt": self._email_text,
            "/posts.json": self._posts,
            "/counting.json": self._counting,
            "/healthz": lambda: self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8"),
        }
        if path in routes:
            self._guard(routes[path])
        elif path == "/editions" or path.startswith("/editions/"):
            self._guard(lambda: self._editions_get(path))
        elif path.startswith("/static/"):
            self._static(path.removeprefix("/static/"))
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host\n", "text/plain; charset=utf-8")
            return
        path = urlsplit(self.path).path
        if path.startswith("/editions/"):
            self._guard(lambda: self._editions_post(path))
            return
        if path != "/send-test":
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        self._guard(self._send_test)

    def _page(self) -> None:
        app = self.server.app
        query = self._query()
        send = app.notices.get(query.get("notice"))
        build = app.build()
        self._html(HTTPStatus.OK, render_page(build, csrf_token=app.token, dark=query.get("dark") == "1", send=send))

    def _email_html(self) -> None:
        q = self._query()
        build = self.server.app.build_for(q.get("b"))
        body = links_open_outside(build.html)
        if q.get("dark") == "1":
            body = emulate_dark_mode(body)
        self._html(HTTPStatus.OK, body, csp=EMAIL_CSP, frame="SAMEORIGIN")

    def _email_text(self) -> None:
        build = self.server.app.build_for(self._query().get("b"))
        self._send(HTTPStatus.OK, build.text.encode("utf-8"), "text/plain; charset=utf-8")

    def _posts(self) -> None:
        build = self.server.app.build_for(self._query().get("b"))
        body = json.dumps(posts_document(build), ensure_ascii=False).encode("utf-8")
        self._send(HTTPStatus.OK, body, "application/json")

    def _counting(self) -> None:
        body = json.dumps(counting_data(), ensure_ascii=False).encode("utf-8")
        self._send(HTTPStatus.OK, body, "application/json", {"Cache-Control": "max-age=3600"})

    def _static(self, name: str) -> None:
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        try:
            body = resources.files("digest.preview").joinpath("static", name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        self._send(HTTPStatus.OK, body, STATIC_TYPES[suffix])

    def _same_origin(self) -> bool:
        host = self.headers.get("Host") or ""
        origin = self.headers.get("Origin")
        if origin is None:
            referer = self.headers.get("Referer") or ""
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        return bool(host) and origin == f"http://{host}"

    def _send_test(self) -> None:
        app = self.server.app
        form = self._form()  # method, origin, length and token checked before a byte is read
        if form is None:
            return
        to = [a.strip() for a in form.get("to", "").replace(";", ",").split(",") if a.strip()]
        send: dict[str, Any] = {"to": ", ".join(to)}
        try:
            if not to:
                raise ConfigError("give at least one address to send the test to")
            if len(to) > MAX_TEST_RECIPIENTS:
                raise ConfigError(f"at most {MAX_TEST_RECIPIENTS} test recipients at a time")
            report = app.send_test(to)["report"]
            send["report"] = report_line(report)
            if report.failed:
                send["error"] = f"Test to {', '.join(to)} not delivered"
            else:
                send["ok"] = f"Test sent to {', '.join(to)}"
        except DigestError as exc:
            send["error"] = str(exc)
        # Post/Redirect/Get: reloading the result page never sends the test again
        notice = app.notices.put(send)
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain; charset=utf-8", {"Location": f"/?notice={notice}#send-test"})

    # ------------------------------------------------------------ drafts
    def _edition_route(self, path: str) -> tuple[str | None, str]:
        """("/editions/<edition>/<action>") -> (edition, action); (None, "") for the list."""
        rest = path.removeprefix("/editions").strip("/")
        if not rest:
            return None, ""
        name, _, action = rest.partition("/")
        return unquote(name), action

    def _editions_get(self, path: str) -> None:
        app = self.server.app
        settings = app.load_settings()
        edition, action = self._edition_route(path)
        if edition is not None and action == "email.html":
            html = draft_html(settings, edition, placeholder_unsubscribe_url(settings))
            self._html(HTTPStatus.OK, links_open_outside(html), csp=EMAIL_CSP, frame="SAMEORIGIN")
            return
        if action:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        notice = app.notices.get(self._query().get("notice"))
        page = render_editions(settings, edition, csrf_token=app.token, can_edit=app.loopback, notice=notice)
        self._html(HTTPStatus.OK, page)

    def _form(self) -> dict[str, str] | None:
        """The posted form if it is small, from this page and carries its token; else None
        (the refusal was already sent, and the connection closed: an unread body is never
        waited for). Length, origin and (when the page put it in the URL, as its forms do)
        the token are checked before a byte of the body is read."""
        refuse = self._refuse
        raw_length = (self.headers.get("Content-Length") or "").strip()
        if not raw_length.isdigit():
            return refuse(HTTPStatus.BAD_REQUEST, "a form needs a valid Content-Length")
        if int(raw_length) > MAX_FORM_BYTES:
            return refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "form too large")
        if not self._same_origin():
            return refuse(HTTPStatus.FORBIDDEN, "refused: the form must come from this preview")
        token = self._query().get("token")
        if token is not None and not hmac.compare_digest(token, self.server.app.token):
            return refuse(HTTPStatus.FORBIDDEN, "refused: reload the page and try again")
        body = self.rfile.read(int(raw_length)).decode("utf-8", "replace")
        form = {k: v[-1] for k, v in parse_qs(body).items()}
        if token is None and not hmac.compare_digest(form.get("token", ""), self.server.app.token):
            return refuse(HTTPStatus.FORBIDDEN, "refused: reload the page and try again")
        return form

    def _refuse(self, status: HTTPStatus, reason: str) -> None:
        self.close_connection = True  # the body (if any) is left unread
        self._send(status, (reason + "\n").encode(), "text/plain; charset=utf-8", {"Connection": "close"})

    def _editions_post(self, path: str) -> None:
        app = self.server.app
        edition, action = self._edition_route(path)
        if edition is None or action not in ("edit", "approve", "discard"):
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        if not app.loopback:
            self._send(
                HTTPStatus.FORBIDDEN,
                b"refused: drafts are changed from a preview on this machine only (or with `digest editions`)\n",
                "text/plain; charset=utf-8",
            )
            return
        form = self._form()
        if form is None:
            return
        settings = app.load_settings()
        outcome: dict[str, Any] = {}
        try:
            if action == "edit":
                edit = edit_from_form(form)
                edit_draft(settings, edition, [edit])
                outcome["ok"] = f"Saved: {edit.describe()}"
            elif action == "approve":
                report = approve_draft(settings, edition)
                outcome["ok"] = f"Approved and sent: {report_line(report)}"
            else:
                discard_draft(settings, edition)
                outcome["ok"] = "Discarded: this draft will never be sent"
        except DigestError as exc:
            outcome["error"] = str(exc)
        notice = app.notices.put(outcome)  # Post/Redirect/Get: a reload never repeats the action
        self._send(
            HTTPStatus.SEE_OTHER,
            b"",
            "text/plain; charset=utf-8",
            {"Location": f"{base_path(edition)}?notice={notice}"},
        )


def make_server(
    settings: Settings,
    sources: Sequence[Spec] | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    reload: bool = True,
    debug: bool = False,
) -> PreviewServer:
    """A bound (not yet serving) preview server. Non-loopback hosts need ``allow_remote``."""
    loopback = is_loopback(host)
    if not loopback and not allow_remote:
        raise ConfigError(
            f"refusing to serve the preview on {host}: it is not a loopback address "
            "(pass --host explicitly to serve on the network)"
        )

    def load() -> Settings:
        return load_settings(settings.config_path) if reload else settings

    app = PreviewApp(load, sources, loopback=loopback, debug=debug)
    try:
        return PreviewServer((host, port), app)
    except OSError as exc:
        raise ConfigError(f"cannot serve the preview on {host}:{port}: {exc.strerror or exc}") from None


def serve_preview(
    settings: Settings,
    sources: Sequence[Spec] | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    reload: bool = True,
    debug: bool = False,
    on_ready: Callable[[PreviewServer], None] | None = None,
) -> None:
    """Serve the preview until interrupted (Ctrl+C)."""
    server = make_server(settings, sources, host, port, allow_remote=allow_remote, reload=reload, debug=debug)
    if not server.app.loopback:
        print(
            f"warning: serving the preview on {host}, a non-loopback address: anyone who can reach this "
            "machine can read the digest; test sends are limited to [delivery] editors",
            file=sys.stderr,
        )
    if on_ready:
        on_ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
