"""Only-new editions through the real send path: archive links, skip when empty, outbox files."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from tests.support.delivery import configure, seed

from digest.mailing.send import send_digest

# the send log, subscribers and archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")


def write(folder: Path, name: str, title: str, sentences: list[str]) -> None:
    data = {"title": title, "url": f"https://news.example.com/{name}", "text": " ".join(sentences)}
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def story_titles(outbox: Path) -> list[set[str]]:
    """For each delivered message (oldest first), which of our titles its text part mentions."""
    out = []
    for path in sorted((outbox / "new").iterdir(), key=lambda p: p.stat().st_mtime_ns):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        out.append({t for t in ("Bridge reopens", "Library expands", "Market moves") if t in text})
    return out


def test_each_story_reaches_readers_once_across_editions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    cfg = tmp_path / "digest.toml"
    cfg.write_text(f'[[sources]]\ntype = "path"\npath = "{articles}"\n', encoding="utf-8")
    outbox = tmp_path / "outbox"
    settings = configure(monkeypatch, f"outbox://{outbox}", DIGEST_CONFIG=str(cfg))
    from digest.config import load_settings

    settings = load_settings(cfg)
    seed(settings, 2)
    write(
        articles,
        "bridge",
        "Bridge reopens",
        [
            "The old river bridge reopened to traffic on Monday after two years of repairs.",
            "Engineers replaced the steel deck and strengthened the piers against floods.",
            "Local shops said they expected more customers from across the river.",
        ],
    )
    first = send_digest(settings, edition="e1", only_new=True, skip_if_empty=True)
    assert (first.sent, first.skipped_empty) == (2, False)

    # nothing new: skipped, nothing sent, not an error
    second = send_digest(settings, edition="e2", only_new=True, skip_if_empty=True)
    assert second.skipped_empty and second.sent == 0

    write(
        articles,
        "library",
        "Library expands",
        [
            "The city library opened a new wing for children and teenagers this week.",
            "The expansion adds study rooms, a maker space and three thousand new books.",
            "Librarians said visits had doubled since the pandemic ended.",
        ],
    )
    third = send_digest(settings, edition="e3", only_new=True, skip_if_empty=True)
    assert third.sent == 2

    # re-running an edition never reaches anyone twice
    again = send_digest(settings, edition="e3", only_new=True, skip_if_empty=True)
    assert again.sent == 0

    seen = story_titles(outbox)
    assert seen == [{"Bridge reopens"}, {"Bridge reopens"}, {"Library expands"}, {"Library expands"}]
