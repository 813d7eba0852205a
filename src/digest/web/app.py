"""The ASGI app behind `digest serve` (Starlette), also importable as ``digest.web:app``."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from digest.config import Settings
from digest.mailing.tokens import signer_for
from digest.storage.engine import open_engine
from digest.web import archive, readers
from digest.web.context import WebContext
from digest.web.security import Guard

log = logging.getLogger("digest.web")


def create_app(settings: Settings, *, debug: bool = False) -> ASGIApp:
    """The app for these settings. The database is opened (and its schema checked) now, so a
    misconfigured service fails at start-up with one line rather than on its first request."""
    engine = open_engine(settings)
    ctx = WebContext(settings, engine, signer_for(settings))
    stylesheet = ctx.pages.stylesheet()

    async def home(request: Request) -> Response:
        return RedirectResponse("/archive/" if settings.web.archive else "/subscribe", status_code=303)

    async def css(request: Request) -> Response:
        return Response(stylesheet, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    stylesheet += ctx.pages.colours()

    async def http_error(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        if code == 404:
            return ctx.pages.message("Not found", "There is nothing at this address.", 404)
        if code == 405:
            return PlainTextResponse("Method not allowed.\n", status_code=405)
        return ctx.pages.message("Something went wrong", "Please try again later.", code)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return ctx.pages.message("Something went wrong", "Please try again later.", 500)

    routes = [
        Route("/", home),
        Route("/healthz", archive.healthz),
        Route("/static/site.css", css),
        Route("/subscribe", readers.subscribe_page, methods=["GET"]),
        Route("/subscribe", readers.subscribe, methods=["POST"]),
        Route("/confirm/{token}", readers.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", readers.confirm, methods=["POST"]),
        Route("/unsubscribe/", readers.unsubscribe_help, methods=["GET"]),
        Route("/unsubscribe/{token}", readers.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", readers.unsubscribe, methods=["POST"]),
        Route("/preferences/{token}", readers.preferences_page, methods=["GET"]),
        Route("/preferences/{token}", readers.preferences, methods=["POST"]),
        Route("/archive/", archive.archive_index),
        Route("/archive/{edition}/", archive.edition_page),
        Route("/archive/{edition}", archive.edition_page),
        Route("/feed.xml", archive.atom_feed),
        Route("/feed.json", archive.json_feed),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.digest = ctx
    app.state.pages = archive.PageCache()
    hsts = bool(settings.web.base_url and settings.web.base_url.startswith("https://"))
    # Outermost, so even the last-resort error page gets the headers and no traceback leaks.
    return Guard(app, max_body=settings.web.max_body_bytes, hsts=hsts, debug=debug)
