"""Feeds and pages read over a real local HTTP server; extraction quality; `digest extract`."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import trafilatura
from click.testing import CliRunner
from tests.support.feedserver import FEEDS, PAGES, FixtureServer, Route, serve

from digest.cli import cli
from digest.config import Settings, load_settings
from digest.errors import FetchError, InputError
from digest.ingest import read_source, remote
from digest.ingest.web import extract_article, fragment_to_text


@pytest.fixture
def web() -> Iterator[FixtureServer]:
    with serve() as server:
        yield server


def settings_for(tmp_path: Path, extra: str = "", allow: bool = True) -> Settings:
    cfg = tmp_path / "digest.toml"
    cfg.write_text(
        f"[fetch]\nallow_private_addresses = {'true' if allow else 'false'}\ntimeout = 1.0\n{extra}",
        encoding="utf-8",
    )
    return load_settings(cfg, env={"DIGEST_DATA_DIR": str(tmp_path / "data")})


def test_rss2_entries_with_metadata_and_sanitized_text(web: FixtureServer, tmp_path: Path) -> None:
    url = web.feed("/rss2.xml", "rss2.xml")
    articles = remote.read_feed(url, settings_for(tmp_path))
    assert [a.guid for a in articles] == ["harbour-times-1001", "harbour-times-1002", "harbour-times-1003"]
    first = articles[0]
    assert first.title == "Council approves new flood barrier for the old harbour"
    assert first.source == url and first.site == "Harbour Times" and first.author == "Maria Jensen"
    assert first.language == "en" and first.published is not None
    assert first.published.isoformat() == "2026-11-27T08:30:00+00:00"
    assert first.text.count("\n\n") == 2  # three paragraphs, as in the feed
    assert "movable barrier will begin" in first.text
    for bad in ("<", "script", "evil.example", "alert", "onclick"):
        assert bad not in first.text
    assert articles[2].title == "Fishing fleet reports record mackerel catch & higher prices"


def test_atom_rss1_and_rss091(web: FixtureServer, tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    atom = remote.read_feed(web.feed("/atom", "atom.xml", "application/atom+xml"), s)
    assert [a.title for a in atom] == [
        "Council approves new flood barrier for the old harbour",
        "Lighthouse restoration finished ahead of schedule",
    ]
    assert atom[1].published is not None and atom[1].published.isoformat() == "2026-11-26T14:30:00+00:00"
    assert atom[1].text.startswith("Volunteers finished restoring") and "\n\n" in atom[1].text
    rdf = remote.read_feed(web.feed("/rdf", "rss1.xml", "application/rdf+xml"), s)
    assert [a.url for a in rdf] == [web.url("/gazette/bridge"), web.url("/gazette/school")]
    old = remote.read_feed(web.feed("/091", "rss091.xml", "text/xml"), s)
    assert old[0].title == "Town clock repaired after fifty silent years"


def test_feed_served_as_text_plain_and_max_items(web: FixtureServer, tmp_path: Path) -> None:
    url = web.feed("/plain", "rss2.xml", "text/plain")
    assert len(remote.read_feed(url, settings_for(tmp_path), max_items=2)) == 2


def test_malformed_feed_keeps_good_entries_and_warns(
    web: FixtureServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = web.feed("/bad.xml", "malformed.xml")
    with caplog.at_level(logging.WARNING):
        got = remote.fetch_feed(url, settings_for(tmp_path))
    assert [a.title for a in got.articles] == [
        "First story survives the broken feed",
        "Second story with a stray & ampersand",
    ]
    assert got.warnings and "malformed feed, kept 2 readable entries" in got.warnings[0]
    assert any("malformed feed" in r.getMessage() for r in caplog.records)


def test_not_a_feed_is_a_clear_error(web: FixtureServer, tmp_path: Path) -> None:
    url = web.add("/junk", Route(body=b"this is not xml at all {", content_type="application/xml"))
    with pytest.raises(InputError, match=r"/junk: not an RSS or Atom feed"):
        remote.read_feed(url, settings_for(tmp_path))


def test_teaser_feed_gets_full_text_and_keeps_teasers_when_pages_fail(web: FixtureServer, tmp_path: Path) -> None:
    for key in ("360c732d1fdb", "b37be3535e1f"):
        web.page(f"/articles/{key}.html", key)
    url = web.feed("/teasers.xml", "teasers.xml")
    got = remote.fetch_feed(url, settings_for(tmp_path), fetch_full_text=True)
    by_guid = {(a.guid or "").rsplit("/", 1)[-1]: a for a in got.articles}
    assert "Alibaba" in by_guid["teaser-1"].text and len(by_guid["teaser-1"].text) > 1500
    assert "hibernat" in by_guid["teaser-2"].text and len(by_guid["teaser-2"].text) > 500
    assert by_guid["teaser-1"].title == "Alibaba to raise up to $12.9bn in Hong Kong listing"  # the feed's title wins
    assert by_guid["teaser-3"].text == "This page returns 404, so the teaser must be kept."
    assert any("gone.html" in w and "HTTP 404 Not Found" in w for w in got.warnings)
    assert web.hits["/articles/360c732d1fdb.html"] == 1
    # without fetch_full_text the linked pages are not touched
    plain = remote.fetch_feed(url, settings_for(tmp_path))
    assert plain.articles[0].text == "Alibaba is set to raise up to... read more"
    assert web.hits["/articles/360c732d1fdb.html"] == 1


def test_full_text_never_connects_to_private_items_by_default(
    web: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default guard, items pointing at 10.x / 169.254.x are refused before connecting."""
    from digest.ingest.feeds import parse_feed
    from digest.ingest.fetch import Fetcher
    from digest.ingest.remote import with_full_text

    body = (FEEDS / "private-items.xml").read_text().replace("{base}", web.base).encode()
    private = parse_feed(body, web.url("/private.xml")).articles
    assert [a.url for a in private] == [
        "http://10.255.255.1/internal/secret.html",
        "http://169.254.169.254/latest/meta-data/",
    ]
    attempts: list[str] = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    settings = settings_for(tmp_path, allow=False)
    warnings: list[str] = []
    with Fetcher(settings.fetch) as f:
        out = with_full_text(private, settings, f, warnings)
    assert [a.text for a in out] == [a.text for a in private]  # teasers kept
    assert attempts == []
    assert any("10.255.255.1" in w and "private address" in w for w in warnings)
    assert any("169.254.169.254" in w and "link-local address" in w for w in warnings)


def test_read_url_detects_feed_or_page(web: FixtureServer, tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    feed = remote.read_url(web.feed("/f", "atom.xml", "application/atom+xml"), s)
    assert len(feed) == 2
    sniffed = remote.read_url(web.feed("/f2", "rss2.xml", "text/html"), s)  # wrong type, sniffed
    assert len(sniffed) == 3
    page = remote.read_url(web.page("/p.html", "3cb22bfabed8"), s)
    assert len(page) == 1 and page[0].title.startswith("2020 Audi e-tron Sportback revealed")
    assert page[0].site == "SlashGear" and page[0].author == "Chris Davies"
    assert page[0].source == web.url("/p.html")


def test_read_source_dispatches_configured_sources(web: FixtureServer, tmp_path: Path) -> None:
    feed_url = web.feed("/rss2.xml", "rss2.xml")
    page_url = web.page("/page.html", "1ee91d1fce65")
    s = settings_for(
        tmp_path,
        f'\n[[sources]]\ntype = "feed"\nurl = "{feed_url}"\nmax_items = 1\n'
        f'\n[[sources]]\ntype = "url"\nurl = "{page_url}"\n',
    )
    assert [a.guid for a in read_source(s.sources[0], s)] == ["harbour-times-1001"]
    assert read_source(s.sources[1], s)[0].title.startswith("Russia and Syria")


def test_page_errors_are_fetch_errors(web: FixtureServer, tmp_path: Path) -> None:
    s = settings_for(tmp_path)
    with pytest.raises(FetchError, match=r"HTTP 500 Internal Server Error$"):
        remote.read_page(web.add("/boom", Route(status=500)), s)
    empty = web.add("/empty.html", Route(body=b"<html><head><title>Nothing</title></head><body></body></html>"))
    with pytest.raises(InputError, match="no article text found"):
        remote.read_page(empty, s)


def _tokens(text: str | None) -> Counter[str]:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def _f1(pred: str | None, ref: str) -> float:
    p, r = _tokens(pred), _tokens(ref)
    common = sum((p & r).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def test_extraction_quality_at_least_trafilatura_defaults() -> None:
    """Token F1 against the article-extraction-benchmark ground truth, as the benchmark scores it."""
    truth = json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8"))
    ours, baseline = [], []
    for key, item in truth.items():
        html = (PAGES / f"{key}.html").read_bytes()
        ours.append(_f1(extract_article(html, key, item["url"]).text, item["articleBody"]))
        baseline.append(_f1(trafilatura.extract(html, url=item["url"]), item["articleBody"]))
    assert sum(ours) / len(ours) >= sum(baseline) / len(baseline)
    assert sum(ours) / len(ours) > 0.85


def test_fragment_to_text_is_plain_text() -> None:
    html = '<p>One &amp; <b onclick="x()">two</b></p><script>alert(1)</script><style>p{}</style><p>Three<br>four</p>'
    assert fragment_to_text(html) == "One & two\n\nThree four"
    # escaped markup in a feed is text about markup: it stays text (templates escape it)
    assert fragment_to_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "<script>alert(1)</script>"


# ------------------------------------------------------------------ CLI: digest extract


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_extract_json_for_feed_page_and_folder(web: FixtureServer, tmp_path: Path) -> None:
    env = {"DIGEST_ALLOW_PRIVATE_ADDRESSES": "1", "DIGEST_FETCH__TIMEOUT": "1"}
    code, out, _ = _run(["extract", web.feed("/rss2.xml", "rss2.xml"), "--json"], env)
    assert code == 0
    data = json.loads(out)
    assert [d["title"] for d in data][0] == "Council approves new flood barrier for the old harbour"
    assert set(data[0]) == {
        "source",
        "title",
        "url",
        "published",
        "author",
        "site",
        "text",
        "related",
        "image",
        "categories",
    }
    assert data[0]["source"] == web.url("/rss2.xml") and data[0]["published"].startswith("2026-11-27")

    code, out, _ = _run(["extract", web.page("/p.html", "360c732d1fdb"), "--json"], env)
    (page,) = json.loads(out)
    assert code == 0 and page["site"] == "CityAM" and page["author"] == "Anna Menin"
    # the page's own "More from CityAM" stories, with their links (they feed the email's teasers)
    assert page["related"] and all(
        r["url"].startswith("https://www.cityam.com/") and r["url"] != page["url"] for r in page["related"]
    )

    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("A title\n\nSome body text about a harbour.\n", encoding="utf-8")
    code, out, _ = _run(["extract", str(folder), "--json"])
    assert code == 0 and json.loads(out)[0]["source"].endswith("a.txt")


def test_cli_extract_refuses_loopback_without_permission(web: FixtureServer) -> None:
    url = web.feed("/rss2.xml", "rss2.xml")
    code, out, err = _run(["extract", url, "--json"])
    assert code == 1 and out == ""
    assert err.strip() == (
        f"error: {url}: refused: resolves to a loopback address (127.0.0.1); "
        "set [fetch] allow_private_addresses = true to allow"
    )
    assert web.hits["/rss2.xml"] == 0


def test_cli_extract_errors_are_one_line(web: FixtureServer) -> None:
    env = {"DIGEST_ALLOW_PRIVATE_ADDRESSES": "1", "DIGEST_FETCH__TIMEOUT": "1"}
    code, _, err = _run(["extract", web.url("/missing")], env)
    assert code == 1 and err.strip() == f"error: {web.url('/missing')}: HTTP 404 Not Found"
    code, _, err = _run(["extract", "ftp://example.com/feed"])
    assert code == 1 and err.count("\n") == 1 and "only http and https" in err
