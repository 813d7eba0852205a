"""`ingest_sources` and `digest ingest` against a real local HTTP server and a real archive
(SQLite, then PostgreSQL)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.feedserver import FEEDS, FixtureServer, Route, serve

from digest.cli import cli
from digest.config import Settings, load_settings
from digest.errors import ConfigError
from digest.ingest import collect
from digest.ingest.to_archive import ingest_sources
from digest.storage.archive import Archive

# the archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def web() -> Iterator[FixtureServer]:
    with serve() as server:
        yield server


def write_config(tmp_path: Path, sources: list[dict[str, object]], allow: bool = True) -> Path:
    lines = [f"[fetch]\nallow_private_addresses = {'true' if allow else 'false'}\ntimeout = 1.0\nconcurrency = 4\n"]
    for src in sources:
        lines.append("[[sources]]")
        for key, value in src.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    cfg = tmp_path / "digest.toml"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    return cfg


def load(cfg: Path, tmp_path: Path) -> Settings:
    env = {"DIGEST_DATA_DIR": str(tmp_path / "data")}
    if url := os.environ.get("DIGEST_ARCHIVE__URL"):  # set by the database fixture for PostgreSQL
        env["DIGEST_ARCHIVE__URL"] = url
    return load_settings(cfg, env=env)


def test_same_story_from_two_feeds_is_one_and_second_run_is_304(web: FixtureServer, tmp_path: Path) -> None:
    rss = web.feed("/rss2.xml", "rss2.xml", etag='"rss-v1"')
    atom = web.feed("/atom.xml", "atom.xml", "application/atom+xml", last_modified="Fri, 27 Nov 2026 09:00:00 GMT")
    srcs: list[dict[str, object]] = [{"type": "feed", "url": rss}, {"type": "feed", "url": atom, "name": "Wire"}]
    s = load(write_config(tmp_path, srcs), tmp_path)
    first = ingest_sources(s)
    assert (first.new, first.known, first.failed) == (4, 1, 0)  # 3 + 2 entries, the flood story twice
    assert [r.source for r in first.sources] == [rss, "Wire"]
    with Archive(s) as archive:
        titles = sorted(a.article.title for a in archive.new_since_last_sent())
    assert titles.count("Council approves new flood barrier for the old harbour") == 1 and len(titles) == 4

    second = ingest_sources(s)
    assert (second.new, second.known, second.failed) == (0, 0, 0)
    assert all(r.not_modified for r in second.sources)
    assert web.conditional["/rss2.xml"] == 1 and web.not_modified["/rss2.xml"] == 1
    assert web.conditional["/atom.xml"] == 1 and web.not_modified["/atom.xml"] == 1


def test_unchanged_feed_without_validators_is_skipped_by_hash(web: FixtureServer, tmp_path: Path) -> None:
    url = web.feed("/rss2.xml", "rss2.xml")
    s = load(write_config(tmp_path, [{"type": "feed", "url": url}]), tmp_path)
    assert ingest_sources(s).new == 3
    again = ingest_sources(s)
    assert again.sources[0].not_modified and again.new == 0 and web.hits["/rss2.xml"] == 2


def test_changed_feed_counts_known_entries_and_skips_their_full_text(web: FixtureServer, tmp_path: Path) -> None:
    for key in ("360c732d1fdb", "b37be3535e1f"):
        web.page(f"/articles/{key}.html", key)
    url = web.feed("/teasers.xml", "teasers.xml")
    s = load(write_config(tmp_path, [{"type": "feed", "url": url, "fetch_full_text": True}]), tmp_path)
    first = ingest_sources(s)
    assert (first.new, first.known, first.failed) == (3, 0, 0)
    assert any("HTTP 404 Not Found" in w for w in first.sources[0].warnings)
    with Archive(s) as archive:
        texts = {a.article.title: a.article.text for a in archive.new_since_last_sent()}
    assert len(texts["Alibaba to raise up to $12.9bn in Hong Kong listing"]) > 1500
    # the feed gains an item: only it is new; known entries are not fetched again for full text
    body = (FEEDS / "teasers.xml").read_text().replace("{base}", web.base)
    extra = "<item><title>Brand new</title><link>{0}/articles/new.html</link><guid>teaser-9</guid>"
    extra += "<description>A new teaser.</description></item>"
    web.routes["/teasers.xml"] = Route(
        body=body.replace("</channel>", extra.format(web.base) + "</channel>").encode(),
        content_type="application/rss+xml",
    )
    second = ingest_sources(s)
    assert (second.new, second.known, second.failed) == (1, 3, 0)
    assert web.hits["/articles/360c732d1fdb.html"] == 1 and web.hits["/articles/b37be3535e1f.html"] == 1


def test_pages_second_run_is_conditional_and_skips_extraction(web: FixtureServer, tmp_path: Path) -> None:
    a = web.page("/a.html", "1ee91d1fce65", etag='"a1"')
    b = web.page("/b.html", "3cb22bfabed8")  # no validators: recognised by its unchanged body
    s = load(write_config(tmp_path, [{"type": "url", "url": a}, {"type": "url", "url": b}]), tmp_path)
    first = ingest_sources(s)
    assert (first.new, first.known, first.failed) == (2, 0, 0)
    second = ingest_sources(s)
    assert (second.new, second.known, second.failed) == (0, 2, 0)
    assert all(r.not_modified for r in second.sources)
    assert web.not_modified["/a.html"] == 1 and web.conditional["/b.html"] == 0


def test_new_since_last_digest_after_a_send(web: FixtureServer, tmp_path: Path) -> None:
    url = web.feed("/rss2.xml", "rss2.xml")
    s = load(write_config(tmp_path, [{"type": "feed", "url": url}]), tmp_path)
    report = ingest_sources(s)
    with Archive(s) as archive:
        digest_id = archive.record_digest("2026-11-27", "Harbour daily", report.sources[0].article_ids)
        archive.mark_sent(digest_id)
        assert archive.new_since_last_sent() == []
    body = (FEEDS / "rss2.xml").read_text().replace("{base}", web.base)
    item = (
        f"<item><title>Harbour festival dates announced</title><link>{web.base}/news/festival</link>"
        "<guid>harbour-times-1004</guid><description>The summer festival returns in July.</description></item>"
    )
    web.routes["/rss2.xml"] = Route(body=body.replace("<item>", item + "<item>", 1).encode(), content_type="text/xml")
    again = ingest_sources(s)
    assert (again.new, again.known) == (1, 3)
    with Archive(s) as archive:
        assert [a.article.title for a in archive.new_since_last_sent()] == ["Harbour festival dates announced"]


def test_one_failing_source_never_sinks_the_others(web: FixtureServer, tmp_path: Path) -> None:
    good = web.feed("/rss2.xml", "rss2.xml")
    web.add("/loop", Route(status=302, location="/loop2"))
    web.add("/loop2", Route(status=302, location="/loop"))
    web.add("/slow", Route(body=b"<rss/>", delay=2.5, content_type="application/rss+xml"))
    web.add("/huge", Route(body=b"<rss>" + b" " * 6_000_000 + b"</rss>", content_type="application/rss+xml"))
    srcs = [
        {"type": "feed", "url": web.url("/missing.xml")},
        {"type": "feed", "url": web.url("/loop")},
        {"type": "feed", "url": good},
        {"type": "feed", "url": web.url("/slow")},
        {"type": "feed", "url": web.url("/huge")},
        {"type": "url", "url": web.url("/500")},
        {"type": "path", "path": "no/such/folder"},
    ]
    web.add("/500", Route(status=500))
    report = ingest_sources(load(write_config(tmp_path, srcs), tmp_path))
    errors = [r.error for r in report.sources]
    assert errors[0] == f"{web.url('/missing.xml')}: HTTP 404 Not Found"
    assert errors[1] is not None and "redirect loop" in errors[1]
    assert errors[2] is None and report.sources[2].new == 3
    assert errors[3] == f"{web.url('/slow')}: timed out after 1 s"
    assert errors[4] == f"{web.url('/huge')}: response over the 5 MB limit"
    assert errors[5] == f"{web.url('/500')}: HTTP 500 Internal Server Error"
    assert errors[6] is not None and "no such file" in errors[6]
    assert report.failed == 6 and report.ok


def test_no_sources_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no \\[\\[sources\\]\\] configured"):
        ingest_sources(load(write_config(tmp_path, []), tmp_path))


def test_collect_shares_one_client_and_reports_failures(web: FixtureServer, tmp_path: Path) -> None:
    good = web.feed("/rss2.xml", "rss2.xml")
    srcs: list[dict[str, object]] = [{"type": "feed", "url": good}, {"type": "url", "url": web.url("/nope")}]
    s = load(write_config(tmp_path, srcs), tmp_path)
    got = collect(s.sources, s)
    assert len(got.articles) == 3
    assert [f.error for f in got.failures] == [f"{web.url('/nope')}: HTTP 404 Not Found"]


# ------------------------------------------------------------------ CLI: digest ingest


def _ingest(cfg: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    full_env = {"DIGEST_DATA_DIR": str(tmp_path / "data"), **(env or {})}
    result = CliRunner().invoke(cli, ["--config", str(cfg), "ingest", *args], env=full_env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_ingest_json_report(web: FixtureServer, tmp_path: Path) -> None:
    good = web.feed("/rss2.xml", "rss2.xml")
    srcs: list[dict[str, object]] = [
        {"type": "feed", "url": good, "name": "Harbour"},
        {"type": "feed", "url": web.url("/x")},
    ]
    cfg = write_config(tmp_path, srcs)
    code, out, _ = _ingest(cfg, tmp_path, "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["new"], data["known"], data["failed"]) == (3, 0, 1)
    assert data["sources"][0] | {"warnings": []} == {
        "source": "Harbour",
        "type": "feed",
        "new": 3,
        "known": 0,
        "failed": False,
        "error": None,
        "not_modified": False,
        "filtered": 0,
        "warnings": [],
    }
    assert data["sources"][1]["failed"] and data["sources"][1]["error"] == f"{web.url('/x')}: HTTP 404 Not Found"
    code, out, _ = _ingest(cfg, tmp_path)
    assert code == 0 and "Harbour: 0 new, 0 already known (not modified)" in out


def test_cli_ingest_all_failed_exits_1_with_one_line(web: FixtureServer, tmp_path: Path) -> None:
    url = web.feed("/rss2.xml", "rss2.xml")
    cfg = write_config(tmp_path, [{"type": "feed", "url": url}], allow=False)
    code, out, err = _ingest(cfg, tmp_path, "--json")
    assert code == 1
    assert json.loads(out)["failed"] == 1
    assert err.strip() == (
        f"error: all 1 sources failed; first: {url}: refused: resolves to a loopback address (127.0.0.1); "
        "set [fetch] allow_private_addresses = true to allow"
    )
    assert web.hits["/rss2.xml"] == 0
    # the environment switch allows it
    code, out, _ = _ingest(cfg, tmp_path, "--json", env={"DIGEST_ALLOW_PRIVATE_ADDRESSES": "1"})
    assert code == 0 and json.loads(out)["new"] == 3
