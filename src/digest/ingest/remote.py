"""Feeds and pages over HTTP: fetch (guarded), then parse or extract.

``read_url``/``read_feed``/``read_page`` are what ``digest.ingest.read_source`` calls.
``fetch_feed``/``fetch_page`` are the same work with what an archive run needs on top:
conditional GET validators in and out, a body hash to skip unchanged content, and a
``is_known`` hook so entries already archived are not fetched again for full text.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

from digest.config import Settings
from digest.errors import DigestError, InputError
from digest.ingest.extract_pool import extract_page
from digest.ingest.feeds import looks_like_feed, parse_feed
from digest.ingest.fetch import ANY_DOCUMENT, FEED_TYPES, HTML_TYPES, Fetcher, Response, fetcher_for
from digest.models import Article

log = logging.getLogger(__name__)

FEEDISH_TYPES = FEED_TYPES - {"text/plain", "application/octet-stream"}


@dataclass
class FeedFetch:
    url: str
    articles: list[Article] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    warnings: list[str] = field(default_factory=list)
    skipped_known: int = 0  # entries already archived (not re-fetched, not returned)


@dataclass
class PageFetch:
    url: str
    article: Article | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


def body_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _html_of(resp: Response) -> str | bytes:
    """Decoded text when the server named a charset; raw bytes otherwise (trafilatura sniffs)."""
    return resp.text() if resp.charset else resp.content


def article_from_response(resp: Response) -> Article:
    return extract_page(_html_of(resp), resp.url, resp.final_url)


_Fetched = TypeVar("_Fetched", PageFetch, FeedFetch)


def _checked(
    result: _Fetched, resp: Response, etag: str | None, last_modified: str | None, previous_hash: str | None
) -> _Fetched:
    """``result`` with the validators to remember, and ``not_modified`` set if the content is
    unchanged: a 304 (keeping the validators we sent where the server repeats none), or a body
    with the same hash as last time (for servers that send no validators)."""
    if resp.not_modified:
        result.not_modified = True
        result.etag, result.last_modified = resp.etag or etag, resp.last_modified or last_modified
        return result
    result.etag, result.last_modified = resp.etag, resp.last_modified
    result.body_hash = body_hash(resp.content)
    result.not_modified = bool(previous_hash) and previous_hash == result.body_hash
    return result


# ---------------------------------------------------------------- pages


def fetch_page(
    url: str,
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    previous_hash: str | None = None,
) -> PageFetch:
    """Fetch and extract one page; unchanged (304 or same bytes as before) returns no article."""
    with fetcher_for(settings.fetch, fetcher) as f:
        resp = f.get(url, accept=HTML_TYPES, etag=etag, last_modified=last_modified)
    result = _checked(PageFetch(url), resp, etag, last_modified, previous_hash)
    if not result.not_modified:
        result.article = article_from_response(resp)
    return result


def read_page(url: str, settings: Settings, *, fetcher: Fetcher | None = None) -> Article:
    article = fetch_page(url, settings, fetcher=fetcher).article
    assert article is not None
    return article


# ---------------------------------------------------------------- feeds


def fetch_feed(
    url: str,
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    max_items: int = 20,
    fetch_full_text: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
    previous_hash: str | None = None,
    is_known: Callable[[Article], bool] | None = None,
) -> FeedFetch:
    """Fetch a feed (conditionally) and turn its newest ``max_items`` entries into Articles."""
    with fetcher_for(settings.fetch, fetcher) as f:
        resp = f.get(url, accept=FEED_TYPES | HTML_TYPES, etag=etag, last_modified=last_modified)
        result = _checked(FeedFetch(url), resp, etag, last_modified, previous_hash)
        if result.not_modified:
            return result
        if resp.content_type in HTML_TYPES and not looks_like_feed(resp.content):
            raise InputError(f'{url}: a web page, not a feed (use type = "url" for pages)')
        parsed = parse_feed(resp.content, url, resp.content_type, max_items=max_items)
        if parsed.warning:
            result.warnings.append(parsed.warning)
        articles = parsed.articles
        if is_known is not None:
            fresh = [a for a in articles if not is_known(a)]
            result.skipped_known = len(articles) - len(fresh)
            articles = fresh
        if fetch_full_text and articles:
            articles = with_full_text(articles, settings, f, result.warnings)
        result.articles = articles
    return result


def with_full_text(articles: list[Article], settings: Settings, fetcher: Fetcher, warnings: list[str]) -> list[Article]:
    """Replace teasers with the linked pages' text; keep the teaser when a page cannot be used."""

    def one(article: Article) -> Article:
        if not article.url:
            return article
        try:
            page = article_from_response(fetcher.get(article.url, accept=HTML_TYPES))
        except DigestError as exc:
            msg = f"full text of {article.url} unavailable, kept the feed's teaser: {exc}"
            log.warning("%s", msg)
            warnings.append(msg)
            return article
        if len(page.text) <= len(article.text):
            return article
        return replace(
            article,
            text=page.text,
            author=article.author or page.author,
            published=article.published or page.published,
            language=article.language or page.language,
            title=article.title or page.title,
        )

    workers = max(1, min(4, settings.fetch.concurrency, len(articles)))
    if workers == 1:
        return [one(a) for a in articles]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, articles))


def read_feed(
    url: str,
    settings: Settings,
    max_items: int = 20,
    fetch_full_text: bool = False,
    *,
    fetcher: Fetcher | None = None,
) -> list[Article]:
    return fetch_feed(url, settings, fetcher=fetcher, max_items=max_items, fetch_full_text=fetch_full_text).articles


# ---------------------------------------------------------------- either


def read_url(url: str, settings: Settings, *, fetcher: Fetcher | None = None, max_items: int = 20) -> list[Article]:
    """A feed's entries or a page's article, decided by content type, then by sniffing."""
    with fetcher_for(settings.fetch, fetcher) as f:
        resp = f.get(url, accept=ANY_DOCUMENT)
        if resp.content_type in FEEDISH_TYPES or looks_like_feed(resp.content):
            return parse_feed(resp.content, url, resp.content_type, max_items=max_items).articles
        return [article_from_response(resp)]
