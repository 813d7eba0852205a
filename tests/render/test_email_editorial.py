"""What editors asked of the email: images, a clean preheader and header, teaser blocks with
their own headings, a clipping guard on the bytes as sent, and a Bluesky link card."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from tests.support.digests import DAY, cnndm_articles, html_articles, make_digest, seed_article, settings
from tests.support.htmlscan import scan

from digest.mailing.message import MessageFactory
from digest.mailing.tokens import UnsubscribeSigner
from digest.models import Article, Digest, Image, Related, Story, Summary, Teaser
from digest.render.email import HERO_WIDTH, THUMB_WIDTH, render_email
from digest.render.social import social_posts


def _story(n: int, image: Image | None = None, **kw: object) -> Story:
    article = Article(
        title=f"Story number {n} about the harbour",
        text="The council met on Tuesday. It voted.",
        source="t",
        url=f"https://news.example.org/{n}",
        image=image,
        **kw,  # type: ignore[arg-type]
    )
    return Story(article=article, summary=Summary(lede="The council met on Tuesday.", key_points=["It voted."]))


def _digest(*stories: Story) -> Digest:
    return Digest(title="The Daily Digest", date=DAY, stories=list(stories), edition=DAY.isoformat())


def _imgs(html: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img\b[^>]*>", html)]


IMG = Image("https://cdn.example.org/a.jpg", alt="Boats in the harbour", width=1200, height=600)


def test_first_story_is_a_hero_the_others_thumbnails_with_sizes_and_alt() -> None:
    d = _digest(_story(1, IMG), _story(2, Image("https://cdn.example.org/b.jpg")), _story(3))
    imgs = _imgs(render_email(d, settings()).html)
    assert [i["src"] for i in imgs] == ["https://cdn.example.org/a.jpg", "https://cdn.example.org/b.jpg"]
    hero, thumb = imgs
    assert (hero["width"], hero["height"], hero["alt"]) == (
        str(HERO_WIDTH),
        str(HERO_WIDTH // 2),
        "Boats in the harbour",
    )
    assert thumb["width"] == str(THUMB_WIDTH) and int(thumb["height"]) > 0
    assert thumb["alt"] == "Story number 2 about the harbour"  # no alt of its own: the title
    for img in imgs:
        style = img["style"].replace(" ", "")
        assert "border:0" in style and "height:auto" in style and "max-width:" in style


@pytest.mark.parametrize(("mode", "count"), [("hero", 1), ("none", 0), ("thumbnails", 3)])
def test_images_setting(mode: str, count: int) -> None:
    d = _digest(*(_story(n, IMG) for n in (1, 2, 3)))
    assert len(_imgs(render_email(d, settings(images=mode)).html)) == count


def test_images_are_linked_by_url_and_never_embedded() -> None:
    html = render_email(_digest(_story(1, IMG)), settings()).html
    assert "data:image" not in html and "cid:" not in html


def test_preheader_is_hidden_without_colour_tricks_and_padded() -> None:
    html = render_email(_digest(_story(1)), settings()).html
    m = re.search(r'<div class="dg-preheader" style="([^"]*)">(.*?)</div>', html, re.S)
    assert m is not None
    style, content = m.groups()
    assert "display:none" in style and "color" not in style  # no white-on-grey (HTML_FONT_LOW_CONTRAST)
    assert content.startswith("The council met on Tuesday.")
    assert content.count("&zwnj;") >= 50  # the snippet stops here, not in the title and date
    assert html.index("dg-preheader") < html.index("The Daily Digest</h1>")


def test_no_empty_band_without_an_archive_link() -> None:
    without = render_email(_digest(_story(1)), settings()).html
    assert "View in your browser" not in without
    with_link = render_email(_digest(_story(1)), settings(archive_url="https://news.example.org/a/{date}")).html
    assert "View in your browser" in with_link


def test_a_pages_own_block_keeps_its_heading_and_hides_without_links() -> None:
    s = settings()
    seed = seed_article(s)  # its "More from Qonversations" block lists stories without links
    d = make_digest([seed], s)
    html = render_email(d, s).html
    assert "Could this be the largest IT outages" not in html and ">Related<" not in html
    assert not any("More from" in t for t in scan(html).texts) if hasattr(scan(html), "texts") else True
    linked = _story(1)
    linked.teasers = [
        Teaser(
            "Harbour works to start in May", "https://news.example.org/works", "page", label="More from Harbour Times"
        ),
        Teaser("Unlinked promotion", None, "page", label="More from Harbour Times"),
        Teaser("Ferry timetable changes", "https://news.example.org/ferry", "digest", 0.4),
    ]
    html = render_email(_digest(linked), s).html
    assert "More from Harbour Times" in html and ">Related<" in html
    assert html.index("More from Harbour Times") < html.index("Harbour works to start in May")
    assert "Unlinked promotion" not in html


def test_the_clipping_guard_counts_the_html_part_as_sent() -> None:
    """40 stories fitted under the limit: the HTML part, quoted-printable as transferred, fits too."""
    s = settings(max_html_bytes=100_000)
    articles = [seed_article(s), *html_articles(), *cnndm_articles()][:40]
    for n, article in enumerate(articles):
        article.text = article.text.replace(" ", " é ", 200)  # non-ASCII grows under quoted-printable
        article.image = Image(f"https://cdn.example.org/{n}.jpg?w=600&h=400", width=600, height=400)
    d = make_digest(articles, s)
    rendered = render_email(d, s)
    assert rendered.warnings  # it had to shrink
    msg = MessageFactory(s, rendered, UnsubscribeSigner("k" * 32)).build("reader@example.org", "Reader")
    parsed = email.message_from_bytes(msg.data, policy=email.policy.SMTP)
    html_part = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    assert html_part["Content-Transfer-Encoding"] == "quoted-printable"
    on_the_wire = len(html_part.get_payload(decode=False).encode("ascii"))
    assert on_the_wire <= 100_000, on_the_wire


def test_bluesky_gets_a_link_card_with_the_image_as_thumbnail() -> None:
    article = Article(
        title="Harbour barrier approved",
        text="The council voted on Tuesday to build a flood barrier. Work starts in May.",
        source="t",
        url="https://news.example.org/barrier",
        image=IMG,
    )
    (post,) = social_posts(article, settings=settings(), platforms=["bluesky"])
    assert post.card is not None
    assert post.card["uri"].startswith("https://news.example.org/barrier?") and "utm_source=bluesky" in post.card["uri"]
    assert post.card["title"] == "Harbour barrier approved"
    assert post.card["description"] and post.card["thumb"] == IMG.url
    (mastodon,) = social_posts(article, settings=settings(), platforms=["mastodon"])
    assert mastodon.card is None  # Mastodon makes its own card from the link


def test_related_block_heading_comes_from_the_page() -> None:
    from digest.ingest.scraped_text import clean_scraped_text

    text = (
        "A title\n\n"
        + "The council voted on Tuesday to build a new barrier across the harbour mouth after years of debate. " * 3
        + "\n\nMore from Harbour Times\n\nNews\n\nFerry returns after repairs to its engine\n\n"
        "News\n\nCouncil budget passes after a late vote\n"
    )
    cleaned = clean_scraped_text(text)
    assert cleaned.related and {r.block for r in cleaned.related} == {"More from Harbour Times"}
    assert all(isinstance(r, Related) for r in cleaned.related)
