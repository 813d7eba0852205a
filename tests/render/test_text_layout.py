"""The Python text layout must give exactly what the bundled text templates give, once tidied."""

from __future__ import annotations

import pytest
from tests.support.digests import DAY, real_digest, settings

from digest.models import Article, Digest, Story, Summary, Teaser
from digest.render import text_layout
from digest.render.email import TEXT_TEMPLATE, build_view, environment, render_email, renderer
from digest.render.plaintext import enforce_width

LONG_WORD = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"


def _edge_digest() -> Digest:
    def st(title: str, url: str | None, site: str | None, lede: str, points: list[str], teasers: list[Teaser]) -> Story:
        article = Article(title=title, text=lede, source="t", url=url, site=site)
        return Story(article=article, summary=Summary(lede=lede, key_points=points), teasers=teasers)

    long_url = "https://example.com/" + "a-very-long-path-segment/" * 4 + "?q=1&r=2"
    stories = [
        st(
            "A title long enough to need wrapping after its number in the text part, surely",
            long_url,
            "Example &amp; Co",
            "Lede " * 40,
            ["Point " * 20, LONG_WORD + " tail", ""],
            [
                Teaser("Teaser with a link that is long enough to wrap past the line width here", "https://e.com/t"),
                Teaser("Teaser whose link was unsafe", None),
            ],
        ),
        st(LONG_WORD + " " + LONG_WORD, None, None, "", [], []),
        st("Short", "mailto:desk@example.com", "S" * 90, "One line.", ["Only point."], []),
        st("Site", "https://e.com/s", "The Example Gazette and Evening Standard " * 3, "x", [], []),
        st("<b>Marked</b> up &lt;title&gt;", "javascript:alert(1)", None, "x", [], [Teaser("t", "https://e.com/x")]),
    ]
    return Digest(
        title="10. The Daily Digest: a title that is rather long for one line of text here, is it not",
        date=DAY,
        stories=stories,
        intro="First paragraph " * 9 + "\n\n" + "Second.",
        edition="42",
    )


@pytest.mark.parametrize(
    "email",
    [
        {},
        {"archive_url": "https://news.example.com/digest/{date}.html", "footer": "Line one " * 12 + "\n\nLine two."},
    ],
)
def test_layout_matches_the_bundled_templates(email: dict) -> None:
    s = settings(**email)
    assert renderer(s).bundled_text
    for digest in (real_digest(s), _edge_digest()):
        view = build_view(digest, s)
        jinja = (
            environment(s)
            .get_template(TEXT_TEMPLATE)
            .render(digest=view, stories=view.stories, more_stories=view.more_stories)
        )
        assert text_layout.render_text(view) == enforce_width(jinja)


def test_any_text_template_override_goes_through_jinja(tmp_path) -> None:
    for name in text_layout.TEMPLATES:
        folder = tmp_path / name.replace("/", "_")
        (folder / "email").mkdir(parents=True)
        (folder / name).write_text("{# mine #}\nCUSTOM {{ digest.title }}\n", encoding="utf-8")
        s = settings(templates_dir=str(folder))
        assert not renderer(s).bundled_text
        assert "CUSTOM 10. The Daily Digest" in render_email(_edge_digest(), s).text


def test_a_verbatim_copy_of_the_templates_keeps_the_fast_layout(tmp_path) -> None:
    import shutil

    from digest.resources import default_templates_dir

    shutil.copytree(default_templates_dir(), tmp_path / "templates")
    s = settings(templates_dir=str(tmp_path / "templates"))
    assert renderer(s).bundled_text
    assert render_email(_edge_digest(), s).text == render_email(_edge_digest(), settings()).text
    shutil.copytree(default_templates_dir(), tmp_path / "edited")  # (renderers are cached per settings)
    stories = tmp_path / "edited" / "email" / "_stories.txt.j2"
    stories.write_text(stories.read_text(encoding="utf-8").replace("Read more: ", "Continue: "), encoding="utf-8")
    edited = settings(templates_dir=str(tmp_path / "edited"))
    assert not renderer(edited).bundled_text
    assert "Continue:" in render_email(_edge_digest(), edited).text
