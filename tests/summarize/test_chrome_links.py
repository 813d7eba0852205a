"""Sentences that carry raw links or addresses are page boilerplate, never a lede or key point."""

from __future__ import annotations

from digest.summarize import summarize_text

TEXT = (
    "The central bank raised interest rates by a quarter point on Tuesday. "
    "Officials said inflation had stayed above target for a year. "
    "To order presentation-ready copies for distribution to your colleagues, visit http://www.djreprints.com. "
    "Markets rose after the announcement as investors had expected the move. "
    "Send tips to newsroom@example.com for follow-up coverage of the decision. "
    "Economists expect one more increase before the end of the year."
)


def test_link_sentences_are_not_key_points() -> None:
    summary = summarize_text(TEXT, title="Rates rise", points=4)
    assert summary.lede.startswith("The central bank raised")
    for point in summary.key_points:
        assert "http" not in point and "@" not in point
    assert len(summary.key_points) == 3
