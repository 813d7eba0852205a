"""Local files -> Articles: one reader for .txt, .md, .html and .json, with the checks
every file gets (size limit, binary refusal, encoding, control characters, emptiness).

Formats (by suffix; anything else, and stdin, is sniffed):
- ``.txt``: scraped plain text; the first line is the title; site chrome is cleaned out and
  the related stories the page listed are kept (see ``scraped_text``).
- ``.md``: the first heading is the title (front matter may add url/date/author).
- ``.html``: trafilatura main text and metadata.
- ``.json``: ``{"title", "text" or "body", "url", ...}`` or a list of such objects.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
from dataclasses import replace
from pathlib import Path

from digest.config import Settings
from digest.errors import InputError
from digest.ingest.decode import clean_control, to_text
from digest.ingest.jsonfile import parse_json
from digest.ingest.markdown import parse_markdown
from digest.ingest.scraped_text import MAX_UNITS, clean_scraped_text
from digest.ingest.web import extract_article, looks_like_html
from digest.models import Article

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
}
_GLOB_CHARS = re.compile(r"[*?[]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")


def format_for(path: str | Path) -> str:
    """The reader for a file name: txt, md, html, json, or auto (sniff the content)."""
    return FORMATS.get(Path(path).suffix.lower(), "auto")


def human_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    return f"{n / 1000:.1f} kB".replace(".0 kB", " kB")


def size_error(source: str, size: int, limit: int, what: str = "file") -> InputError:
    return InputError(
        f"{source}: {what} is {human_size(size)}, over the {human_size(limit)} limit ([ingest] max_file_bytes)"
    )


def sniff_format(text: str) -> str:
    head = text.lstrip()[:2048]
    if head.startswith(("{", "[")):
        try:
            json.loads(text)
            return "json"
        except ValueError:
            pass
        except RecursionError:
            return "json"  # so the reader says what is wrong with it
    if looks_like_html(head):
        return "html"
    if head.startswith("---\n") or re.match(r"#{1,6}\s+\S", head):
        return "md"
    return "txt"


def derive_title(text: str, max_words: int = 14) -> str:
    """A title for text that came without one: its first sentence, shortened at a word."""
    first = text.strip().split("\n", 1)[0]
    first = _SENTENCE_END.split(first, maxsplit=1)[0].strip()
    words = first.split()
    if len(words) <= max_words:
        return first.rstrip(".")
    return " ".join(words[:max_words]).rstrip(",;:–—-") + "…"


def _first_line_is_prose(text: str) -> bool:
    """A first line with several sentences (or a long one) is body text, not a title."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            words = len(line.split())
            return words > 30 or (words >= 8 and len(_SENTENCE_END.split(line)) >= 2)
    return False


def _finish(article: Article, source: str, title_given: bool) -> Article:
    """Apply the checks every format shares: some text, some title, clean strings."""
    text = article.text.strip()
    title = " ".join(article.title.split()) if article.title else ""
    if not text:
        if title and (title[-1:] in ".!?…" or len(title.split()) >= 6):
            text = title  # a one-line article: the line is both its title and its text
        else:
            what = "only a title" if title else "no article text"
            raise InputError(f"{source}: {what}; nothing to summarize")
    if not title:
        title = derive_title(text)
    return replace(article, title=title, text=text, source=source)


def _from_plain(text: str, source: str, title: str | None, whole_page: bool) -> Article:
    has_title = title is None and not _first_line_is_prose(text)
    cleaned = clean_scraped_text(text, has_title=has_title, whole_page=whole_page)
    if cleaned.truncated:
        log.warning("%s: very long text; only its first %d lines were read", source, MAX_UNITS)
    body = cleaned.body
    if not body and not whole_page:
        body = text
    return Article(title=title or cleaned.title or "", text=body, source=source, related=cleaned.related)


def _light_clean(article: Article) -> Article:
    """Structured formats keep their text; only clear chrome lines go (and give related links)."""
    cleaned = clean_scraped_text(clean_control(article.text), has_title=False, whole_page=False)
    related = article.related + [r for r in cleaned.related if r.title not in {x.title for x in article.related}]
    return replace(article, text=cleaned.body or article.text, related=related)


def articles_from_text(
    text: str | bytes, source: str, settings: Settings, title: str | None = None, fmt: str = "txt"
) -> list[Article]:
    """Every article in one input (a JSON list may hold several; other formats hold one)."""
    limit = settings.ingest.max_file_bytes
    if len(text) > limit:
        size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "replace"))
        raise size_error(source, size, limit, "input" if source == "-" else "file")
    decoded = to_text(text, source)
    if not decoded.strip():
        raise InputError(f"{source}: {'is empty' if not decoded else 'contains only whitespace'}; nothing to summarize")
    if fmt == "auto":
        fmt = sniff_format(decoded)
    if fmt == "html":
        return [_finish(extract_article(decoded, source, title=title), source, title is not None)]
    if fmt == "json":
        out = []
        for art, has_title in parse_json(decoded, source):
            art = _light_clean(replace(art, title=title or art.title))
            out.append(_finish(art, art.source, has_title or title is not None))
        return out
    if fmt == "md":
        art = parse_markdown(decoded, source, title=title)
        return [_finish(_light_clean(art), source, title is not None)]
    if fmt == "plain":  # body text without a title line (JSON Lines batches, APIs)
        return [_finish(_from_plain(decoded, source, title or "", whole_page=False), source, title is not None)]
    return [_finish(_from_plain(decoded, source, title, whole_page=True), source, title is not None)]


def article_from_text(
    text: str | bytes, source: str, settings: Settings, title: str | None = None, fmt: str = "txt"
) -> Article:
    """One article from text or bytes; ``fmt`` is txt, md, html, json, plain or auto."""
    articles = articles_from_text(text, source, settings, title=title, fmt=fmt)
    if len(articles) != 1:
        raise InputError(f"{source}: holds {len(articles)} articles; read it with read_path")
    return articles[0]


def read_articles(path: str | Path, settings: Settings) -> list[Article]:
    """Every article in one file, with the size limit checked before anything is read."""
    p = Path(path).expanduser()
    source = str(path)
    if not p.exists():
        raise InputError(f"{source}: no such file or directory")
    if p.is_dir():
        raise InputError(f"{source}: is a directory, not a file")
    if not p.is_file():
        raise InputError(f"{source}: not a regular file")
    limit = settings.ingest.max_file_bytes
    try:
        size = p.stat().st_size
        if size > limit:
            raise size_error(source, size, limit)
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return articles_from_text(data, source, settings, fmt=format_for(p))


def read_file(path: str | Path, settings: Settings) -> Article:
    articles = read_articles(path, settings)
    if len(articles) != 1:
        raise InputError(f"{path}: holds {len(articles)} articles; read it with read_path")
    return articles[0]


def expand(spec: str) -> list[Path]:
    """The files a path spec names: a file, the article files of a folder, or a glob's matches."""
    p = Path(spec).expanduser()
    if p.is_dir():
        files = sorted(
            f for f in p.iterdir() if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in FORMATS
        )
        if not files:
            kinds = ", ".join(sorted(set(FORMATS)))
            raise InputError(f"{spec}: no article files in this folder (looked for {kinds})")
        return files
    if p.exists():
        return [p]
    if _GLOB_CHARS.search(spec):
        matches = sorted(Path(m) for m in glob.glob(os.path.expanduser(spec), recursive=True))
        files = [m for m in matches if m.is_file() and not m.name.startswith(".")]
        if not files:
            raise InputError(f"{spec}: no files match")
        return files
    raise InputError(f"{spec}: no such file or directory")


def read_many(paths: list[Path], settings: Settings) -> tuple[list[Article], list[tuple[str, str]]]:
    """Read several files; a bad one is reported in the failures and never sinks the rest."""
    articles: list[Article] = []
    failures: list[tuple[str, str]] = []
    for path in paths:
        try:
            articles.extend(read_articles(path, settings))
        except InputError as exc:
            failures.append((str(path), str(exc)))
    return articles, failures


def read_path(spec: str, settings: Settings) -> list[Article]:
    """A file, a folder (its .txt/.md/.html/.json files, not recursive) or a glob pattern.

    In a folder or glob, unreadable files are logged and skipped; if none can be read, the
    first file's error is raised.
    """
    paths = expand(spec)
    if len(paths) == 1 and Path(spec).expanduser() == paths[0]:
        return read_articles(paths[0], settings)
    articles, failures = read_many(paths, settings)
    for _, error in failures:
        log.warning("skipped %s", error)
    if not articles:
        raise InputError(f"{spec}: none of its {len(paths)} file(s) could be read; first: {failures[0][1]}")
    return articles
