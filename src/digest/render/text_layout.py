"""The bundled text-part layout (``templates/email/*.txt.j2``) written out in Python.

Jinja spends about as long stepping through the three text templates as the wrapping itself
takes (~700 small chunks per 20-story digest), so when none of them is overridden the text
part is built here instead, with the same ``wrap`` and ``rule``. The output is the templates'
output, character for character: ``tests/render/test_text_layout.py`` renders both ways and
compares, so an edit to the bundled text templates must be mirrored here. A user's own
``digest.txt.j2``, ``_stories.txt.j2`` or ``_footer.txt.j2`` always goes through Jinja.
"""

from __future__ import annotations

from collections.abc import Callable

from digest.render.plaintext import rule, squeeze_blank_lines, tidy_line, wrap
from digest.render.view import DigestView

TEMPLATES = ("email/digest.txt.j2", "email/_stories.txt.j2", "email/_footer.txt.j2")


def render_text(digest: DigestView) -> str:
    """What ``enforce_width`` makes of what ``digest.txt.j2`` renders for ``digest``.

    Lines that come out of ``wrap`` are already tidy (see ``tidy_line``), so only the others
    (title, site names, bare links) are tidied here, rather than scanning all ~700 lines again.
    """
    out = [tidy_line(digest.title.upper()), "\n", tidy_line(digest.date_display), "\n"]
    add = out.append
    if digest.view_in_browser:
        out += ("View in your browser:\n", tidy_line(digest.view_in_browser), "\n")
    out += ("\n", tidy_line(digest.greeting), "\n")
    if digest.intro:
        for paragraph in digest.intro.split("\n\n"):
            out += ("\n", wrap(paragraph), "\n")
    add("\n")
    _stories(digest, add)
    _footer(digest, out)
    return squeeze_blank_lines("".join(out))


def _stories(digest: DigestView, add: Callable[[str], None]) -> None:
    """``_stories.txt.j2``."""
    line = rule("=") + "\n"
    for story in digest.stories:
        if story.section_start and story.section:
            add("\n")
            add(tidy_line(story.section.upper()))
            add("\n")
        add(line)
        add(wrap(f"{story.number}. {story.title}", indent="    ", first=""))
        add("\n")
        if story.site:
            add(tidy_line(f"    {story.site}"))
            add("\n")
        add("\n")
        if story.lede:
            add(wrap(story.lede, indent="    "))
            add("\n\n")
        for point, link in story.points():
            add(wrap(point, indent="      ", first="    * "))
            add("\n")
            if link:
                add(f"      {link}\n")
        if story.key_points:
            add("\n")
        if story.url:
            add(wrap("Read more: " + story.url, indent="    "))
            add("\n\n")
        for group in story.teaser_groups:
            add(tidy_line(f"    {group.heading}:"))
            add("\n")
            for teaser in group.links:
                add(wrap(teaser.title, indent="      ", first="    - "))
                add("\n")
                add(f"      {teaser.url}\n")  # a checked link has no whitespace: tidy as it is
            add("\n")


def _footer(digest: DigestView, out: list[str]) -> None:
    """``_footer.txt.j2``."""
    out += (rule("-"), "\n")
    for paragraph in digest.footer.split("\n\n"):
        out += (wrap(paragraph), "\n\n")
    out += ("Unsubscribe:\n", tidy_line(digest.unsubscribe_url), "\n")
    if digest.view_in_browser:
        out += ("\nView in your browser:\n", tidy_line(digest.view_in_browser), "\n")
