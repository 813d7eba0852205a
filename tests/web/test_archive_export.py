"""The public archive outside the service: `digest archive export` writes the same pages and
feeds as files; only editions of the public lists are in it."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import jsonschema
import pytest
from tests.support.delivery import cli, configure

from digest.mailing.subscribers import add
from digest.storage.engine import open_engine

BASE = "https://news.example.org"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox", DIGEST_WEB__BASE_URL=BASE)
    engine = open_engine(settings)
    add(engine, "ann@example.org", "Ann")
    add(engine, "vic@example.org", "Vic", list_name="staff")
    engine.dispose()
    for args in (["--edition", "e1"], ["--edition", "e2"], ["--edition", "internal", "--list", "staff"]):
        assert cli("send", "--now", *args).returncode == 0


def test_export_writes_the_archive_and_feeds_as_files(sent: None, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = cli("archive", "export", str(out), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["editions"] == ["e2", "e1"]  # newest first; the staff list's edition is not public
    index = (out / "archive" / "index.html").read_text(encoding="utf-8")
    assert 'href="e2/"' in index and 'href="e1/"' in index and "internal" not in index
    assert 'href="../static/site.css"' in index and (out / "static" / "site.css").is_file()
    for edition in ("e1", "e2"):
        page = (out / "archive" / edition / "index.html").read_text(encoding="utf-8")
        assert "Ann" not in page and "Hi," in page  # nobody's name...
        assert f"{BASE}/unsubscribe/" in page and "token=" not in page  # ...and nobody's link
        assert f'href="{BASE}/archive/{edition}/"' in page  # "View in your browser": the archive by default
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    assert not atom.bozo and [e.link for e in atom.entries] == [f"{BASE}/archive/e2/", f"{BASE}/archive/e1/"]
    assert atom.feed.title == "The Daily Digest"
    schema = json.loads((Path(__file__).parents[1] / "data/schemas/jsonfeed-1.1.schema.json").read_text())
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    jsonschema.validate(feed, schema)
    assert [i["url"] for i in feed["items"]] == [e.link for e in atom.entries]


def test_export_needs_a_base_url_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch, "outbox://outbox")
    result = cli("archive", "export", str(tmp_path / "site"))
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "[web] base_url" in result.stderr
