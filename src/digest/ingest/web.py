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
from urllib.parse import urljoin, urlsplit

import nh3

from digest.errors import InputError
from digest.ingest.images import page_categories, page_image
from digest.ingest.scraped_text import _INLINE_RELATED, _RELATED_HEADER, clean_scraped_text
from digest.models import Article, Related

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
    doc = trafilatura.bare_extraction(html, url=url, **options, **extra)  # type: ignore[arg-type]
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


def extract_article(html: str | bytes, source: str, url: str | None = None, title: str | None = None) -> Article:
    """An Article from a page's HTML, read from a file or fetched: one path for both.

    ``source`` names where it was read from (URL or path); ``title`` overrides the page's own.
    Besides trafilatura's text and metadata, the page's "More from ..." / "Related" links become
    ``Article.related`` (they feed the email's teasers), and a headline trafilatura kept as body
    text is dropped.
    """
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        raise InputError(f"{source}: no article text found in the page")
    meta = _page_metadata(tree, url)
    page_url = _page_url((meta or {}).get("url"), url)
    related = related_links(tree, page_url)  # before extraction prunes the tree in place
    image = page_image(tree, page_url)
    categories = page_categories(tree)
    if meta is None:
        text, meta = _run(tree, url, with_metadata=True)
    else:
        text, _ = _run(tree, url, with_metadata=False)
    if len(text) < MIN_TEXT_CHARS:
        text2, _ = _run(load_html(html), url, with_metadata=False, favor_recall=True)
        if len(text2) > len(text):
            text = text2
    paragraphs = [p for p in (" ".join(line.split()) for line in text.splitlines()) if p]
    if not paragraphs:  # too small for trafilatura's scoring: whole-page text, then our cleaner
        import trafilatura

        whole = clean_scraped_text(trafilatura.html2txt(html) or "", has_title=False)
        paragraphs = [p for p in (" ".join(line.split()) for line in whole.body.splitlines()) if p]
    if not paragraphs:
        raise InputError(f"{source}: no article text found in the page")
    page_title = title or " ".join((meta.get("title") or "").split()) or None
    if page_title:  # trafilatura sometimes keeps the headline (and a kicker above it) as body
        head = [i for i, p in enumerate(paragraphs[:4]) if p.casefold() == page_title.casefold()]
        if head:
            paragraphs = paragraphs[head[0] + 1 :] or paragraphs
    # trafilatura saw the DOM, so its body stands (our line cleaner cut a real list article to
    # F1 0.58); only "Read more: <headline>" lines leave the body, as related stories.
    known = {r.title.casefold() for r in related}
    kept = []
    for p in paragraphs:
        m = _INLINE_RELATED.match(p)
        if m is None:
            kept.append(p)
        elif m.group("title").casefold() not in known:
            known.add(m.group("title").casefold())
            related.append(Related(title=m.group("title").strip()))
    body = "\n\n".join(kept or paragraphs)
    site = (meta.get("sitename") or "").strip() or (urlsplit(page_url).hostname if page_url else None)
    return Article(
        title=" ".join((page_title or _first_line(body)[:120]).split()),
        text=body,
        source=source,
        url=page_url,
        published=parse_date(meta.get("date")),
        author=_clean_author(meta.get("author")),
        site=site or None,
        # From the page when it says; otherwise the summarizer detects it when it needs it
        # (detecting here would load a language model into every ingest run).
        language=_language(meta.get("language")) or html_language(html),
        related=related,
        image=image,
        categories=categories,
    )


def looks_like_html(text: str) -> bool:
    """A cheap sniff for stdin and files without a telling suffix."""
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(
        re.search(r"<(?:html|head|body|article|p|div)[\s>]", head)
    )


_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)


def _language(value: str | None) -> str | None:
    if not value or not _LANG.match(value.strip()):
        return None
    return value.strip().split("-")[0].split("_")[0].lower()


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "span", "div", "header")


def _short_text(el: Any, limit: int = 80) -> str | None:
    """An element's text if it is short (a heading, a label); None as soon as it is not.

    Stops early, so big containers (whose text is the whole page) cost next to nothing.
    """
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        size += len(piece)
        if size > limit * 3:
            return None
        parts.append(piece)
    text = " ".join("".join(parts).split())
    return text if text and len(text) <= limit else None


# First words of every "More from ..." / "Read more: ..." opening (see scraped_text's patterns).
_OPENING_WORDS = frozenset(
    {
        *[
            "more",
            "related",
            "recommended",
            "suggested",
            "you",
            "also",
            "read",
            "editor",
            "editors",
            "editor's",
            "what",
            "further",
            "see",
        ],
        *[
            "mehr",
            "lesen",
            "weitere",
            "à",
            "lire",
            "sur",
            "plus",
            "leer",
            "lee",
            "más",
            "noticias",
            "leggi",
            "articoli",
            "leia",
            "veja",
            "mais",
        ],
        *["lees", "meer", "gerelateerde"],
    }
)
_WORD = re.compile(r"[^\W\d_][\w']*")


def _first_word(el: Any) -> str:
    """The first word of an element's text, lower-cased ("" if none)."""
    for piece in el.itertext():
        m = _WORD.search(piece)
        if m:
            return m.group(0).lower()
        if piece.strip():
            return ""
    return ""


def related_links(tree: Any, base_url: str | None = None, limit: int = 12) -> list[Related]:
    """Stories the page links under a "More from ..." / "Related" heading, with their URLs,
    and inline "Read more: <a>headline</a>" paragraphs: the DOM shows which words are links."""
    found: list[Related] = []
    seen: set[str] = set()

    def add(anchor: Any, block: str | None = None) -> None:
        title = " ".join("".join(anchor.itertext()).split())
        href = anchor.get("href")
        if len(title.split()) < 3 or title.casefold() in seen or len(found) >= limit:
            return
        seen.add(title.casefold())
        link = urljoin(base_url, href) if base_url and href else href
        if link and not link.lower().startswith(("http://", "https://")) and not base_url:
            link = link if link.startswith("/") else None
        found.append(Related(title=title, url=link or None, block=block))

    for el in tree.iter(*_HEADING_TAGS):
        if _first_word(el) not in _OPENING_WORDS:  # cheap: most elements stop here
            continue
        text = _short_text(el)
        if text is None:
            continue
        if _RELATED_HEADER.match(text):
            container = el.getparent()  # the links after the heading, inside its container
            if container is None:
                continue
            after = False
            for node in container.iter():
                if node is el:
                    after = True
                elif after and node.tag == "a" and el not in node.iterancestors():
                    add(node, text)
        elif el.tag == "p" and _INLINE_RELATED.match(text):
            for a in el.iter("a"):
                add(a)
    return found


def _page_url(declared: str | None, fetched: str | None) -> str | None:
    """The page's own canonical URL if it is on the same host we fetched, else the fetched URL.

    A page may not claim another site's URL: that would let it shadow a story in the archive.
    """
    if not declared or not declared.lower().startswith(("http://", "https://")):
        return fetched
    if fetched is None:
        return declared
    a, b = urlsplit(declared).hostname or "", urlsplit(fetched).hostname or ""
    return declared if a.removeprefix("www.") == b.removeprefix("www.") else fetched


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
