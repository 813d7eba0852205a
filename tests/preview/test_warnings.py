"""The preview's checks: what would go wrong with the digest, found in the rendered output."""

from __future__ import annotations

import re
from pathlib import Path

from digest.models import Article, SocialPost, Story, Summary
from digest.preview import warnings as checks
from digest.preview.frames import emulate_dark_mode, links_open_outside

EMAIL = """<!doctype html><html lang="en"><head><style>
@media (prefers-color-scheme: dark) { body { background: #111 } }
@media (prefers-color-scheme: light) { body { background: #fff } }
</style></head><body>
<img src="https://cdn.example/logo.png" alt="Daily Digest">
<img src="https://cdn.example/photo.jpg">
<img src="https://cdn.example/empty.jpg" alt="  ">
<img src="https://cdn.example/pixel.gif" width="1" height="1">
<img src="https://cdn.example/spacer.gif" role="presentation" alt="">
<a href="https://news.example/a?utm_source=digest">Story A</a>
<a href="http://old.example.com/b?utm_source=digest">Story B</a>
<a href="HTTP://old.example.com/b">Story B again</a>
<img src="http://cdn.example.com/insecure.png" alt="chart">
<a href="mailto:editor@example.com">Write to us</a>
</body></html>"""


def test_scan_finds_images_without_alt_and_http_links() -> None:
    found = checks.scan_email_html(EMAIL)
    assert found.images_without_alt == ["https://cdn.example/photo.jpg", "https://cdn.example/empty.jpg"]
    assert found.insecure_links == [
        "http://old.example.com/b?utm_source=digest",
        "HTTP://old.example.com/b",
        "http://cdn.example.com/insecure.png",
    ]


def test_size_against_the_clipping_limit() -> None:
    assert checks.size_warnings(50_000, 100_000) == []
    near = checks.size_warnings(95_000, 100_000)
    assert near[0].kind == "size" and near[0].level == "warning" and "95%" in near[0].message
    over = checks.size_warnings(104_512, 100_000)
    assert over[0].level == "error" and "104,512" in over[0].message and "Gmail will clip" in over[0].message


def test_email_warnings_count_bytes_as_sent_not_characters() -> None:
    html = "<p>" + "é" * 6_000 + "</p>"  # 6,000 characters, 12,007 bytes, 36,007 quoted-printable
    (w,) = checks.email_warnings(html, 20_000)
    assert w.kind == "size"
    size = int(re.search(r"HTML is ([\d,]+) bytes", w.message).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert 36_007 < size < 38_000  # every é is "=C3=A9", plus a soft line break every 76


def _story(title: str, lede: str) -> Story:
    return Story(Article(title=title, text="x", source="test"), Summary(lede=lede))


def test_stories_without_a_lede() -> None:
    out = checks.story_warnings([_story("Fine", "A lede."), _story("Empty", "  "), _story("Echo", "Echo")])
    assert [(w.kind, w.level) for w in out] == [("lede", "error"), ("lede", "warning")]
    assert "Story 2 “Empty” has no lede" in out[0].message


def test_over_limit_posts_and_http_links_in_posts(monkeypatch) -> None:
    posts = [
        SocialPost("x", "a" * 290, 290, 280),
        SocialPost("threads", " ".join(f"https://example.com/{i}" for i in range(6)), 125, 500),
        SocialPost("linkedin", "ok", 2, 3000),
    ]
    out = checks.post_warnings([posts], ["Story"])
    messages = [w.message for w in out]
    assert any("X post for “Story”: 10 over the limit of 280" in m for m in messages)
    assert any("Threads post" in m and "6 links, at most 5 allowed" in m for m in messages)
    assert not any("LinkedIn" in m for m in messages)


def test_plain_http_links_are_reported_once_per_address_naming_where() -> None:
    posts = [
        SocialPost("x", "t", 1, 280, links=["http://old.example.com/b?utm_source=x&utm_medium=social"]),
        SocialPost("bluesky", "t", 1, 300, links=["http://old.example.com/b?utm_source=bluesky"]),
        SocialPost("mastodon", "t", 1, 500, links=["https://new.example.com/c"]),
    ]
    out = checks.email_warnings(EMAIL, 100_000, [posts])
    links = [w.message for w in out if w.kind == "link"]
    assert links == [
        "Not https: http://old.example.com/b (in the email, X and Bluesky posts)",
        "Not https: http://cdn.example.com/insecure.png (in the email)",
    ]
    assert [w.message for w in out if w.kind == "alt"] == [
        "Image without alt text: https://cdn.example/photo.jpg",
        "Image without alt text: https://cdn.example/empty.jpg",
    ]


def test_failed_sources_are_errors_and_dedupe_puts_errors_first() -> None:
    from digest.ingest import SourceFailure

    found = [checks.PreviewWarning("alt", "Image without alt text: a.png")]
    found += checks.failure_warnings([SourceFailure("feeds/broken.xml", "not a feed")])
    found += [checks.PreviewWarning("alt", "Image without alt text: a.png")]
    out = checks.dedupe(found)
    assert [w.kind for w in out] == ["source", "alt"]
    assert out[0].message == "Source failed: feeds/broken.xml: not a feed"


def test_dark_mode_emulation_rewrites_media_queries_and_declares_dark() -> None:
    dark = emulate_dark_mode(EMAIL)
    assert "prefers-color-scheme" not in dark
    assert "@media (min-width: 0px) { body { background: #111 } }" in dark
    assert dark.index('<meta name="color-scheme" content="dark">') < dark.index("<style>")


def test_frame_links_open_outside_the_frame() -> None:
    framed = links_open_outside(EMAIL)
    assert framed.index('<base target="_blank">') < framed.index("<style>")
    assert framed.replace('<base target="_blank">', "") == EMAIL


def test_build_preview_without_a_server(tmp_path: Path) -> None:
    from tests.support.preview import write_articles, write_config

    from digest.config import load_settings
    from digest.preview.build import build_preview
    from digest.preview.page import render_page

    write_articles(tmp_path / "articles", ["First story here", "<b>Second</b> story"], paragraphs=2)
    settings = load_settings(write_config(tmp_path, tmp_path / "articles"))
    build = build_preview(settings)
    assert [s.article.title for s in build.stories] == ["First story here", "<b>Second</b> story"]
    page = render_page(build, csrf_token="tok")
    assert "&lt;b&gt;Second&lt;/b&gt; story" in page and "<b>Second</b>" not in page
    assert f'src="/email.html?b={build.id}"' in page
