"""Lead images and categories from pages, feeds and JSON; per-source include/exclude filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.paths import DATA

from digest.config import SourceSettings, load_settings
from digest.errors import ConfigError
from digest.ingest.feeds import parse_feed
from digest.ingest.filters import Matcher, select
from digest.ingest.jsonfile import parse_json
from digest.ingest.web import extract_article
from digest.models import Article

PAGE = """<!doctype html><html lang="en"><head><title>Harbour barrier approved | Harbour Times</title>
<meta property="og:image" content="/media/barrier.jpg?w=1200&amp;utm_source=og">
<meta property="og:image:alt" content="The old harbour at dusk">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="675">
<meta property="article:section" content="Local">
</head><body><article><h1>Harbour barrier approved</h1>
<img src="/media/logo.png" width="80" height="40" alt="logo">
<p>{body}</p></article></body></html>"""
BODY = "The council voted on Tuesday to build a flood barrier across the old harbour mouth. " * 8


def test_page_image_is_the_declared_sharing_image_resolved_and_https() -> None:
    article = extract_article(PAGE.replace("{body}", BODY), "t", url="https://news.example.org/local/barrier")
    assert article.image is not None
    assert article.image.url == "https://news.example.org/media/barrier.jpg?w=1200&utm_source=og"  # query kept as is
    assert (article.image.alt, article.image.width, article.image.height) == ("The old harbour at dusk", 1200, 675)
    assert article.categories == ["Local"]


def test_page_image_falls_back_to_json_ld_then_the_first_large_body_image() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "image": {"url": "https://cdn.example.org/a.jpg", "width": 800, "height": 600, "caption": "Rescue boats"},
    }
    page = PAGE.replace('<meta property="og:image"', '<meta property="og:ignored"').replace(
        "</head>", f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
    )
    article = extract_article(page.replace("{body}", BODY), "t", url="https://news.example.org/x")
    assert article.image is not None and article.image.url == "https://cdn.example.org/a.jpg"
    assert article.image.alt == "Rescue boats" and article.image.width == 800
    body_only = PAGE.replace('<meta property="og:image"', '<meta property="og:ignored"').replace(
        "<p>",
        '<img src="http://plain.example.org/no.jpg" width="900" height="500">'
        '<img src="https://cdn.example.org/big.jpg" width="900" height="500" alt="Flood wall"><p>',
    )
    article = extract_article(body_only.replace("{body}", BODY), "t", url="https://news.example.org/x")
    assert article.image is not None
    assert (article.image.url, article.image.alt) == ("https://cdn.example.org/big.jpg", "Flood wall")  # not the logo


def test_real_pages_mostly_declare_an_image_and_never_a_non_https_one() -> None:
    truth = json.loads((DATA / "html-articles" / "ground-truth.json").read_text(encoding="utf-8"))
    found = 0
    for key, meta in truth.items():
        html = (DATA / "html-articles" / f"{key}.html").read_bytes()
        article = extract_article(html, key, url=meta["url"])
        if article.image is not None:
            found += 1
            assert article.image.url.startswith("https://")
    assert found >= 10, f"only {found} of {len(truth)} real pages gave an image"


FEED = """<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>Harbour Times</title><link>https://news.example.org/</link>
<item><title>With media content</title><link>https://news.example.org/1</link><description>One.</description>
<category>Local</category><category>Weather</category>
<media:content url="https://cdn.example.org/1.jpg" medium="image" width="640" height="360"/></item>
<item><title>With a thumbnail</title><link>https://news.example.org/2</link><description>Two.</description>
<media:thumbnail url="https://cdn.example.org/2.jpg" width="300" height="200"/></item>
<item><title>With an enclosure</title><link>https://news.example.org/3</link><description>Three.</description>
<enclosure url="https://cdn.example.org/3.png" type="image/png" length="1000"/></item>
<item><title>With an mp3 and a plain-http image</title><link>https://news.example.org/4</link><description>4.</description>
<enclosure url="https://cdn.example.org/4.mp3" type="audio/mpeg" length="1000"/>
<media:thumbnail url="http://cdn.example.org/4.jpg"/></item>
</channel></rss>"""


def test_feed_images_and_categories() -> None:
    items = parse_feed(FEED.encode(), "https://news.example.org/feed.xml").articles
    images = [(a.image.url, a.image.width) if a.image else None for a in items]
    assert images == [
        ("https://cdn.example.org/1.jpg", 640),
        ("https://cdn.example.org/2.jpg", 300),
        ("https://cdn.example.org/3.png", None),
        None,
    ]
    assert items[0].categories == ["Local", "Weather"]


def test_json_image_as_a_url_or_an_object() -> None:
    one = json.dumps({"title": "T", "text": "Body.", "url": "https://a.example/x", "image": "/i.jpg"})
    two = json.dumps(
        {"title": "T", "text": "Body.", "image": {"url": "https://b.example/i.jpg", "alt": "A", "width": 10}}
    )
    bad = json.dumps({"title": "T", "text": "Body.", "image": "javascript:alert(1)", "categories": ["Sport", "sport"]})
    ((a, _),), ((b, _),), ((c, _),) = parse_json(one, "1"), parse_json(two, "2"), parse_json(bad, "3")
    assert a.image is not None and a.image.url == "https://a.example/i.jpg"
    assert b.image is not None and (b.image.alt, b.image.width) == ("A", 10)
    assert c.image is None and c.categories == ["Sport"]


def _article(title: str, text: str = "Body text.", categories: list[str] | None = None) -> Article:
    return Article(title=title, text=text, source="s", categories=categories or [])


def test_words_match_whole_words_in_any_case_and_re_patterns_as_regular_expressions() -> None:
    m = Matcher(["flood", "re:\\bstorm(s|y)?\\b"])
    assert m.search(["Flood warning for the coast"])
    assert not m.search(["Floodlights fixed at the stadium"])
    assert m.search(["A STORMY night"]) and not m.search(["Brainstorming session"])
    assert Matcher(["climate change"]).search(["Climate  change policy"])


def test_source_include_and_exclude_over_title_text_and_categories() -> None:
    spec = SourceSettings(type="path", path="x", name="Desk", include=("harbour", "re:^Local$"), exclude=("sponsored",))
    stories = [
        _article("Harbour barrier approved"),
        _article("Parking fees", categories=["Local"]),
        _article("Sponsored: harbour cruises"),
        _article("Cup final tonight"),
    ]
    chosen = select(spec, stories)
    assert [a.title for a in chosen.articles] == ["Harbour barrier approved", "Parking fees"]
    assert chosen.filtered == 2 and all(a.origin == "Desk" for a in chosen.articles)


def test_a_bad_pattern_is_refused_at_load_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "digest.toml"
    cfg.write_text('[[sources]]\ntype = "path"\npath = "."\ninclude = ["re:(unclosed"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[\[sources\]\] #1 include: not a valid regular expression"):
        load_settings(cfg)


def test_ingest_json_reports_filtered_per_source(tmp_path: Path) -> None:
    from digest.ingest.to_archive import ingest_sources

    folder = tmp_path / "articles"
    folder.mkdir()
    for name, title in [("a", "Harbour barrier approved"), ("b", "Cup final tonight"), ("c", "Harbour ferry returns")]:
        (folder / f"{name}.json").write_text(json.dumps({"title": title, "text": f"{title}. More words here."}))
    cfg = tmp_path / "digest.toml"
    cfg.write_text(f'[[sources]]\ntype = "path"\npath = "{folder}/*.json"\nname = "Desk"\ninclude = ["harbour"]\n')
    report = ingest_sources(load_settings(cfg))
    assert report.to_dict()["sources"][0] | {"warnings": []} == {
        "source": "Desk",
        "type": "path",
        "new": 2,
        "known": 0,
        "failed": False,
        "error": None,
        "not_modified": False,
        "filtered": 1,
        "warnings": [],
    }
