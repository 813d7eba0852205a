"""What lives as long as the web app: settings, the database engine, the signing key, the
templates, the rate limiter and the CSRF signer. One per app, shared by every request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from digest.config import Settings
from digest.mailing.tokens import UnsubscribeSigner
from digest.web.pages import Pages
from digest.web.ratelimit import RateLimits
from digest.web.security import Csrf, origin_of

T = TypeVar("T")


class WebContext:
    def __init__(self, settings: Settings, engine: Engine, signer: UnsubscribeSigner) -> None:
        self.settings = settings
        self.engine = engine
        self.signer = signer
        self.pages = Pages(settings)
        self.limits = RateLimits(settings)
        base = settings.web.base_url
        self.csrf = Csrf(signer_key(signer), secure=bool(base and base.startswith("https://")))
        # SQLite takes one writer at a time: writers queue here instead of sleeping in its busy
        # handler (whose back-off, not the work, would set the pace under a burst of POSTs).
        self._writers = 1 if engine.dialect.name == "sqlite" else 16
        self._limiter: anyio.CapacityLimiter | None = None

    async def write(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a database write in a worker thread, as many at once as the database takes."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._writers)
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=self._limiter)

    @staticmethod
    def of(request: Request) -> WebContext:
        return cast(WebContext, request.app.state.digest)

    def base(self, request: Request) -> str:
        """The public address: [web] base_url, else what the request came to."""
        return self.settings.web.base_url or str(request.base_url).rstrip("/")

    def url_for(self, request: Request, path: str) -> str:
        return self.base(request) + path

    def client_ip(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def csrf_ok(self, request: Request, form: Any) -> bool:
        return self.csrf.valid(request, form, origin_of(self.base(request)))

    def form_page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        """A page with a form: its CSRF field, and the cookie that goes with it when new."""
        field, cookie = self.csrf.issue(request)
        response = self.pages.render(template, status, csrf=field, **context)
        if cookie:
            response.headers.append("set-cookie", self.csrf.cookie_header(cookie))
        return response


def signer_key(signer: UnsubscribeSigner) -> bytes:
    return signer.derived_key("web-csrf")
