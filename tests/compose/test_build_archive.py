"""build_digest with a real archive (SQLite, then PostgreSQL): storing, 'only new', archive teasers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from digest.compose.build import build_digest
from digest.config import load_settings
from digest.storage.archive import Archive

# the archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")

BODY = (
    "The city council approved a new budget for {topic} on Monday after a long debate. "
    "Council members said the {topic} plan would take three years to complete. "
    "Residents had asked for better {topic} for a decade, according to local groups. "
    "The mayor called the {topic} vote a turning point for the city. "
    "Opponents argued that the {topic} costs were too high for a small town."
)


def write_article(folder: Path, name: str, title: str, topic: str) -> Path:
    path = folder / f"{name}.json"
    url = f"https://news.example.com/{name}"
    data = {"title": title, "url": url, "text": BODY.format(topic=topic)}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def settings_for(tmp_path: Path):
    cfg = tmp_path / "digest.toml"
    cfg.write_text("[archive]\nmin_similarity = 0.1\n[email]\nmax_teasers = 3\n", encoding="utf-8")
    env = {"DIGEST_DATA_DIR": str(tmp_path / "data")}
    if url := os.environ.get("DIGEST_ARCHIVE__URL"):  # set by the database fixture for PostgreSQL
        env["DIGEST_ARCHIVE__URL"] = url
    return load_settings(cfg, env=env)


def test_only_new_skips_what_a_sent_digest_carried(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    folder = tmp_path / "articles"
    folder.mkdir()
    a = write_article(folder, "a", "Council approves bike lanes", "bike lanes")
    b = write_article(folder, "b", "Council approves new library", "library")
    with Archive(settings) as archive:
        first = build_digest(settings, [str(a), str(b)], archive=archive, only_new=True, edition="e1")
        assert [s.article.title for s in first.digest.stories] == [
            "Council approves bike lanes",
            "Council approves new library",
        ]
        assert len(first.article_ids) == 2
        digest_id = archive.record_digest("e1", "t", first.article_ids)
        archive.mark_sent(digest_id)

        c = write_article(folder, "c", "Council approves park renovation", "park renovation")
        second = build_digest(settings, [str(a), str(b), str(c)], archive=archive, only_new=True, edition="e2")
        assert [s.article.title for s in second.digest.stories] == ["Council approves park renovation"]
        assert second.already_sent == 2

        # read but never sent: still new next time, even when its source no longer lists it
        again = build_digest(settings, [str(a), str(b)], archive=archive, only_new=True, edition="e3")
        assert [s.article.title for s in again.digest.stories] == ["Council approves park renovation"]
        archive.mark_sent(archive.record_digest("e3", "t", again.article_ids))
        assert build_digest(settings, [str(a), str(b), str(c)], archive=archive, only_new=True).digest.stories == []

        # without only_new everything read is in the digest, stored once
        full = build_digest(settings, [str(a), str(b), str(c)], archive=archive)
        assert len(full.digest.stories) == 3
        assert sorted(full.article_ids) == sorted(set(full.article_ids))


def test_archive_stories_become_teasers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    folder = tmp_path / "articles"
    folder.mkdir()
    old = write_article(folder, "old", "Bike lanes plan first proposed", "protected bike lanes")
    new = write_article(folder, "new", "Council approves bike lanes", "bike lanes")
    other = write_article(folder, "other", "Harbour festival returns", "harbour festival")
    with Archive(settings) as archive:
        build_digest(settings, [str(old)], archive=archive)  # the archive now knows the older story
        result = build_digest(settings, [str(new), str(other)], archive=archive)
    teasers = {s.article.title: [t.title for t in s.teasers] for s in result.digest.stories}
    assert "Bike lanes plan first proposed" in teasers["Council approves bike lanes"]
    for title, teased in teasers.items():
        assert title not in teased
