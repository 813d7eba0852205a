"""The public archive routes: the edition list, each edition's web version, the feeds, and
``/healthz``. Sent editions never change, so their pages are cached for a minute in memory."""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from digest.mailing.published import public_edition, public_editions
from digest.web import feeds
from digest.web.context import WebContext
from digest.web.security import EDITION_CSP, FEED_CSP

CACHE_SECONDS = 60
_CACHE_SIZE = 64


class PageCache:
    """The last few editions' web pages, each kept for CACHE_SECONDS."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key: str) -> str | None:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: str) -> None:
        self._items[key] = (time.monotonic() + CACHE_SECONDS, value)
        self._items.move_to_end(key)
        while len(self._items) > _CACHE_SIZE:
            self._items.popitem(last=False)


def _not_found(ctx: WebContext) -> Response:
    return ctx.pages.message("Not found", "There is no such edition in the archive.", 404)


def _closed(ctx: WebContext) -> Response:
    return ctx.pages.message("No archive", "This newsletter keeps no public archive.", 404)


async def archive_index(request: Request) -> Response:
    ctx = WebContext.of(request)
    if not ctx.settings.web.archive:
        return _closed(ctx)
    editions = await run_in_threadpool(public_editions, ctx.engine, ctx.settings)
    page = ctx.pages.html("archive", editions=editions)
    return HTMLResponse(page, headers={"cache-control": f"public, max-age={CACHE_SECONDS}"})


async def edition_page(request: Request) -> Response:
    ctx = WebContext.of(request)
    if not ctx.settings.web.archive:
        return _closed(ctx)
    name = request.path_params["edition"]
    cache: PageCache = request.app.state.pages
    page = cache.get(name)
    if page is None:
        found = await run_in_threadpool(public_edition, ctx.engine, ctx.settings, name)
        if found is None:
            return _not_found(ctx)
        page = found.web_html(ctx.url_for(request, "/unsubscribe/"))
        cache.put(name, page)
    headers = {"cache-control": f"public, max-age={CACHE_SECONDS}", "content-security-policy": EDITION_CSP}
    return HTMLResponse(page, headers=headers)


async def atom_feed(request: Request) -> Response:
    ctx = WebContext.of(request)
    if not ctx.settings.web.archive:
        return _closed(ctx)
    editions = await run_in_threadpool(public_editions, ctx.engine, ctx.settings, ctx.settings.web.archive_size)
    body = feeds.atom(ctx.pages, ctx.settings, editions, ctx.base(request))
    headers = {"cache-control": f"public, max-age={CACHE_SECONDS}", "content-security-policy": FEED_CSP}
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)


async def json_feed(request: Request) -> Response:
    ctx = WebContext.of(request)
    if not ctx.settings.web.archive:
        return _closed(ctx)
    editions = await run_in_threadpool(public_editions, ctx.engine, ctx.settings, ctx.settings.web.archive_size)
    body = feeds.json_feed_text(ctx.settings, editions, ctx.base(request))
    headers = {"cache-control": f"public, max-age={CACHE_SECONDS}", "content-security-policy": FEED_CSP}
    return Response(body, media_type="application/feed+json; charset=utf-8", headers=headers)


def _database_answers(ctx: WebContext) -> None:
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def healthz(request: Request) -> Response:
    ctx = WebContext.of(request)
    try:
        await run_in_threadpool(_database_answers, ctx)
    except Exception:  # noqa: BLE001 - any failure means "not healthy"; the log has the detail
        return PlainTextResponse("database unavailable\n", status_code=503, headers={"cache-control": "no-store"})
    return PlainTextResponse("ok\n", headers={"cache-control": "no-store"})
