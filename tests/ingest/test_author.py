"""Authors come from what the page declares (meta tags, JSON-LD), never from a guess in the body."""

from __future__ import annotations

from digest.ingest.web import extract_article

BODY = "".join(
    f"<p>Paragraph {i} of the story about the harbour festival, which drew record crowds this year "
    "as boats from twelve towns sailed in for the weekend parade and fireworks.</p>"
    for i in range(8)
)


def page(head: str, byline: str = "") -> str:
    return (
        f"<html lang='en'><head><title>Harbour festival draws record crowds</title>{head}</head>"
        f"<body><article><h1>Harbour festival draws record crowds</h1>{byline}{BODY}</article></body></html>"
    )


def test_declared_author_is_kept() -> None:
    article = extract_article(page('<meta name="author" content="Jane Doe">'), "https://news.example.com/a")
    assert article.author == "Jane Doe"


def test_json_ld_author_is_kept() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
        '"headline": "Harbour festival draws record crowds", "author": {"@type": "Person", "name": "Ann Lee"}}'
        "</script>"
    )
    article = extract_article(page(ld), "https://news.example.com/b")
    assert article.author == "Ann Lee"


def test_no_author_is_guessed_from_the_body() -> None:
    byline = '<div class="author">Rmb</div><p class="byline">By the Russian and Syrian defense ministries</p>'
    article = extract_article(page("", byline), "https://news.example.com/c")
    assert article.author is None
    assert "harbour festival" in article.text
