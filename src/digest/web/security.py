"""What every response and every form gets: security headers, a body cap, CSRF checks.

- Headers: a CSP with no script at all (the pages need none), nosniff, referrers only to this
  site (reader links carry tokens, which must not leak to the sites a page links to), no framing.
- Bodies: a request declaring or sending more than ``[web] max_body_bytes`` is answered 413
  before its body is read further.
- CSRF: signed double submit. The page sets a random cookie (SameSite=Strict, HttpOnly) and
  puts an HMAC of it in the form; a POST must bring both, and a browser's Origin header, when
  sent, must be this site. RFC 8058 one-click POSTs come from mail providers without cookies:
  they are the one exception, and they can only unsubscribe the token's own subscription.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf"

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# An archived edition is the e-mail as sent: inline styles and its stories' images, still no script.
EDITION_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
FEED_CSP = "default-src 'none'; frame-ancestors 'none'"

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


class TooLarge(Exception):
    """A request body went over the cap while being read."""


class Guard:
    """ASGI middleware: security headers on every response, and the request body cap."""

    def __init__(self, app: ASGIApp, max_body: int, hsts: bool = False, debug: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.debug = debug
        self.extra = ((b"strict-transport-security", b"max-age=31536000"),) if hsts else ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_body:
                    await _plain(send, 413, b"Request body too large.\n")
                    return
        started = False
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in (*_COMMON, *self.extra):
                    if name.decode() not in headers:
                        headers.append(name.decode(), value.decode())
                if "content-security-policy" not in headers:
                    headers.append("content-security-policy", PAGE_CSP)
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except TooLarge:
            if not started:
                await _plain(send, 413, b"Request body too large.\n")
        except Exception:
            if self.debug:
                raise
            if not started:
                await _plain(send, 500, b"Something went wrong.\n")


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(b"content-security-policy", PAGE_CSP.encode()), *_COMMON, (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Csrf:
    """Makes and checks the form tokens with one server key."""

    def __init__(self, key: bytes, secure: bool) -> None:
        self._key = hashlib.sha256(b"csrf:" + key).digest()
        self.secure = secure

    def _sign(self, cookie: str) -> str:
        return hmac.new(self._key, cookie.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def cookie_of(self, request: Request) -> str | None:
        value = request.cookies.get(CSRF_COOKIE)
        return value if value and 20 <= len(value) <= 64 and value.isascii() else None

    def issue(self, request: Request) -> tuple[str, str | None]:
        """(the form field's value, a new cookie to set or None when the browser has one)."""
        cookie = self.cookie_of(request)
        if cookie:
            return self._sign(cookie), None
        cookie = secrets.token_urlsafe(24)
        return self._sign(cookie), cookie

    def cookie_header(self, cookie: str) -> str:
        attributes = "Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure else "")
        return f"{CSRF_COOKIE}={cookie}; {attributes}"

    def valid(self, request: Request, form: Mapping[str, str], origin: str) -> bool:
        """The POST carries the cookie and its signature, and comes from this site if it says where from."""
        sent_origin = request.headers.get("origin")
        if sent_origin and sent_origin.rstrip("/") != origin:
            return False  # another site's form (its Origin, or "null" from a cross-site POST)
        cookie = self.cookie_of(request)
        field = form.get(CSRF_FIELD, "")
        if not cookie or not field:
            return False
        return hmac.compare_digest(field.encode("ascii", "replace"), self._sign(cookie).encode("ascii"))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
