"""Each key point links to its sentence on the source page through a URL text fragment."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from tests.support.digests import make_digest, settings

from digest.config import Settings
from digest.ingest.files import articles_from_text
from digest.links import sentence_link, text_fragment
from digest.models import Article, Digest, Story, Summary
from digest.preview.files import digest_data
from digest.render.email import render_email

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "examples" / "articles" / "eastbrook-river-cycle-path.html"
POINT = re.compile(r'<a class="dg-point" href="([^"]+)"')


def test_fragment_encoding_follows_the_text_fragments_syntax() -> None:
    sentence = "Prices rose 2-3% on Monday, & traders said “calm” returned in Zürich by the afternoon session."
    directive = text_fragment(sentence)
    assert directive == ":~:text=Prices%20rose%202%2D3%25%20on,by%20the%20afternoon%20session."
    start, end = directive.removeprefix(":~:text=").split(",")
    assert "-" not in directive and "&" not in directive and " " not in directive
    assert unquote(start) == "Prices rose 2-3% on"
    assert unquote(end) == "by the afternoon session."
    assert text_fragment("A short one-liner, here & now.") == ":~:text=A%20short%20one%2Dliner%2C%20here%20%26%20now."
    assert text_fragment("   ") is None


def test_utm_parameters_stay_before_the_fragment() -> None:
    link = sentence_link("https://ex.org/a?id=1&utm_source=digest#top", "The council met on Monday night.")
    assert link == "https://ex.org/a?id=1&utm_source=digest#top:~:text=The%20council%20met%20on%20Monday%20night."
    again = sentence_link(link, "Another sentence here.")
    assert again.count(":~:") == 1 and again.endswith("text=Another%20sentence%20here.")


def _digest(url: str | None) -> Digest:
    article = Article(title="Bridge plan approved", text="x", source="s", url=url, site="Courier")
    summary = Summary(
        lede="The council approved the bridge plan.",
        key_points=[
            "Work on the new bridge is due to start in March and should take two years.",
            "Shops near the river say the closure has cost them thousands of pounds.",
        ],
    )
    s = settings()
    return Digest(title=s.digest.title, date=make_digest([], s).date, stories=[Story(article, summary)])


def test_email_html_and_text_link_every_key_point() -> None:
    email = render_email(_digest("https://courier.example.org/bridge"), settings())
    html, text = email.personalize("https://example.com/unsubscribe?token=t", None)
    links = [unescape(h) for h in POINT.findall(html)]
    assert len(links) == 2
    for link in links:
        base, _, fragment = link.partition("#")
        assert "utm_source=digest" in base and "utm_medium=email" in base
        assert fragment.startswith(":~:text=") and "utm_" not in fragment
    assert links[0].endswith("#:~:text=Work%20on%20the%20new,should%20take%20two%20years.")
    flat = " ".join(text.split())
    assert all(link in flat for link in links)


def test_links_can_be_switched_off_and_need_a_url() -> None:
    html = render_email(_digest("https://courier.example.org/bridge"), settings(link_key_points=False)).html
    assert "dg-point" not in html and ":~:text=" not in html
    html = render_email(_digest(None), settings()).html
    assert "dg-point" not in html


def test_digest_json_has_key_point_links_beside_key_points() -> None:
    d = _digest("https://courier.example.org/bridge")
    email = render_email(d, settings())
    story = digest_data(d, email, [])["stories"][0]
    assert list(story)[list(story).index("key_points") + 1] == "key_point_links"
    assert story["key_point_links"] == [
        "https://courier.example.org/bridge#:~:text=Work%20on%20the%20new,should%20take%20two%20years.",
        "https://courier.example.org/bridge#:~:text=Shops%20near%20the%20river,them%20thousands%20of%20pounds.",
    ]
    assert digest_data(d, email, [], link_points=False)["stories"][0]["key_point_links"] == []
    json.dumps(story)


# ------------------------------------------------------------------ in a real browser


@pytest.fixture
def served_page(tmp_path: Path) -> Iterator[str]:
    """A local copy of an article page on 127.0.0.1, pushed below the fold, with the text a
    fragment selects painted pure red so that a screenshot shows the highlight."""
    html = PAGE.read_text(encoding="utf-8")
    html = html.replace(
        "</head>", "<style>::target-text{background-color:#ff0000;color:#ff0000}</style></head>", 1
    ).replace("<body>", '<body><div style="height:2400px">top of the page</div>', 1)
    (tmp_path / "story.html").write_text(html, encoding="utf-8")
    shutil.copy(PAGE, tmp_path / "original.html")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/story.html"
    finally:
        server.shutdown()
        server.server_close()


def _red_pixels(png: bytes) -> int:
    import struct
    import zlib

    # Decode a Chromium screenshot (8-bit RGB or RGBA, non-interlaced) well enough to count pure red.
    pos, chunks, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, colour = struct.unpack(">IIBB", data[:10])
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            chunks += data
        pos += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * channels
    prev = bytearray(stride)
    count = 0
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        count += sum(1 for x in range(0, stride, channels) if line[x] > 240 and line[x + 1] < 20 and line[x + 2] < 20)
        prev = line
    return count


@pytest.mark.slow
@pytest.mark.browser
def test_following_a_key_point_link_scrolls_to_and_highlights_the_sentence(browser: Any, served_page: str) -> None:
    s: Settings = settings()
    (article,) = articles_from_text(PAGE.read_bytes(), str(PAGE), s, fmt="html")
    article.url = served_page
    d = make_digest([article], s, teasers=False)
    assert d.stories[0].summary.key_points, "the example page should give key points"
    html, _ = render_email(d, s).personalize("https://example.com/unsubscribe?token=t", None)
    links = [unescape(h) for h in POINT.findall(html)]
    assert len(links) == len(d.stories[0].summary.key_points)
    page = browser.new_page(viewport={"width": 800, "height": 700})
    try:
        for link, point in zip(links, d.stories[0].summary.key_points, strict=True):
            assert link.startswith(served_page + "?utm_source=")
            page.goto("about:blank")
            page.goto(link)
            page.wait_for_function("window.scrollY > 1000", timeout=5000)
            start = " ".join(point.split()[:4])
            box = page.evaluate(
                """(start) => {
                    const el = [...document.querySelectorAll('p, li, h2, h3')].find(
                        (e) => e.textContent.replace(/\\s+/g, ' ').includes(start));
                    if (!el) return null;
                    const r = el.getBoundingClientRect();
                    return {top: r.top, bottom: r.bottom, height: innerHeight};
                }""",
                start,
            )
            assert box is not None, f"sentence not on the page: {start!r}"
            assert 0 <= box["top"] < box["height"], f"not scrolled into view: {box}"
            assert _red_pixels(page.screenshot()) > 500, f"sentence not highlighted: {point!r}"
    finally:
        page.close()
