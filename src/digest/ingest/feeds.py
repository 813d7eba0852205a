"""RSS 0.9x/1.0/2.0 and Atom feeds into Articles (feedparser on bytes we fetched ourselves).

feedparser has no timeout and no address guard, so it never touches the network here: it
only parses. A malformed feed (``bozo``) still gives its good entries, with a warning.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from digest.errors import InputError
from digest.ingest.images import entry_categories, entry_image
from digest.ingest.web import fragment_to_text, paragraphs
from digest.links import canonical_url
from digest.models import Article
from digest.similarity import content_hash

log = logging.getLogger(__name__)


@dataclass
class ParsedFeed:
    """A feed's entries as Articles (text may be only a teaser) and what went wrong, if anything."""

    url: str
    title: str | None
    link: str | None
    version: str | None
    articles: list[Article] = field(default_factory=list)
    warning: str | None = None


def looks_like_feed(content: bytes) -> bool:
    """Sniff the first bytes: an RSS, RDF or Atom root element."""
    head = content[:2048].lstrip().lower()
    return any(marker in head for marker in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel"))


def parse_feed(content: bytes, url: str, content_type: str | None = None, max_items: int | None = None) -> ParsedFeed:
    """Parse feed bytes; raise InputError only when nothing usable came out."""
    import feedparser  # imported on first use: a run where no feed changed never needs it

    # feedparser flags these as "bozo" though the XML parsed fine (a wrong declared charset or a
    # feed served as text/plain): not worth a warning.
    benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    feed = parsed.get("feed", {})
    entries = list(parsed.get("entries", []))
    warning = None
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), benign):
        reason = " ".join(str(parsed.get("bozo_exception", "malformed")).split()).replace("<unknown>:", "line ")
        if not entries:
            if not parsed.get("version"):
                raise InputError(f"{url}: not an RSS or Atom feed ({reason})")
            raise InputError(f"{url}: malformed feed with no readable entries ({reason})")
        warning = f"{url}: malformed feed, kept {len(entries)} readable entries ({reason})"
        log.warning("%s", warning)
    elif not parsed.get("version") and not entries:
        raise InputError(f"{url}: not an RSS or Atom feed")
    site = _clean(feed.get("title"))
    language = _language(feed.get("language"))
    result = ParsedFeed(url=url, title=site, link=feed.get("link"), version=parsed.get("version"), warning=warning)
    for entry in entries:
        article = entry_article(entry, url, site, language)
        if article is not None:
            result.articles.append(article)
        if max_items is not None and len(result.articles) >= max_items:
            break
    return result


def entry_article(entry: Any, feed_url: str, site: str | None, language: str | None) -> Article | None:
    """One entry as an Article; identity is its GUID, else its canonical link, else a content hash."""
    link = _entry_link(entry, feed_url)
    text = entry_text(entry)
    title = _clean(entry.get("title")) or (text.split("\n", 1)[0][:120] if text else None)
    if not title and not text:
        return None
    guid = _clean(entry.get("id"))
    if not guid:
        guid = canonical_url(link) if link else "sha256:" + content_hash(f"{title}\n{text}")
    author = _clean(entry.get("author"))
    return Article(
        title=title or "",
        text=text,
        source=feed_url,
        url=link,
        published=_entry_date(entry),
        author=author,
        site=site,
        language=language,
        guid=guid,
        image=entry_image(entry, link or feed_url),
        categories=entry_categories(entry),
    )


def entry_text(entry: Any) -> str:
    """The fullest text the entry carries (content over summary), as plain text."""
    best = ""
    candidates = [c for c in entry.get("content", []) or []]
    if entry.get("summary_detail"):
        candidates.append(entry["summary_detail"])
    elif entry.get("summary"):
        candidates.append({"value": entry["summary"], "type": "text/html"})
    for item in candidates:
        value = item.get("value") or ""
        kind = (item.get("type") or "text/html").lower()
        text = fragment_to_text(value) if "html" in kind else paragraphs(value)
        if len(text) > len(best):
            best = text
    return best


def _entry_link(entry: Any, feed_url: str) -> str | None:
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links", []) or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link:
        guid = entry.get("id") or ""
        if entry.get("guidislink") and guid.startswith(("http://", "https://")):
            link = guid
    if not link:
        return None
    link = urljoin(feed_url, link.strip())
    return link if link.lower().startswith(("http://", "https://")) else None


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _clean(value: Any) -> str | None:
    if not value:
        return None
    text = fragment_to_text(str(value)) if "<" in str(value) or "&" in str(value) else str(value)
    text = " ".join(text.split())
    return text or None


def _language(value: Any) -> str | None:
    if not value:
        return None
    return str(value).strip().lower().split("-", 1)[0][:8] or None
