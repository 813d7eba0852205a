"""Titles lose the site's name only when a segment names the site; site labels are readable."""

from __future__ import annotations

import pytest

from digest.config import Settings
from digest.ingest.files import articles_from_text
from digest.ingest.site_titles import title_without_site
from digest.links import readable_domain, site_label


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        (
            "Black Friday per nostalgici: le occasioni da non perdere - Remember 80/90 - Memorabilia anni 80/90",
            "Remember 80/90 - Memorabilia anni 80/90",
            "http://www.remember8090.it/black-friday/",
            "Black Friday per nostalgici: le occasioni da non perdere",
        ),
        (
            "'The Medium is the Message': the 7th Amsterdam Light Festival | Inexhibit",
            "Inexhibit magazine",
            "https://www.inexhibit.com/marker/54885/",
            "'The Medium is the Message': the 7th Amsterdam Light Festival",
        ),
        (
            "How to Adopt an Online Leader Success Mindset | BIG Brand System",
            None,
            "https://www.bigbrandsystem.com/success-mindset/",
            "How to Adopt an Online Leader Success Mindset",
        ),
        ("CNN - Storm hits the coast overnight", None, "https://edition.cnn.com/x", "Storm hits the coast overnight"),
        ("Só quem se Ama... — Mensagens de Reflexão", "Mensagens de Reflexão", None, "Só quem se Ama..."),
        # separators inside real headlines stay
        (
            "Milan Design Week 2018 | Anastassiades' light installation for FLOS",
            "Inexhibit magazine",
            "https://www.inexhibit.com/x",
            "Milan Design Week 2018 | Anastassiades' light installation for FLOS",
        ),
        ("Storm - what we know so far", "Stormwatch Weekly News", None, "Storm - what we know so far"),
        ("Trump vs. Biden - the debate", None, None, "Trump vs. Biden - the debate"),
        ("Reuters | Reuters", "Reuters", None, "Reuters | Reuters"),
    ],
)
def test_title_without_site(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert title_without_site(title, site, url) == expected


def test_site_label_is_declared_name_or_readable_domain() -> None:
    assert site_label("CTV News", "https://www.ctvnews.ca/x") == "CTV News"
    assert site_label("EDITION.CNN.COM", None) == "cnn.com"
    assert site_label(None, "https://edition.cnn.com/2020/01/01/story.html") == "cnn.com"
    assert site_label(None, "https://www.bbc.co.uk/news/1") == "bbc.co.uk"
    assert site_label("@Polygraph", None) == "Polygraph"
    assert readable_domain("http://127.0.0.1:8000/page") == "127.0.0.1"
    assert site_label(None, None) is None


def _page(head: str) -> str:
    body = "".join(
        f"<p>Paragraph {i} of the story says the council approved the new bridge plan after a long debate.</p>"
        for i in range(6)
    )
    return f"<html><head>{head}</head><body><article><h1>Bridge plan approved</h1>{body}</article></body></html>"


def test_html_page_title_loses_declared_site_name() -> None:
    html = _page(
        '<title>Bridge plan approved | The Eastbrook Courier</title><meta property="og:site_name" '
        'content="The Eastbrook Courier"><link rel="canonical" href="https://news.eastbrook-courier.example.org/a">'
    )
    (article,) = articles_from_text(html, "page.html", Settings(), fmt="html")
    assert article.title == "Bridge plan approved"
    assert article.site == "The Eastbrook Courier"


def test_html_page_without_site_name_gets_readable_domain() -> None:
    html = _page('<title>Bridge plan approved</title><link rel="canonical" href="https://edition.cnn.com/2020/a.html">')
    (article,) = articles_from_text(html, "page.html", Settings(), fmt="html")
    assert article.site == "cnn.com"
