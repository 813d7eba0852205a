"""Fitting text into a post: cut at a word boundary (or, for one long word, a grapheme) and
end with "…", found by binary search over the cut points (O(log n) renders)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex

ELLIPSIS = "…"

_SPACE_RUN = regex.compile(r"\s+")
_NO_SPACE_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
GRAPHEME = regex.compile(r"\X")
_JOINS_PREVIOUS = regex.compile(r"[\p{M}\u200d\ufe0e\ufe0f]")
_TRAILING_JUNK = " \t\r\n,;:.·-–—([{<\"'“‘«\u200d\u200b\u2060\ufe0f"
_BLANK_LINES = regex.compile(r"\n{3,}")
_TRAILING_SPACE = regex.compile(r"[ \t]+\n")


def tidy(text: str) -> str:
    """Tidy what a template produced: no trailing spaces, at most one blank line, no edge whitespace."""
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _word_cuts(text: str) -> list[int]:
    """Positions where text may be cut without splitting a word (spaces; between CJK/Thai characters)."""
    cuts = {m.start() for m in _SPACE_RUN.finditer(text) if m.start() > 0}
    if not text.isascii():
        for m in _NO_SPACE_SCRIPT.finditer(text):
            end = m.end()
            if end < len(text) and not _JOINS_PREVIOUS.match(text, end):
                cuts.add(end)
    return sorted(c for c in cuts if c < len(text))


def _grapheme_cuts(text: str) -> list[int]:
    cuts, pos = [], 0
    for m in GRAPHEME.finditer(text):
        pos = m.end()
        if pos < len(text):
            cuts.append(pos)
    return cuts or list(range(1, len(text)))


def _trimmed(text: str, cut: int) -> str:
    """The text up to ``cut``, ending cleanly with "…" (empty if nothing worth keeping)."""
    head = text[:cut].rstrip(_TRAILING_JUNK)
    return head + ELLIPSIS if head else ""


def _largest_fit(text: str, fits: Callable[[str], bool], cuts: Sequence[int]) -> tuple[str, int] | None:
    """Binary search over cut points for the longest trimmed prefix that fits: O(log n) renders."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = _trimmed(text, cuts[mid])
        if candidate and fits(candidate):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best is None:
        return None
    # Counting is monotonic only almost everywhere (a URL cut in two counts differently): step back if needed.
    for i in range(best, -1, -1):
        candidate = _trimmed(text, cuts[i])
        if candidate and fits(candidate):
            return candidate, cuts[i]
    return None


def fit_text(text: str, fits: Callable[[str], bool]) -> tuple[str, int] | None:
    """The longest version of ``text`` that fits: whole, else cut at a word, else (one long word) anywhere."""
    if fits(text):
        return text, len(text)
    found = _largest_fit(text, fits, _word_cuts(text))
    if found is None:
        found = _largest_fit(text, fits, _grapheme_cuts(text))
    return found
