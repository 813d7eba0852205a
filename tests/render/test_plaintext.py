"""The text part's wrapping: same lines as textwrap (no long-word or hyphen breaks), URLs whole."""

from __future__ import annotations

import random
import textwrap

import pytest

from digest.render.plaintext import enforce_width, is_url_line, wrap

WORDS_15 = " ".join(["word"] * 15)  # 74 characters: 78 with a 4-column prefix
URL = "https://www.example-news.com/2026/11/28/a-long-descriptive-story-slug/?utm_source=digest&utm_medium=email"


def _reference(text: str, width: int, indent: str, first: str | None) -> str:
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines)


def test_wrap_matches_textwrap_on_many_paragraphs() -> None:
    rnd = random.Random(20261128)
    words = ["a", "to", "the", "council", "well-known", "budget's", "é", "1,200", URL, "x" * 40, "—"]
    for _ in range(3000):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 60)))
        width = rnd.choice([20, 40, 60, 78, 100])
        indent = rnd.choice(["", "    ", "      "])
        first = rnd.choice([None, "", "    * ", "    - ", "12. "])
        assert wrap(text, width, indent, first) == _reference(text, width, indent, first), (text, width)


def test_wrap_collapses_whitespace_and_keeps_urls_whole() -> None:
    text = f"  Read   more:\n{URL}\tand\n\nmore words after the link  "
    out = wrap(text, 40, indent="    ")
    assert out.splitlines() == ["    Read more:", f"    {URL}", "    and more words after the link"]
    assert wrap("", indent="    ", first="  * ") == "  *"


def test_wrap_never_breaks_at_non_breaking_space() -> None:
    text = "word " * 12 + "10\u00a0km " + "word " * 12
    out = wrap(text.strip(), 30)
    assert "10\u00a0km" in out
    assert all(len(line) <= 30 for line in out.splitlines())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"    {URL}\n\n\n\nend", f"    {URL}\n\nend\n"),  # a long bare link is left alone
        (f"  * {URL}  \n", f"  * {URL}\n"),  # trailing spaces go, the bulleted link stays
        ("x \t\ny\n", "x\ny\n"),
        ("  - " + "word " * 31 + "\n", f"  - {WORDS_15}\n    {WORDS_15}\n    word\n"),  # hanging indent
        (f"Read more: {URL}", f"Read more:\n{URL}\n"),  # prose before a link is not a bare link
    ],
)
def test_enforce_width(text: str, expected: str) -> None:
    out = enforce_width(text)
    assert out == expected
    assert all(len(line) <= 78 or is_url_line(line) for line in out.splitlines())


def test_wrap_loses_nothing_around_odd_whitespace() -> None:
    # A no-break space or a lone CR where a line would start used to crash wrap or drop text.
    for text in ("\u00a0" + "word " * 30, "ccca\rword " + "word " * 30, "word " * 15 + "\u2003" + "x" * 90 + " end"):
        out = wrap(text.strip(" "), 40, indent="  ", first="* ")
        assert sorted(out.replace("* ", "", 1).split()) == sorted(text.split())
        assert all(len(line) <= 40 or " " not in line.strip() for line in out.splitlines())
