"""The email's HTML and text parts: links, UTM, safety, structure, size guard, templates."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from tests.support.digests import DAY, cnndm_articles, html_articles, make_digest, real_digest, seed_article, settings
from tests.support.htmlscan import scan

from digest.errors import TemplateError
from digest.models import Article, Digest, Related, Story, Summary, Teaser
from digest.render.email import GREETING_MARKER, UNSUBSCRIBE_MARKER, render_email
from digest.render.plaintext import is_url_line
from digest.sanitize import plain_text


def story(title: str, url: str | None, text: str = "Body.", points: list[str] | None = None, **kw) -> Story:
    article = Article(title=title, text=text, source="test", url=url, **kw)
    return Story(article=article, summary=Summary(lede=text.split(". ")[0], key_points=points or []))


def digest_of(*stories: Story, intro: str | None = None) -> Digest:
    return Digest(title="The Daily Digest", date=DAY, stories=list(stories), intro=intro, edition=DAY.isoformat())


@pytest.fixture(scope="module")
def real():
    s = settings()
    d = real_digest(s)
    return s, d, render_email(d, s)


def story_links(html: str) -> list[tuple[str, str]]:
    return [(href, text) for href, text, _ in scan(html).links if href != UNSUBSCRIBE_MARKER]


def test_every_story_link_carries_utm(real) -> None:
    s, d, email = real
    links = story_links(email.html)
    # title + "Read more" for every story, plus the seed's teasers at least
    assert len(links) >= 2 * len(d.stories)
    for href, text in links:
        query = parse_qs(urlsplit(href).query)
        assert query.get("utm_source") == ["digest"], (href, text)
        assert query.get("utm_medium") == ["email"], href
        assert query.get("utm_campaign") == ["2026-11-28"], href
    for st in d.stories:  # each story's own URL is linked (title and Read more)
        linked = [h for h, _ in links if h.split("?")[0] == st.article.url.split("?")[0]]
        assert len(linked) >= 2, st.article.url


def test_utm_keeps_existing_query_and_utm_values() -> None:
    s = settings(utm_campaign="weekly")
    d = digest_of(
        story("Partner piece", "https://example.org/a?id=5&utm_source=partner#top"),
        story("Plain piece", "https://example.org/b"),
    )
    hrefs = {h for h, _ in story_links(render_email(d, s).html)}
    first = next(h for h in hrefs if "/a?" in h)
    pairs = parse_qsl(urlsplit(first).query)
    assert pairs.count(("utm_source", "partner")) == 1 and not [p for p in pairs if p == ("utm_source", "digest")]
    assert ("id", "5") in pairs and ("utm_medium", "email") in pairs and ("utm_campaign", "weekly") in pairs
    assert urlsplit(first).fragment == "top"
    second = next(h for h in hrefs if "/b?" in h)
    assert parse_qs(urlsplit(second).query)["utm_campaign"] == ["weekly"]


def test_hostile_source_content_never_reaches_the_email() -> None:
    s = settings()
    evil = Article(
        title='Big <script>alert("t")</script>news <img src=x onerror=alert(2)>',
        text='It starts <a href="javascript:alert(3)">here</a>. Then &lt;script&gt;alert(4)&lt;/script&gt; ends. '
        "<svg onload=alert(5)></svg>More text follows here.",
        source="evil",
        url="javascript:alert(6)",
        site='<b onmouseover="alert(7)">Evil site</b>',
        related=[
            Related('<img src=x onerror="alert(8)">Click me', "javascript:alert(9)"),
            Related("Data link", "data:text/html,<script>alert(10)</script>"),
            Related("Good link", "https://example.net/good"),
        ],
    )
    summary = Summary(lede=evil.text.split(". ")[0], key_points=['Point <iframe src="javascript:alert(11)"></iframe>'])
    other = story("Safe story", "https://example.com/safe")
    other.teasers = [Teaser(title="<script>x</script>Teaser", url="javascript:alert(12)")]
    d = digest_of(Story(article=evil, summary=summary), other)
    from digest.compose.teasers import attach_teasers

    attach_teasers(d.stories[:1], s)
    email = render_email(d, s)
    html, text = email.personalize("https://example.com/u?token=abc", '<img src=x onerror="alert(13)">Ana')
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "onmouseover", "javascript:", "<iframe", "<svg", "data:text"):
        assert bad not in lowered, bad
    for tag, attrs in scan(html).tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].startswith(("http://", "https://", "mailto:")), attrs[name]
    visible = " ".join(" ".join(scan(html).text).split())
    assert "Big news" in visible and "Evil site" in visible and "Good link" in visible and "Hi Ana," in visible
    assert "<script" not in text.lower() and "javascript:" not in text.lower()


def test_markers_survive_mjml_and_personalize() -> None:
    s = settings()
    email = render_email(digest_of(story("One", "https://example.com/1")), s)
    assert [h for h, _, _ in scan(email.html).links if h == UNSUBSCRIBE_MARKER]
    assert GREETING_MARKER in email.html and UNSUBSCRIBE_MARKER in email.text and GREETING_MARKER in email.text
    html, text = email.personalize("https://example.com/unsub?token=a1&list=daily", "Ana")
    assert UNSUBSCRIBE_MARKER not in html and GREETING_MARKER not in html
    assert "https://example.com/unsub?token=a1&list=daily" in [h for h, _, _ in scan(html).links]
    assert "Hi Ana," in html and "Hi Ana," in text
    assert "https://example.com/unsub?token=a1&list=daily" in text.splitlines()
    _, text2 = email.personalize("https://example.com/unsub?token=b2", None)
    assert "Hi," in text2.splitlines()


def test_text_part_has_every_story_wrapped_with_whole_links(real) -> None:
    s, d, email = real
    lines = email.text.splitlines()
    for line in lines:
        assert len(line) <= 78 or is_url_line(line), line
    flat = " ".join(email.text.split())
    url_lines = {line.strip() for line in lines if is_url_line(line)}
    for st in d.stories:
        assert plain_text(st.article.title) in flat
        assert plain_text(st.summary.lede) in flat
        for point in st.summary.key_points:
            assert plain_text(point) in flat
        full = [u for u in url_lines if u.startswith(st.article.url)]
        assert full and "utm_medium=email" in full[0]
        for teaser in st.teasers:  # a teaser that cannot be followed is not shown
            assert (plain_text(teaser.title) in flat) == bool(teaser.url), teaser
    assert UNSUBSCRIBE_MARKER in url_lines


def test_html_document_structure(real) -> None:
    s, d, email = real
    html = email.html
    assert html.lower().startswith("<!doctype html>")
    assert re.search(r'<html[^>]*\slang="en"', html)
    tags = scan(html).tags
    tables = [a for t, a in tags if t == "table"]
    assert tables and all(a.get("role") == "presentation" for a in tables)
    assert all("alt" in a for t, a in tags if t == "img")
    assert any(t == "meta" and a.get("name") == "color-scheme" and "dark" in a.get("content", "") for t, a in tags)
    assert "prefers-color-scheme: dark" in html
    assert "fonts.googleapis" not in html  # offline by design: no remote fonts
    # the preheader is the first story's lede, trimmed, hidden at the top of the body
    assert email.preheader and email.preheader.rstrip("…") in plain_text(d.stories[0].summary.lede)
    assert len(email.preheader) <= 110
    body = html.split("<body", 1)[1]
    assert body.index(email.preheader.replace("’", "’")[:40]) < body.index(plain_text(d.stories[0].article.title))
    assert email.subject == "The Daily Digest — 2026-11-28"
    assert "Saturday 28 November 2026" in html and "Saturday 28 November 2026" in email.text


def test_footer_view_in_browser_intro_and_subject_safety() -> None:
    from digest.config import with_overrides
    from digest.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[email\] subject: must be one line"):
        settings(subject="{title}\r\nBcc: victim@example.com {date}")
    s = settings(
        archive_url="https://news.example.com/digest/{date}.html",
        subject="{title} {date}",
        footer="Sent by {from_name} to readers who asked for it.",
    )

    s = with_overrides(s, "digest", intro="Good morning.\n\nHere is the news.")
    d = digest_of(story("One", "https://example.com/1"), intro=s.digest.intro)
    email = render_email(d, s)
    assert "\r" not in email.subject and "\n" not in email.subject
    hrefs = [h for h, _, _ in scan(email.html).links]
    assert "https://news.example.com/digest/2026-11-28.html" in hrefs
    assert "https://news.example.com/digest/2026-11-28.html" in email.text
    assert "Sent by The Daily Digest (example sender) to readers who asked for it." in email.html
    assert "Good morning." in email.html and "Here is the news." in email.text
    plain = render_email(d, settings())
    assert "View in your browser" not in plain.html and "View in your browser" not in plain.text


def test_size_guard_on_a_40_story_digest() -> None:
    s = settings()
    articles = [seed_article(s), *html_articles(), *cnndm_articles()][:40]
    d = make_digest(articles, s)
    assert len(d.stories) == 40 and any(st.teasers for st in d.stories)
    email = render_email(d, s)
    size = len(email.html.encode("utf-8"))
    assert size <= 100_000
    assert len(email.warnings) == 1 and "100,000-byte limit" in email.warnings[0]
    assert "More stories" in email.html and "More stories" in email.warnings[0]
    links = {h.split("?")[0] for h, _ in story_links(email.html)}
    for st in d.stories:  # nothing silently lost: every story is still linked from the HTML
        assert st.article.url.split("?")[0] in links
    flat = " ".join(email.text.split())
    assert all(plain_text(st.summary.lede) in flat for st in d.stories)  # the text part keeps everything
    # the same digest under a generous limit needs no guard
    roomy = render_email(d, settings(max_html_bytes=1_000_000))
    assert roomy.warnings == [] and "More stories" not in roomy.html


def test_size_guard_steps_stop_as_soon_as_it_fits() -> None:
    s = settings()
    articles = [seed_article(s), *html_articles(), *cnndm_articles()][:40]
    for n, article in enumerate(articles[1:], start=1):  # teasers with links: the ones an email shows
        article.related = [
            Related(f"Follow-up {n}.{i} on this story", f"https://example.com/more/{n}/{i}") for i in (1, 2)
        ]
    d = make_digest(articles, s)
    full = len(render_email(d, settings(max_html_bytes=1_000_000)).html.encode())
    no_teasers = make_digest(articles, s, teasers=False)
    bare = len(render_email(no_teasers, settings(max_html_bytes=1_000_000)).html.encode())
    limit = (full + bare) // 2 + 1_024  # teasers alone must go, nothing else
    email = render_email(d, settings(max_html_bytes=limit))
    assert "dropped related-story teasers" in email.warnings[0]
    assert "key points" not in email.warnings[0] and "More stories" not in email.html


def test_user_template_overrides_one_partial(tmp_path) -> None:
    user = tmp_path / "my-templates" / "email"
    user.mkdir(parents=True)
    (user / "_footer.mjml.j2").write_text(
        "<mj-section><mj-column><mj-text>Made by the Gazette night desk. "
        '<a href="{{ digest.unsubscribe_url }}">Leave</a></mj-text></mj-column></mj-section>\n',
        encoding="utf-8",
    )
    s = settings(templates_dir=str(tmp_path / "my-templates"))
    email = render_email(digest_of(story("Story kept from bundled", "https://example.com/1")), s)
    assert "Made by the Gazette night desk." in email.html
    assert "Story kept from bundled" in email.html  # the other partials still come from the bundle
    assert "You are receiving" not in email.html
    assert UNSUBSCRIBE_MARKER in [h for h, _, _ in scan(email.html).links]


UNDEFINED_ATTRIBUTE = "{% for story in stories %}\n<mj-section>\n<mj-column>\n<mj-text>{{ story.headline }}\n"
UNDEFINED_ATTRIBUTE += "</mj-text>\n{% endfor %}\n"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (UNDEFINED_ATTRIBUTE, 4, "headline"),
        ("{# mine #}\n{{ stories[0].title | shout }}\n", 2, "No filter named 'shout'"),
        ("{# mine #}\n\n<mj-section>\n{% for story in stories %}\n<mj-column>\n", 5, "endfor"),
    ],
)
def test_template_errors_name_file_and_line(tmp_path, content: str, line: int, fragment: str) -> None:
    user = tmp_path / "tpl" / "email"
    user.mkdir(parents=True)
    (user / "_stories.mjml.j2").write_text(content, encoding="utf-8")
    s = settings(templates_dir=str(tmp_path / "tpl"))
    with pytest.raises(TemplateError) as info:
        render_email(digest_of(story("One", "https://example.com/1")), s)
    message = str(info.value)
    assert f"_stories.mjml.j2:{line}:" in message and fragment in message
    assert "\n" not in message


def test_mjml_error_names_the_template(tmp_path) -> None:
    user = tmp_path / "tpl" / "email"
    user.mkdir(parents=True)
    (user / "_footer.mjml.j2").write_text('<mj-include path="missing.mjml" />\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"digest\.mjml\.j2: MJML error"):
        render_email(digest_of(story("One", "https://example.com/1")), settings(templates_dir=str(tmp_path / "tpl")))


def test_template_may_not_add_scripts(tmp_path) -> None:
    user = tmp_path / "tpl" / "email"
    user.mkdir(parents=True)
    (user / "_footer.mjml.j2").write_text(
        '<mj-section><mj-column><mj-text><a href="javascript:void(0)">x</a></mj-text></mj-column></mj-section>\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"_footer\.mjml\.j2:1: .*javascript:.*scripts are not allowed"):
        render_email(digest_of(story("One", "https://example.com/1")), settings(templates_dir=str(tmp_path / "tpl")))


def test_text_part_rewrapped_even_when_a_user_template_does_not_wrap(tmp_path) -> None:
    user = tmp_path / "tpl" / "email"
    user.mkdir(parents=True)
    (user / "_stories.txt.j2").write_text(
        "{% for story in stories %}\n  * {{ story.lede }} {{ story.url }}\n{% endfor %}\n", encoding="utf-8"
    )
    lede = "A long lede " * 20
    email = render_email(
        digest_of(story("One", "https://example.com/" + "x" * 90, text=lede.strip() + ". Second sentence.")),
        settings(templates_dir=str(tmp_path / "tpl")),
    )
    lines = email.text.splitlines()
    assert all(len(line) <= 78 or is_url_line(line) for line in lines)
    bullet = [line for line in lines if line.startswith("  * A long lede")]
    assert bullet and all(
        line.startswith("    ") for line in lines[lines.index(bullet[0]) + 1 : lines.index(bullet[0]) + 3]
    )
    assert any(line.strip().startswith("https://example.com/xxx") and "utm_medium=email" in line for line in lines)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("vbscript:msgbox(1)", None),
        ('https://example.com/"><script>', None),
        ("//example.com/protocol-relative", None),
        ("https:///no-host", None),
        ("ftp://example.com/file", None),
    ],
)
def test_only_http_and_mailto_links_survive(url: str, expected: str | None) -> None:
    from digest.sanitize import safe_url

    assert safe_url(url) == expected
