"""Markdown -> Article: the title is the first heading; markup is reduced to plain text.

Front matter (``---`` / ``key: value`` / ``---``) may give title, url, date, author,
site and language. A trailing section headed like "Related" / "More from ..." becomes
the article's related stories (with their link URLs) instead of body text.
"""

from __future__ import annotations

import re
from datetime import datetime

from digest.ingest.chrome_patterns import RELATED_HEADER
from digest.models import Article, Related

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LINKDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
# Well-formed emphasis only: the marks stand at word boundaries ("*word*", "**two words**",
# "_word_", "~~gone~~"), so "2*3*4", "snake_case_name" and "n*****" are text, not markup.
_EMPH = re.compile(
    r"(?<![\w*])(\*\*|\*)(?=[^\s*])(.+?)(?<=[^\s*])\1(?![\w*])"
    r"|(?<![\w_])(__|_)(?=[^\s_])(.+?)(?<=[^\s_])\3(?![\w_])"
    r"|(?<![\w~])(~~)(?=[^\s~])(.+?)(?<=[^\s~])\5(?![\w~])"
)
_CODE = re.compile(r"`([^`]+)`")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[m.end() :]


def inline_text(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _REFLINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    for _ in range(2):
        line = _EMPH.sub(lambda m: m.group(2) or m.group(4) or m.group(6), line)
    line = _TAG.sub("", line)
    return " ".join(line.split())


def _related_items(lines: list[str]) -> list[Related]:
    items = []
    for line in lines:
        if not _LIST.match(line) and not _LINK.search(line):
            continue
        link = _LINK.search(line)
        title = inline_text(_LIST.sub("", line))
        if title:
            items.append(Related(title=title, url=link.group(2) if link else None))
    return items


def parse_markdown(text: str, source: str, title: str | None = None) -> Article:
    meta, text = _front_matter(text)
    lines = text.splitlines()
    paragraphs: list[str] = []
    related: list[Related] = []
    current: list[str] = []
    found_title = title or meta.get("title")
    in_fence = False
    i = 0

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            flush()
            i += 1
            continue
        if in_fence or _LINKDEF.match(line) or _RULE.match(line):
            flush()
            i += 1
            continue
        heading = None
        atx = _ATX.match(line)
        if atx:
            heading = atx.group(2)
        elif line.strip() and i + 1 < len(lines) and _SETEXT.match(lines[i + 1]) and not current:
            heading = line.strip()
            i += 1
        if heading is not None:
            flush()
            heading = inline_text(heading)
            if RELATED_HEADER.match(heading):
                # Everything up to the next heading lists related stories.
                j = i + 1
                while j < len(lines) and not _ATX.match(lines[j]):
                    j += 1
                related.extend(_related_items(lines[i + 1 : j]))
                i = j
                continue
            if found_title is None:
                found_title = heading
            elif heading:
                paragraphs.append(heading)
            i += 1
            continue
        stripped = line.strip()
        if not stripped:
            flush()
        else:
            stripped = re.sub(r"^(?:>\s?)+", "", stripped)
            if _LIST.match(stripped):
                flush()
                stripped = _LIST.sub("", stripped)
            if stripped.startswith("|"):
                stripped = " ".join(c.strip() for c in stripped.strip("|").split("|") if c.strip("-: "))
            piece = inline_text(stripped)
            if piece:
                current.append(piece)
        i += 1
    flush()
    if found_title is None and paragraphs:
        found_title = paragraphs.pop(0)
    published = None
    if meta.get("date"):
        try:
            published = datetime.fromisoformat(meta["date"])
        except ValueError:
            published = None
    return Article(
        title=found_title or "",
        text="\n\n".join(paragraphs),
        source=source,
        url=meta.get("url") or meta.get("link") or None,
        published=published,
        author=meta.get("author") or None,
        site=meta.get("site") or None,
        language=(meta.get("language") or meta.get("lang") or None),
        related=related,
    )
