"""Article text and metadata out of a web page (trafilatura), and safe text out of HTML fragments.

Extraction settings were chosen by token F1 against the article-extraction-benchmark ground
truth: trafilatura's defaults minus reader comments (comments are not the article, and
dropping them never lowered a score); if that finds too little text, a recall-oriented
second pass, keeping whichever found more.
"""

from __future__ import annotations

import html as htmlmod
import re
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import nh3

from digest.errors import InputError
from digest.models import Article

# Below this many characters the first pass probably missed the article body.
MIN_TEXT_CHARS = 250

_EXTRACT_OPTIONS = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,
}


def _run(html: Any, url: str | None, with_metadata: bool, **extra: bool) -> tuple[str, dict[str, Any]]:
    import trafilatura  # imported on first use: a run where nothing changed never needs it

    options = {**_EXTRACT_OPTIONS, "with_metadata": with_metadata}
    doc = trafilatura.bare_extraction(html, url=url, **options, **extra)
    if doc is None:
        return "", {}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return (data.get("text") or "").strip(), data


def _page_metadata(tree: Any, url: str | None) -> dict[str, Any] | None:
    """trafilatura's own metadata steps (meta tags, JSON-LD, title, author, URL, date, site name),
    minus categories, tags and licence, which a digest never shows, and minus the in-body author
    guess (see below).
    None if trafilatura's internals have moved (the caller then asks trafilatura for everything)."""
    try:
        from htmldate import find_date
        from trafilatura import metadata as tm

        md = tm.examine_meta(tree)
        if md.author and " " not in md.author:
            md.author = None
        with suppress(Exception):  # trafilatura guards its JSON-LD parser the same way
            md = tm.extract_meta_json(tree, md)
        md.title = md.title or tm.extract_title(tree)
        # No in-body author guess (trafilatura's extract_author): on the shared real pages it
        # fired 3 times and named "The Russian; Syrian defense ministries" and "Rmb" twice out
        # of three, and it deep-copies the tree (most of the metadata time). Declared authors
        # (meta tags, JSON-LD) only: better no byline than a wrong one in front of readers.
        md.url = md.url or tm.extract_url(tree, url)
        max_date = datetime.now().astimezone().strftime("%Y-%m-%d")
        md.date = find_date(tree, original_date=True, extensive_search=True, max_date=max_date, url=md.url)
        md.sitename = md.sitename or tm.extract_sitename(tree)
        if md.sitename:
            md.sitename = md.sitename.lstrip("@")
            if md.sitename and "." not in md.sitename and not md.sitename[0].isupper():
                md.sitename = md.sitename.title()
        md.clean_and_trim()
        return {k: getattr(md, k, None) for k in ("title", "author", "url", "date", "sitename", "language")}
    except (ImportError, AttributeError, TypeError):
        return None


def extract_text_and_metadata(html: str | bytes, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """The article body (paragraphs separated by blank lines) and the page's metadata."""
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return "", {}
    meta = _page_metadata(tree, url)
    if meta is None:
        text, meta = _run(tree, url, with_metadata=True)
    else:
        text, _ = _run(tree, url, with_metadata=False)  # the tree is pruned in place: metadata first
    if len(text) < MIN_TEXT_CHARS:
        text2, _ = _run(load_html(html), url, with_metadata=False, favor_recall=True)
        if len(text2) > len(text):
            text = text2
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(p for p in paragraphs if p), meta


def extract_article(html: str | bytes, source: str, url: str | None = None) -> Article:
    """An Article from a page's HTML; ``source`` names where it was read from (URL or path)."""
    text, meta = extract_text_and_metadata(html, url)
    if not text:
        raise InputError(f"{source}: no article text found in the page")
    page_url = _page_url(meta.get("url"), url)
    title = (meta.get("title") or "").strip() or _first_line(text)
    site = (meta.get("sitename") or "").strip() or (urlsplit(page_url).hostname if page_url else None)
    return Article(
        title=" ".join(title.split()),
        text=text,
        source=source,
        url=page_url,
        published=parse_date(meta.get("date")),
        author=_clean_author(meta.get("author")),
        site=site or None,
        # From the page when it says; otherwise the summarizer detects it when it needs it
        # (detecting here would load a language model into every ingest run).
        language=meta.get("language") or html_language(html),
    )


def _page_url(declared: str | None, fetched: str | None) -> str | None:
    """The page's own canonical URL if it is on the same host we fetched, else the fetched URL.

    A page may not claim another site's URL: that would let it shadow a story in the archive.
    """
    if not declared or not declared.lower().startswith(("http://", "https://")):
        return fetched
    if fetched is None:
        return declared
    a, b = urlsplit(declared).hostname or "", urlsplit(fetched).hostname or ""
    strip = lambda h: h[4:] if h.startswith("www.") else h  # noqa: E731
    return declared if strip(a) == strip(b) else fetched


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0]
    return line[:120] + ("…" if len(line) > 120 else "")


def _clean_author(author: str | None) -> str | None:
    if not author:
        return None
    author = " ".join(author.split())
    return author[:200] or None


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_LANG_RE = re.compile(rb"<html[^>]*?\slang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)


def html_language(html: str | bytes) -> str | None:
    head = html[:4000] if isinstance(html, bytes) else html[:4000].encode("utf-8", "ignore")
    m = _LANG_RE.search(head)
    return m.group(1).decode().lower() if m else None


# ---------------------------------------------------------------- HTML fragments (feed entries)

_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "section",
    "article",
    "figure",
    "figcaption",
    "dd",
    "dt",
    "hr",
}
_KEEP_TAGS = _BLOCK_TAGS | {"br"}
_BLOCK_RE = re.compile(r"</?(?:" + "|".join(sorted(_BLOCK_TAGS)) + r")\s*/?>", re.IGNORECASE)
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def paragraphs(text: str) -> str:
    """Plain text tidied: blank-line-separated paragraphs, whitespace inside each collapsed."""
    parts = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in parts if p)


def fragment_to_text(fragment: str) -> str:
    """Plain text from an untrusted HTML fragment: nh3 strips scripts, styles and every attribute
    first, then block tags become paragraph breaks. The result is text, never markup."""
    if "<" not in fragment and "&" not in fragment:
        return paragraphs(fragment)
    cleaned = nh3.clean(fragment, tags=_KEEP_TAGS, attributes={}, clean_content_tags={"script", "style"})
    cleaned = _BR_RE.sub("\n", cleaned)
    cleaned = _BLOCK_RE.sub("\n\n", cleaned)
    cleaned = _ANY_TAG_RE.sub("", cleaned)
    return paragraphs(htmlmod.unescape(cleaned))
