"""The plain-text part: wrapped at 78 columns, links never broken.

Many readers (and spam filters) look at the text part, and a link split across two lines stops
being clickable. We wrap with ``textwrap`` on whitespace only (no hyphen or long-word breaks), so
a URL longer than the room left goes onto a line of its own, whole.
"""

from __future__ import annotations

import re
import textwrap

WIDTH = 78
URL_RE = re.compile(r"^(?:https?://|mailto:)\S+$", re.IGNORECASE)
_INDENT = re.compile(r"^(\s*(?:(?:[-*•]|\d{1,3}[.)])\s+)?)")


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap one paragraph; ``first`` prefixes the first line (a bullet), ``indent`` the others."""
    text = " ".join(str(text).split())
    initial = indent if first is None else first
    if not text:
        return initial.rstrip()
    wrapper = textwrap.TextWrapper(
        width=width,
        initial_indent=initial,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(wrapper.wrap(text))


def is_url_line(line: str) -> bool:
    """A line holding only one URL (allowed to exceed the width: links are never broken)."""
    return bool(URL_RE.match(line.strip()))


def enforce_width(text: str, width: int = WIDTH) -> str:
    """Re-wrap any line over ``width`` (a user template may not use the wrap filter).

    The hanging indent of a bullet or numbered line is kept; URL-only lines are left alone.
    """
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width or is_url_line(line):
            out.append(line.rstrip())
            continue
        prefix = _INDENT.match(line).group(1)  # type: ignore[union-attr]
        hanging = " " * len(prefix)
        out.append(wrap(line[len(prefix) :], width, indent=hanging, first=prefix))
    return "\n".join(out) + "\n"


def rule(char: str = "-", width: int = WIDTH) -> str:
    return char * width
