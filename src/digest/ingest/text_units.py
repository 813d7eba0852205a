"""Scraped text as units (paragraphs, hard-wrapped lines re-joined) with what the cleaner
needs to know of each, and the score that finds the article: the contiguous run of units
with the highest total (the maximum-sum segment of Body Text Extraction)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from digest.ingest.chrome_patterns import (
    BARRIER,
    BULLET,
    CHROME_LINE,
    CJK,
    COOKIE_NOTICE,
    MD_HEADING,
    MD_IMAGE,
    MD_LINK,
    NO_WORDS,
    RELATED_HEADER,
    SLUG_LINE,
    TERMINAL,
    WORD,
    is_meta,
    is_sentence_like,
    word_count,
)

# Paragraphs (lines) the cleaner reads at most: a long article has a few hundred, a whole
# page a few thousand; this bounds the time a huge or hostile input can take.
MAX_UNITS = 10_000


@dataclass
class Unit:
    text: str
    url: str | None
    words: int
    count: int = 1  # how often this exact line occurs in the page
    bullet: bool = False  # was a list item ("* Home")
    heading: bool = False  # was a Markdown heading ("# Title")

    @cached_property
    def sentence_like(self) -> bool:
        return is_sentence_like(self.text, self.words)

    # Each pattern runs once per line (the cleaner asks several times); long lines are
    # never furniture, so the big patterns only see short ones.
    @cached_property
    def chrome(self) -> bool:
        return len(self.text) <= 200 and bool(CHROME_LINE.match(self.text))

    @cached_property
    def slug(self) -> bool:
        return len(self.text) <= 120 and bool(SLUG_LINE.match(self.text))

    @cached_property
    def meta(self) -> bool:
        return is_meta(self.text, self.words)

    @cached_property
    def cookie(self) -> bool:
        return self.words <= 80 and bool(COOKIE_NOTICE.search(self.text))

    @cached_property
    def related_header(self) -> bool:
        return len(self.text) <= 80 and bool(RELATED_HEADER.match(self.text))

    @cached_property
    def barrier(self) -> bool:
        return len(self.text) <= 200 and bool(BARRIER.match(self.text))


# ------------------------------------------------------------------ units


def split_units(text: str) -> list[Unit]:
    """Paragraph units: non-empty lines with bullets stripped, hard-wrapped lines re-joined,
    and a blank-line-separated run of whole sentences (one sentence per line) kept together."""
    raw_lines = text.splitlines()[: MAX_UNITS * 5]
    width = _wrap_width([x.rstrip() for x in raw_lines])
    groups: list[list[str]] = [[]]
    for raw in raw_lines:
        line = " ".join(raw.split())
        if line and not NO_WORDS.match(line):
            groups[-1].append(line)
        elif groups[-1] and not line:
            groups.append([])
    units: list[Unit] = []
    for group in groups:
        if len(units) > MAX_UNITS:
            break
        if len(group) > 1 and all(TERMINAL.search(x) and len(x.split()) >= 4 for x in group):
            units.append(_make_unit(" ".join(BULLET.sub("", x) for x in group)))
            continue
        pending: list[str] = []
        for line in group:
            if pending and _wrapped(pending, line, width):
                pending.append(line)
                continue
            if pending:
                units.append(_make_unit(_join_wrapped(pending)))
            pending = [line]
        if pending:
            units.append(_make_unit(_join_wrapped(pending)))
    units = [u for u in units if u.text and not NO_WORDS.match(u.text)]
    counts = Counter(u.text.casefold() for u in units)
    for u in units:
        u.count = counts[u.text.casefold()]
    return units


def _wrapped(pending: list[str], line: str, width: int | None) -> bool:
    """Was ``line`` carried over from the lines before it by hard wrapping?"""
    if BULLET.match(line):
        return False
    prev, joined = pending[-1], " ".join(pending[-20:])
    if (joined.count("[") > joined.count("]") or joined.count("(") > joined.count(")")) and len(joined) < 2000:
        return True  # inside a Markdown link or a parenthesis
    if width is not None and (not TERMINAL.search(prev) or line[:1].islower()):
        next_word = line.split(" ", 1)[0]
        if len(prev) + 1 + len(next_word) > width - 1:
            return True
    return _continues(prev, line)


def _join_wrapped(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # html2text breaks long URLs after a hyphen: "(https://x.com/a-" + "b-c/)".
        if out.endswith("-") and re.search(r"\(\S*$", out):
            out += line
        else:
            out += " " + line
    return out


def _continues(prev: str, line: str) -> bool:
    """Hard-wrapped prose: a long line without a full stop, followed by a lower-case start."""
    if len(prev) < 50 or TERMINAL.search(prev):
        return False
    return line[:1].islower() or (len(prev) >= 60 and not line[:1].isupper() and not line[:1].isdigit())


def _make_unit(text: str) -> Unit:
    """A unit from one paragraph; links, images and heading marks (as html2text writes them)
    are reduced to their text. Emphasis marks are left alone: in text that is not Markdown,
    asterisks and underscores are words ("n*****", "@big_data_fan", "2*3*4")."""
    url = None
    bullet, heading = bool(BULLET.match(text)), text.startswith("#")
    if "[" in text or text.startswith(("#", ">")):
        text = MD_IMAGE.sub("", text)
        links = list(MD_LINK.finditer(text))
        text = MD_LINK.sub(lambda m: m.group(1), text)
        text = " ".join(MD_HEADING.sub("", text).split())
        if links:
            first = links[0]
            link_text = " ".join(first.group(1).split())
            if first.group(2).lower().startswith(("http://", "https://", "/")) and len(link_text) >= len(text) * 0.5:
                url = first.group(2)
    text = BULLET.sub("", text).strip()
    return Unit(text=text, url=url, words=word_count(text), bullet=bullet, heading=heading)


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped text was wrapped at (html2text: 78), or None if it was not."""
    lengths = Counter(len(x) for x in lines if len(x) >= 40)
    total = sum(lengths.values())
    if total < 8:
        return None

    def between(lo: int, hi: int) -> int:
        return sum(lengths.get(n, 0) for n in range(lo + 1, hi + 1))

    best, best_count = None, 0
    for width in range(60, 121):
        count = between(width - 12, width)
        if count > best_count:
            best, best_count = width, count
    above = between(best, best + 12) if best is not None else 0
    # Wrapped text piles its long lines just under one column, with almost none just above
    # it (only unbreakable URLs overflow, and by far); natural line lengths spread out.
    if best is None or best_count < max(8, 0.25 * total) or above > 0.1 * best_count:
        return None
    return best


# ------------------------------------------------------------------ scoring


def score(u: Unit) -> float:
    """Positive for prose, negative for the page's furniture."""
    if u.barrier:
        return -150.0  # reader comments and footers are never inside the article
    if u.chrome or u.related_header:
        return -12.0
    if u.cookie:
        return -20.0
    penalty = 0.0
    if u.count > 1:
        penalty -= 6.0
    if u.sentence_like:
        sample = WORD.findall(u.text[:2000])
        ratio = sum(1 for w in sample if w[:1].islower()) / max(1, len(sample))
        bonus = float(min(u.words, 80))
        if ratio < 0.3 and not CJK.search(u.text):
            bonus *= 0.3  # Title Case Lists Of Headlines are not prose
        return bonus + penalty
    if u.meta or u.slug:
        return -5.0 + penalty
    if u.words >= 3 and TERMINAL.search(u.text) and u.text[:1].isupper():
        return 0.5 * u.words + penalty  # a short sentence ("He declined to comment.")
    return -3.0 - 0.15 * u.words + penalty


def best_segment(scores: list[float]) -> tuple[int, int]:
    """Indices [start, end) of the maximum-sum contiguous run (Kadane)."""
    best, best_range = float("-inf"), (0, 0)
    cur, start = 0.0, 0
    for i, s in enumerate(scores):
        if cur <= 0:
            cur, start = s, i
        else:
            cur += s
        if cur > best:
            best, best_range = cur, (start, i + 1)
    return best_range if best > 0 else (0, 0)
