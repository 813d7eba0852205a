"""plain_text's fast path must only take text that really is plain."""

from __future__ import annotations

import pytest

from digest.sanitize import plain_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Council budget passes", "Council budget passes"),
        ("Café prices rise — again", "Café prices rise — again"),
        ("a\x00b\x07c\x1bd\x7fe", "abcde"),  # ASCII control characters go
        ("line one\nline two\r\nthree\tfour\x0bfive", "line one line two three fourfive"),
        ("Fish &amp; chips &lt;b&gt;x&lt;/b&gt;", "Fish & chips x"),
        ("<b>Bold</b> <script>alert(1)</script>claim", "Bold claim"),
        ("  padded   words  ", "padded words"),
        ("bidi\u202eevil\u200b", "bidievil"),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


def test_every_ascii_control_character_is_removed_or_turned_into_a_space() -> None:
    for code in [*range(0x20), 0x7F]:
        out = plain_text(f"ab{chr(code)}cd")
        assert out in {"abcd", "ab cd"}, (code, out)
