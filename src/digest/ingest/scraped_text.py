"""A general cleaner for scraped plain text: keep the article, drop the site around it.

Plain text scraped from a page keeps everything the page showed: menus, share buttons,
image captions, "More from <Site>" blocks, cookie notices, footers. There is no markup
left, so no link density either; the cleaner works on lines with heuristics that hold
across sites and languages rather than rules for one site:

1. Each line (a paragraph, after re-joining hard-wrapped lines) gets a score: positive
   for sentence-like prose (many words, terminal punctuation, lower-case words), negative
   for short lines, repeated lines and known chrome phrases in several languages.
2. The main text is the contiguous run of lines with the highest total score (the
   maximum-sum segment, as in Finn et al.'s Body Text Extraction): prose is dense there,
   chrome is dense around it.
3. Inside that run, lines that are clearly chrome (captions such as ``xi 2``, photo
   credits, share/subscribe/cookie lines, bylines, datelines, "Read more: ..." links) go.
4. Blocks headed "More from ...", "Related", "Read more", "Lesen Sie auch" ... are parsed
   for the related stories they list: their repeating layout (section label, image
   caption, headline) is found by trying group sizes, and only the headline is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from digest.ingest.chrome_patterns import (
    CJK,
    ENUMERATOR,
    INLINE_RELATED,
    TERMINAL,
    is_chrome_line,
    is_sentence_like,
    word_count,
)
from digest.ingest.related_block import parse_related
from digest.ingest.text_units import MAX_UNITS, Unit, best_segment, score, split_units
from digest.models import Related

__all__ = ["MAX_UNITS", "CleanedText", "clean_scraped_text", "is_chrome_line"]


@dataclass
class CleanedText:
    """The outcome of cleaning: the title (if asked for), the body and the related stories."""

    title: str | None
    body: str
    related: list[Related] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    truncated: bool = False  # more than MAX_UNITS paragraphs (or 5x as many lines): the rest was not read


# ------------------------------------------------------------------ the cleaner


def _is_title_candidate(u: Unit) -> bool:
    return u.words >= 1 and not u.chrome and not u.meta and not u.related_header


def _title_index(units: list[Unit]) -> int | None:
    """Where the title is: normally the first line; past a menu, the first heading or the
    first line that is neither a list item, nor chrome, nor one word of a menu."""
    candidates = [i for i, u in enumerate(units[:60]) if _is_title_candidate(u)]
    if not candidates:
        return None
    first_prose = next((i for i, u in enumerate(units) if u.sentence_like and u.words >= 15), len(units))
    for i in candidates:
        if units[i].heading and i < first_prose:
            return i
    for i in candidates:
        if units[i].bullet or i > first_prose:
            continue
        nxt = units[i + 1] if i + 1 < len(units) else None
        in_menu = nxt is not None and nxt.words <= 3 and not nxt.sentence_like
        if units[i].words >= 2 or not in_menu:
            return i
    return candidates[0]


def _drop_inside(u: Unit, strict: bool) -> bool:
    """Chrome that sits inside the main text: captions, credits, bylines, share lines.

    ``strict`` (whole-page text) also drops repeated lines and short lines that do not read
    like subheadings; otherwise only lines that are chrome on any site go.
    """
    text = u.text
    if u.chrome or u.slug or u.meta or u.cookie:
        return True
    if u.sentence_like or not strict:
        return False
    if u.count > 1 or (u.words == 1 and not TERMINAL.search(text)):
        return True  # repeated lines and one-word labels ("News", "Politics") are furniture
    # A short line between two paragraphs is a subheading if it reads like one (starts with
    # a capital or a quote, has a few words); captions tend to be lower-case or end in a digit.
    first = ENUMERATOR.sub("", text)[:1]
    if ENUMERATOR.match(text):
        return False  # a list item in the article
    if not (first.isupper() or first.isdigit() or first in "\"“‘'«¿¡(" or CJK.match(text)):
        return True
    return bool(re.search(r"\s\d{1,3}$", text))


def clean_scraped_text(text: str, has_title: bool = True, whole_page: bool = True) -> CleanedText:
    """Split scraped text into title, clean body and the related stories it listed.

    ``has_title``: the first real line is the article's title (the ``.txt`` convention);
    False for whole-page text where the title is wherever the page put it.
    ``whole_page``: the text may hold a whole page (menus, footers), so look for the main
    text block; False for text already known to be the article (JSON fields, Markdown),
    where only lines that are chrome on any site are dropped.
    """
    units = split_units(text)
    truncated = len(units) > MAX_UNITS or text.count("\n") >= MAX_UNITS * 5
    units = units[:MAX_UNITS]
    title = None
    if has_title:
        pick = _title_index(units)
        if pick is None:
            units = []
        else:
            title = units[pick].text
            units = units[pick + 1 :]
    if not units:
        return CleanedText(title=title, body="")

    if whole_page:
        start, end = best_segment([score(u) for u in units])
        if start == end:  # no prose block at all (a very short article): keep every line
            start, end = 0, len(units)
    else:
        start, end = 0, len(units)
    dropped = [u.text for u in units[:start]]

    related: list[Related] = []
    seen_related: set[str] = set()

    def add_related(items: list[Related]) -> None:
        for r in items:
            key = r.title.casefold()
            if key not in seen_related and (title is None or key != title.casefold()):
                seen_related.add(key)
                related.append(r)

    body: list[str] = []
    main = units[start:end]
    i = 0
    while i < len(main):
        u = main[i]
        m = INLINE_RELATED.match(u.text)
        if m:
            add_related([Related(title=m.group("title").strip(), url=u.url)])
            dropped.append(u.text)
        elif u.related_header:
            found, used = parse_related(main[i + 1 :])
            if found:
                add_related([replace(r, block=u.text) for r in found])
                dropped.extend(x.text for x in main[i : i + 1 + used])
                i += 1 + used
                continue
            dropped.append(u.text)
        elif _drop_inside(u, strict=whole_page):
            dropped.append(u.text)
        else:
            body.append(u.text)
        i += 1
    if not body:
        # Every line of the main block looked like furniture (short, odd or repeated). Lines
        # that still end like sentences make a short or odd article, not a page of menus: keep
        # them, once each, rather than nothing. Chrome on any site still goes.
        kept: set[str] = set()
        for u in main:
            key = u.text.casefold()
            prose = u.words >= 3 and TERMINAL.search(u.text)
            if prose and key not in kept and not (u.chrome or u.slug or u.meta or u.cookie or u.related_header):
                kept.add(key)
                body.append(u.text)
        dropped = [d for d in dropped if d.casefold() not in kept]

    # Related-story blocks after the main text.
    tail = units[end:]
    for j, u in enumerate(tail):
        if u.related_header:
            found, _ = parse_related(tail[j + 1 :])
            add_related([replace(r, block=u.text) for r in found])
        else:
            m = INLINE_RELATED.match(u.text)
            if m:
                add_related([Related(title=m.group("title").strip(), url=u.url)])
    dropped.extend(u.text for u in tail)

    # Trailing subheading-like lines with nothing after them are not article text.
    while len(body) > 1 and not TERMINAL.search(body[-1]) and not is_sentence_like(body[-1], word_count(body[-1])):
        dropped.append(body.pop())
    return CleanedText(title=title, body="\n\n".join(body), related=related, dropped=dropped, truncated=truncated)
