"""HTML pages -> Article with trafilatura: main text plus metadata (title, url, date, author).

trafilatura sees the DOM, so it is far better at finding the article than any line
heuristic (see bench/clean_quality.py); its metadata (Open Graph, JSON-LD, <meta>) gives
the title, canonical URL, date, author, site name and, when the page states it, the language.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from digest.errors import InputError
from digest.ingest.scraped_text import _INLINE_RELATED, _RELATED_HEADER, clean_scraped_text
from digest.models import Article, Related

_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """A cheap sniff for stdin and files without a telling suffix."""
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(
        re.search(r"<(?:html|head|body|article|p|div)[\s>]", head)
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _language(value: str | None) -> str | None:
    if not value or not _LANG.match(value.strip()):
        return None
    return value.strip().split("-")[0].split("_")[0].lower()


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def related_from_html(html: str, base_url: str | None = None, limit: int = 12) -> list[Related]:
    """Stories the page links under a "More from ..." / "Related" heading, with their URLs.

    Also picks up inline "Read more: <a>headline</a>" paragraphs. The page's DOM shows
    what text alone cannot: which words are links.
    """
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: list[Related] = []
    seen: set[str] = set()

    def add(anchor: Any) -> None:
        title = _norm(anchor.text_content())
        href = anchor.get("href")
        if len(title.split()) < 3 or title.casefold() in seen or len(found) >= limit:
            return
        seen.add(title.casefold())
        url = urljoin(base_url, href) if base_url and href else href
        if url and not url.lower().startswith(("http://", "https://")) and not base_url:
            url = url if url.startswith("/") else None
        found.append(Related(title=title, url=url or None))

    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "span", "div", "header"):
        text = _norm(el.text_content())
        if not text or len(text) > 80:
            continue
        if _RELATED_HEADER.match(text):
            # Links after the heading inside its container (the list of related stories).
            container = el.getparent()
            if container is None:
                continue
            after = False
            for node in container.iter():
                if node is el:
                    after = True
                    continue
                if after and node.tag == "a" and el not in node.iterancestors():
                    add(node)
        elif el.tag == "p" and _INLINE_RELATED.match(text):
            for a in el.iter("a"):
                add(a)
    return found


def article_from_html(html: str, source: str, url: str | None = None, title: str | None = None) -> Article:
    """Extract the article of one page; InputError when the page has no article text."""
    import trafilatura  # heavy (~1 s to import): only when a page is read

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    text = ""
    meta: dict = {}
    if doc is not None:
        meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        text = (meta.get("text") or "").strip()
    if not text:
        # Pages too small for trafilatura's scoring: whole-page text, then our line cleaner.
        whole = trafilatura.html2txt(html) or ""
        cleaned = clean_scraped_text(whole, has_title=False)
        text = cleaned.body.strip()
    if not text:
        raise InputError(f"{source}: no article text found in the HTML")
    paragraphs = [p for p in (_norm(p) for p in text.split("\n")) if p]
    page_title = title or _norm(meta.get("title")) or None
    if page_title:
        # trafilatura sometimes keeps the headline (and the kicker above it) as body text.
        head = [i for i, p in enumerate(paragraphs[:4]) if p.casefold() == page_title.casefold()]
        if head:
            paragraphs = paragraphs[head[0] + 1 :]
    cleaned = clean_scraped_text("\n\n".join(paragraphs), has_title=False, whole_page=False)
    body = cleaned.body or "\n\n".join(paragraphs)
    if not page_title:
        page_title = body.split("\n", 1)[0][:120]
    page_url = url or meta.get("url") or None
    related = related_from_html(html, page_url)
    known = {r.title.casefold() for r in related}
    related += [r for r in cleaned.related if r.title.casefold() not in known]
    return Article(
        title=" ".join(page_title.split()),
        text=body,
        source=source,
        url=page_url,
        published=_parse_date(meta.get("date")),
        author=(meta.get("author") or None),
        site=(meta.get("sitename") or meta.get("hostname") or None),
        language=_language(meta.get("language")),
        related=related,
    )
