"""The clipping guard's one-compile fitting must give what re-rendering the shrunk edition gives."""

from __future__ import annotations

import re
import shutil

import pytest
from tests.render.test_mjml_layout import _editorial
from tests.support.digests import cnndm_articles, html_articles, make_digest, real_digest, seed_article, settings

from digest.models import Digest, Related
from digest.render.email import (
    build_view,
    marked_render,
    more_entries,
    render_email,
    render_html,
    render_segments,
    renderer,
)
from digest.render.size import fit_html, html_bytes
from digest.render.splice import Choice, Pieces
from digest.resources import default_templates_dir

_COLUMN_CSS = re.compile(r"(?:\.moz-text-html )?\.mj-column-per-(\d+) \{[^}]*\} ?")


def _without_unused_column_css(html: str) -> str:
    """MRML writes a column width's CSS into the head; splicing keeps it when the last story
    that used it moved to the title list (harmless, and the size counts it)."""
    body = html[html.index("<body") :]
    used = set(re.findall(r"mj-column-per-(\d+)", body))
    head = _COLUMN_CSS.sub(lambda m: m.group(0) if m.group(1) in used else "", html[: html.index("<body")])
    return head + body


def _forty(s) -> Digest:  # type: ignore[no-untyped-def]
    articles = [seed_article(s), *html_articles(), *cnndm_articles()][:40]
    for n, article in enumerate(articles[1:], start=1):
        article.related = [
            Related(f"Follow-up {n}.{i} on this story", f"https://example.com/more/{n}/{i}") for i in (1, 2)
        ]
        if n % 5 == 0:
            article.title += " — café, naïve = résumé"  # 8-bit bytes and "=" take three bytes each
    return make_digest(articles, s)


@pytest.mark.parametrize("edition", ["real", "editorial", "forty"])
def test_splicing_gives_what_re_rendering_gives(edition: str) -> None:
    s = settings()
    prepared = renderer(s)
    assert prepared.marks
    digest = {"real": real_digest, "editorial": _editorial, "forty": _forty}[edition](s)
    view = build_view(digest, s)
    whole = html_bytes(render_html(view, s, prepared))
    outcomes = set()
    for limit in sorted({whole + 2_000, whole, *range(12_000, whole, max(1, (whole - 12_000) // 9))}):
        spliced, spliced_warnings = fit_html(
            view,
            lambda v: render_html(v, s, prepared),
            limit,
            marked=lambda v: marked_render(v, s, prepared),
        )
        rendered, rendered_warnings = fit_html(view, lambda v: render_html(v, s, prepared), limit)
        assert _without_unused_column_css(spliced) == _without_unused_column_css(rendered), limit
        assert [re.sub(r"now [\d,]+ bytes", "", w) for w in spliced_warnings] == [
            re.sub(r"now [\d,]+ bytes", "", w) for w in rendered_warnings
        ]
        if spliced_warnings:  # the size reported is the size of the HTML actually kept
            assert f"now {html_bytes(spliced):,} bytes" in spliced_warnings[0]
            outcomes.add(spliced_warnings[0].split(": ", 1)[1].split("; now")[0].split(";")[-1].strip()[:12])
        else:
            outcomes.add("fits")
        assert "data-dg-cut" not in spliced
    assert len(outcomes) >= 3  # the limits reached several different steps


def test_every_choice_is_measured_exactly() -> None:
    s = settings()
    prepared = renderer(s)
    view = build_view(_forty(s), s)
    n, marked = len(view.stories), render_html(view, s, prepared, marking=True)
    assert prepared.clean  # no control characters anywhere: the quick count applies
    pieces = Pieces.cut([marked], n, n, set(), more_entries(view, prepared), controls=False)
    assert pieces is not None
    segments = render_segments(view, s, prepared, marking=True)  # what the guard is given
    assert len(segments) > 2 * n and "".join(segments) == marked
    in_segments = Pieces.cut(segments, n, n, set(), more_entries(view, prepared), controls=False)
    assert in_segments is not None and (in_segments.texts, in_segments.sizes) == (pieces.texts, pieces.sizes)
    assert Pieces.cut([marked], n, n, set()) is None  # the bundled partials leave the entries out
    for teasers in (True, False):
        for points in (True, False):
            for full in range(0, len(view.stories) + 1, 3):
                choice = Choice(teasers, points, full)
                assert pieces.size(choice) == html_bytes(pieces.html(choice))


def test_templates_without_splice_points_are_fitted_by_re_rendering(tmp_path) -> None:
    shutil.copytree(default_templates_dir(), tmp_path / "templates")
    stories = tmp_path / "templates" / "email" / "_stories.mjml.j2"
    source = stories.read_text(encoding="utf-8")
    teasers_mark = re.compile(r"\{% if marking %\}\n<i data-dg-cut=\"t[^\n]*\n\{% endif %\}\n")
    stories.write_text(teasers_mark.sub("", source), encoding="utf-8")
    s = settings(templates_dir=str(tmp_path / "templates"), max_html_bytes=60_000)
    assert renderer(s).marks and not renderer(s).bundled_stories  # marks left, but one is missing
    email = render_email(_forty(settings()), s)
    assert html_bytes(email.html) <= 60_000 - 1_024 and "dropped related-story teasers" in email.warnings[0]
    stories.write_text(source.replace("data-dg-cut", "data-x"), encoding="utf-8")
    s = settings(templates_dir=str(tmp_path / "templates"), max_html_bytes=59_000)
    assert not renderer(s).marks
    again = render_email(_forty(settings()), s)
    assert html_bytes(again.html) <= 59_000 - 1_024 and "data-x" not in again.html


def test_a_source_cannot_forge_a_splice_point() -> None:
    s = settings(max_html_bytes=60_000)
    digest = _forty(s)
    digest.stories[0].article.title = 'Forged <i data-dg-cut="s3"></i> and <i data-dg-cut="M-end"></i> twice'
    digest.stories[1].article.title = 'Also i data-dg-cut="s2" as text'
    email = render_email(digest, s)
    assert "Forged and twice" in email.html and "i data-dg-cut=&#34;s2&#34; as text" in email.html
    assert "data-dg-cut" not in email.html.replace("i data-dg-cut=&#34;s2&#34;", "")
    assert html_bytes(email.html) <= 60_000 - 1_024
    assert email.html == fit_html(build_view(digest, s), lambda v: render_html(v, s), 60_000)[0]


def test_control_characters_from_a_source_never_reach_the_html() -> None:
    """The guard counts the HTML as free of control characters: every value must be made so."""
    from digest.models import Image, Teaser

    s = settings(max_html_bytes=40_000)
    digest = _forty(s)
    bad = "\x01\x0b\x0c\r\x7f\x1b\x80\x9f\ud800\ufffe"  # C0, C1, a lone surrogate, a noncharacter
    digest.intro = f"In{bad}tro"
    for story in digest.stories[:6]:
        story.article.title += f" ti{bad}tle"
        story.article.site = f"Si{bad}te"
        story.summary.lede += f" le{bad}de"
        story.summary.key_points = [p + f" po{bad}int" for p in story.summary.key_points]
        story.article.image = Image(f"https://cdn.example.org/a{bad[0]}b.jpg", alt=f"a{bad}lt")
        story.teasers = [Teaser(f"Te{bad}aser", "https://example.org/t", "page", label=f"More{bad} from X")]
    email = render_email(digest, s)  # a surrogate used to stop the render (MRML cannot encode it)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe]", email.html + email.text)
    assert "In tro" in email.html and "ti tle" in email.html  # the whitespace among them is a space
    assert email.warnings and f"now {html_bytes(email.html):,} bytes" in email.warnings[0]
    assert "https://cdn.example.org/a" not in email.html  # an image URL with a control character is refused


def test_an_older_copy_of_the_main_template_still_renders_the_same(tmp_path) -> None:
    """A copy of ``digest.mjml.j2`` made before the partials were handed over ready-made only
    includes them: the stories then go through Jinja and the guard re-renders, same email."""
    shutil.copytree(default_templates_dir(), tmp_path / "templates")
    main = tmp_path / "templates" / "email" / "digest.mjml.j2"
    source = main.read_text(encoding="utf-8")
    older = re.sub(
        r"\{% if prebuilt_stories is none %\}\n(.*?)\{% else %\}\n\{\{ prebuilt_stories \}\}\{% endif %\}\n"
        r"\{% if more_stories or marking %\}\n\{% if prebuilt_more is none %\}\n(.*?)\{% else %\}\n"
        r"\{\{ prebuilt_more \}\}\{% endif %\}\n",
        r"\1{% if more_stories %}\n\2",
        source,
        flags=re.S,
    )
    assert older != source and "prebuilt" not in older
    main.write_text(older, encoding="utf-8")
    for limit in (100_000, 40_000):
        bundled, mine = (
            settings(max_html_bytes=limit),
            settings(templates_dir=str(tmp_path / "templates"), max_html_bytes=limit),
        )
        assert renderer(mine).bundled_stories and renderer(mine).marks
        ours, theirs = render_email(_forty(bundled), bundled), render_email(_forty(mine), mine)
        assert _without_unused_column_css(theirs.html) == _without_unused_column_css(ours.html), limit
        assert theirs.warnings == ours.warnings and theirs.text == ours.text
