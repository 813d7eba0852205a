"""HTML pages -> Article with trafilatura: main text plus metadata (title, url, date, author).

trafilatura sees the DOM, so it is far better at finding the article than any line
heuristic (see bench/clean_quality.py); its metadata (Open Graph, JSON-LD, <meta>) gives
the title, canonical URL, date, author, site name and, when the page states it, the language.
"""

from __future__ import annotations

import re
from datetime import datetime

import trafilatura

from digest.errors import InputError
from digest.ingest.scraped_text import clean_scraped_text
from digest.models import Article

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


def article_from_html(html: str, source: str, url: str | None = None, title: str | None = None) -> Article:
    """Extract the article of one page; InputError when the page has no article text."""
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
    paragraphs = [" ".join(p.split()) for p in text.split("\n")]
    body = "\n\n".join(p for p in paragraphs if p)
    page_title = title or (meta.get("title") or "").strip() or None
    if not page_title:
        page_title = body.split("\n", 1)[0][:120]
    return Article(
        title=" ".join(page_title.split()),
        text=body,
        source=source,
        url=url or meta.get("url") or None,
        published=_parse_date(meta.get("date")),
        author=(meta.get("author") or None),
        site=(meta.get("sitename") or meta.get("hostname") or None),
        language=_language(meta.get("language")),
    )
