"""The Python story blocks must give exactly what the bundled MJML partials give."""

from __future__ import annotations

import dataclasses
import re
import shutil

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from tests.render.test_text_layout import _edge_digest
from tests.support.digests import cnndm_articles, make_digest, real_digest, settings

from digest.models import Article, Digest, Image, Related, Story, Summary, Teaser
from digest.render import mjml_layout
from digest.render.email import build_view, mjml_to_html, render_email, render_html, render_mjml, renderer
from digest.render.view import DigestView, LinkView
from digest.resources import default_templates_dir


def _editorial(s) -> Digest:  # type: ignore[no-untyped-def]
    d = real_digest(s)
    for n, story in enumerate(d.stories):
        if n % 3:
            story.article.image = Image(f'https://cdn.example.org/{n}.jpg?w=600&h=400&s="x"', alt=f"Alt <{n}> & 'q'")
        story.section = ["World", "World", "Local & more", None][n % 4]
    return d


def _views(s) -> list[DigestView]:  # type: ignore[no-untyped-def]
    views = [build_view(d, s) for d in (real_digest(s), _edge_digest(), _editorial(s))]
    views.append(build_view(make_digest(cnndm_articles()[:3], s), s))
    edge = views[1]
    more = [LinkView("Listed & linked", "https://e.com/m?a=1&b=2", "Site <x>"), LinkView("Listed, no link", None)]
    views.append(dataclasses.replace(edge, more_stories=more, omitted=1))
    views.append(dataclasses.replace(edge, more_stories=more, omitted=3, view_in_browser=None))
    views.append(dataclasses.replace(edge, stories=[]))
    return views


@pytest.mark.parametrize("images", ["thumbnails", "hero", "none"])
def test_layout_matches_the_bundled_partials(images: str) -> None:
    s = settings(images=images, archive_url="https://news.example.com/{date}/")
    fast = renderer(s)
    jinja = dataclasses.replace(fast, bundled_stories=False)
    assert fast.bundled_stories
    for view in _views(s):
        assert render_mjml(s, view, fast) == render_mjml(s, view, jinja), view.title
        for marking in (False, True):
            context = {"digest": view, "stories": view.stories, "marking": marking}
            stories = fast.env.get_template("email/_stories.mjml.j2").render(more_stories=[], **context)
            assert mjml_layout.stories_mjml(view.stories, marking) == stories
            for links in ([], view.more_stories, [x.as_link() for x in view.stories] + view.more_stories):
                more = fast.env.get_template("email/_more.mjml.j2").render(more_stories=links, **context)
                assert mjml_layout.more_mjml(view, links, marking) == more, (view.title, marking, len(links))


def test_an_override_of_either_partial_goes_through_jinja(tmp_path) -> None:
    for name in mjml_layout.TEMPLATES:
        folder = tmp_path / name.replace("/", "_")
        shutil.copytree(default_templates_dir(), folder)
        path = folder / name
        path.write_text(
            path.read_text(encoding="utf-8").replace("More stories<", "Elsewhere<").replace("Read more<", "Continue<"),
            encoding="utf-8",
        )
        s = settings(templates_dir=str(folder), max_html_bytes=40_000)  # some stories listed by title
        assert not renderer(s).bundled_stories
        html = render_email(real_digest(s), s).html
        assert ("Continue<" in html) if "_stories" in name else ("Elsewhere<" in html)


def _whole(s, view, prepared, marking: bool) -> str:  # type: ignore[no-untyped-def]
    """The HTML of compiling the full MJML, story blocks and all."""
    return mjml_to_html(render_mjml(s, view, prepared, marking), s, prepared)


@pytest.mark.parametrize("images", ["thumbnails", "hero", "none"])
def test_compiling_without_the_story_bodies_gives_the_same_html(images: str) -> None:
    s = settings(images=images, archive_url="https://news.example.com/{date}/")
    prepared = renderer(s)
    for view in _views(s):
        for marking in (False, True):
            bodies: list[str] = []
            skeleton = render_mjml(s, view, prepared, marking, bodies)
            assert skeleton.count(mjml_layout.BODY) == len(bodies)
            assert len(bodies) >= len(view.stories) + (1 if marking or view.more_stories else 0)
            assert render_html(view, s, prepared, marking) == _whole(s, view, prepared, marking), (view.title, marking)


def test_a_main_template_that_repeats_or_drops_the_stories_is_compiled_whole(tmp_path) -> None:
    bundled = settings()
    view = build_view(real_digest(bundled), bundled)
    heading = f'style="color:#111827;text-decoration:none">{view.stories[0].title}</a>'
    assert render_html(view, bundled).count(heading) == 1
    for change, times in (("{{ prebuilt_stories }}{{ prebuilt_stories }}{% endif %}", 2), ("{% endif %}", 0)):
        folder = tmp_path / str(times)
        shutil.copytree(default_templates_dir(), folder)
        path = folder / "email" / "digest.mjml.j2"
        source = path.read_text(encoding="utf-8")
        assert "{{ prebuilt_stories }}{% endif %}" in source
        path.write_text(source.replace("{{ prebuilt_stories }}{% endif %}", change), encoding="utf-8")
        s = settings(templates_dir=str(folder))
        prepared = renderer(s)
        assert prepared.bundled_stories
        html = render_html(view, s, prepared)
        assert html == _whole(s, view, prepared, False)
        assert mjml_layout.BODY not in html
        assert html.count(heading) == times


# Text that stresses the pass-through: markup, entities, quotes, line breaks, indentation,
# non-ASCII, and the token itself.
_PIECES = st.sampled_from(
    [
        "<i data-dg-body></i>",
        "&amp;",
        "&#39;",
        "<",
        ">",
        '"',
        "'",
        "\n",
        "\n   ",
        "  ",
        "\t",
        "é",
        "東京",
        "👋🏽",
        "\u00a0",
    ]
)
_TEXT = st.lists(
    st.one_of(_PIECES, st.text(st.characters(blacklist_characters="\\"), min_size=1, max_size=8)), max_size=12
).map("".join)
_URL = st.one_of(st.none(), _TEXT.map(lambda t: "https://example.com/a?b=" + t))


@st.composite
def _digests(draw: st.DrawFn) -> Digest:
    stories = []
    for n in range(draw(st.integers(1, 3))):
        article = Article(
            title=draw(_TEXT),
            text=draw(_TEXT),
            source="t",
            url=draw(_URL),
            site=draw(st.one_of(st.none(), _TEXT)),
            author=draw(st.one_of(st.none(), _TEXT)),
            related=[Related(draw(_TEXT), draw(_URL) or "") for _ in range(draw(st.integers(0, 2)))],
        )
        if draw(st.booleans()):
            article.image = Image(f"https://cdn.example.com/{n}.jpg?x=" + draw(_TEXT), alt=draw(_TEXT))
        summary = Summary(lede=draw(_TEXT), key_points=draw(st.lists(_TEXT, max_size=4)))
        teasers = [Teaser(draw(_TEXT), draw(_URL)) for _ in range(draw(st.integers(0, 2)))]
        story = Story(article=article, summary=summary, teasers=teasers)
        story.section = draw(st.one_of(st.none(), _TEXT))
        stories.append(story)
    from datetime import date

    return Digest(title=draw(_TEXT), date=date(2026, 12, 4), stories=stories, intro=draw(_TEXT))


_PROPERTY_SETTINGS = settings(images="thumbnails")


_ATTRIBUTE = re.compile(r'="[^"]*"')
_DEBUG_ESCAPE = re.compile(r"\\u\{([0-9a-f]+)\}|\\(.)")


def _unescaped_attributes(html: str) -> str:
    """MRML writes the attribute values of markup it passes through with Rust's debug escapes
    (a combining accent in an ``alt`` becomes ``\\u{301}``, a backslash two): undone here."""

    def unescape(value: re.Match[str]) -> str:
        return _DEBUG_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[2], value[0])

    return _ATTRIBUTE.sub(unescape, html)


@hsettings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_digests(), st.booleans())
def test_any_text_compiles_the_same_without_the_bodies(digest: Digest, marking: bool) -> None:
    s = _PROPERTY_SETTINGS
    prepared = renderer(s)
    view = build_view(digest, s)
    ours = render_html(view, s, prepared, marking)
    # Both sides unescaped: the parts MRML compiles in both ways (the header's) carry the same
    # escapes; the text has no backslash of its own (tested apart) for the escapes to hide.
    assert _unescaped_attributes(ours) == _unescaped_attributes(_whole(s, view, prepared, marking))
    assert ours.count("\\u{") == _whole(s, dataclasses.replace(view, stories=[]), prepared, marking).count("\\u{")


def test_attribute_text_reaches_the_email_as_written() -> None:
    """Where the whole compile would garble it: an image's alt text with combining accents and
    a backslash."""
    s = settings(images="hero")
    d = real_digest(s)
    alt = "Cafe\u0301 terrace \\ Ko\u0308ln at dusk"
    d.stories[0].article.image = Image("https://cdn.example.org/cafe.jpg", alt=alt)
    html = render_email(d, s).html
    assert f'alt="{alt}"' in html
    assert "\\u{" not in html
    assert f'alt="{alt}"' not in _whole(s, build_view(d, s), renderer(s), False)  # what MRML alone gives
