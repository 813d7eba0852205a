"""The plain-text part: wrapped at 78 columns, links never broken.

Many readers (and spam filters) look at the text part, and a link split across two lines stops
being clickable. We wrap on whitespace only (no hyphen or long-word breaks), so a URL longer
than the room left goes onto a line of its own, whole.
"""

from __future__ import annotations

import functools
import re

WIDTH = 78
URL_RE = re.compile(r"^(?:https?://|mailto:)\S+$", re.IGNORECASE)
_TRAILING = frozenset({" ", "\t"})
_INDENT = re.compile(r"^(\s*(?:(?:[-*•]|\d{1,3}[.)])\s+)?)")


@functools.lru_cache(maxsize=64)
def _line_re(room: int) -> re.Pattern[str]:
    # Up to ``room`` characters ending at a space (or the end), else one over-long word whole.
    # One group, so ``findall`` hands back the lines themselves.
    return re.compile(rf"(\S.{{0,{max(room, 1) - 1}}}|\S+)(?: |$)")


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap one paragraph; ``first`` prefixes the first line (a bullet), ``indent`` the others.

    Breaks only at spaces; a word (URL) longer than the room left gets a line of its own,
    whole: what ``textwrap`` does with ``break_long_words=False, break_on_hyphens=False``. The
    text part calls this ~180 times per digest, so a paragraph is cut by one regex ``findall``
    (two when the first line's prefix is not as long as the indent), all in C.
    """
    text = str(text)
    if "  " in text or "\n" in text or "\t" in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    prefix = indent if first is None else first
    if not text:
        return prefix.rstrip()
    if len(prefix) + len(text) <= width:
        return prefix + text
    return _cut(text, width, indent, prefix) or _cut(" ".join(text.split()), width, indent, prefix) or prefix


def _cut(text: str, width: int, indent: str, prefix: str) -> str | None:
    """The wrapped lines, or None when odd whitespace (a no-break space where a line would
    start, a lone CR) left characters the line regex could not place: better to normalize all
    whitespace then than to lose text. Each break replaces exactly one space, which makes the
    check a matter of lengths."""
    room = width - len(indent)
    if len(prefix) == len(indent):
        lines = _line_re(room).findall(text)
    else:
        head = _line_re(width - len(prefix)).match(text)
        if head is None:
            return None
        lines = [head.group(1), *_line_re(room).findall(text, head.end())]
    joiner = "\n" + indent
    out = prefix + joiner.join(lines)
    if not lines or len(out) != len(prefix) + len(text) + (len(lines) - 1) * len(indent):
        return None
    return out


_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


def is_url_line(line: str) -> bool:
    """A line holding only one URL, maybe after a bullet (may exceed the width: links are never broken)."""
    return bool(URL_RE.match(_BULLET.sub("", line.strip(), count=1)))


# A line that ``is_url_line`` surely accepts and ``rstrip`` would not change (stricter than it).
_PLAIN_URL_LINE = re.compile(r"[ \t]*(?:(?:[-*•]|\d+[.)])[ \t]+)?(?:https?://|mailto:)\S+", re.IGNORECASE)


def enforce_width(text: str, width: int = WIDTH) -> str:
    """Tidy a rendered text part: strip trailing spaces, keep at most one blank line in a row,
    and re-wrap any line over ``width`` (a user template may not use the wrap filter).

    The hanging indent of a bullet or numbered line is kept; URL-only lines are left alone.
    """
    lines = text.split("\n")
    todo = [
        i
        for i, line in enumerate(lines)
        if line[-1:] in _TRAILING or (len(line) > width and not _PLAIN_URL_LINE.fullmatch(line))
    ]
    if todo:  # usually empty: the wrap filter did the work and long lines are bare links
        for i in todo:
            lines[i] = tidy_line(lines[i], width)
        text = "\n".join(lines)
    return squeeze_blank_lines(text)


def tidy_line(line: str, width: int = WIDTH) -> str:
    """What ``enforce_width`` does to one line (no newline in it).

    Lines that ``wrap`` produced never need it: each is at most ``width`` long, or its prefix
    and one word that cannot be broken, and none ends in a space or tab.
    """
    if line[-1:] not in _TRAILING and len(line) <= width:
        return line
    line = line.rstrip()
    if len(line) > width and not is_url_line(line):
        prefix = _INDENT.match(line).group(1)  # type: ignore[union-attr]
        line = wrap(line[len(prefix) :], width, indent=" " * len(prefix), first=prefix)
    return line


def squeeze_blank_lines(text: str) -> str:
    """No blank lines at either end, at most one in a row, one final newline."""
    text = text.strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"


def rule(char: str = "-", width: int = WIDTH) -> str:
    return char * width
