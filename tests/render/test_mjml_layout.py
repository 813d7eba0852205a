"""The Python story blocks must give exactly what the bundled MJML partials give."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from tests.render.test_text_layout import _edge_digest
from tests.support.digests import cnndm_articles, make_digest, real_digest, settings

from digest.models import Digest, Image
from digest.render import mjml_layout
from digest.render.email import build_view, render_email, render_mjml, renderer
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
