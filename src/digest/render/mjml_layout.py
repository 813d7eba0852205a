"""The bundled story blocks (``templates/email/_stories.mjml.j2`` and ``_more.mjml.j2``)
written out in Python.

Jinja takes about as long to step through twenty story blocks as MRML takes to compile the
whole email, so when neither partial is overridden the blocks are built here and handed to
``digest.mjml.j2`` ready-made (``prebuilt_stories``, ``prebuilt_more``). The output is the
templates' output, character for character: ``tests/render/test_mjml_layout.py`` renders both
ways and compares, so an edit to those two templates must be mirrored here. A user's own copy
of either always goes through Jinja.

MRML passes the content of an ``mj-text`` through, after dropping whitespace-only text that
has a line break, yet parsing those story bodies is most of its work. So, given a ``bodies``
list, the builders leave a ``BODY`` token inside each story's ``mj-text`` and put the content,
as MRML would write it, into the list: compiling the much smaller MJML and putting the bodies
back in gives the same HTML (``render.email.render_segments``; the tests compare both ways).
The one difference is for the better: MRML writes characters such as a combining accent or a
backslash in an attribute value with Rust's escapes (``\\u{301}``); the bodies keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup

from digest.render.view import DigestView, LinkView, StoryView

TEMPLATES = ("email/_stories.mjml.j2", "email/_more.mjml.j2")
BODY = "<i data-dg-body></i>"  # as MRML writes it back: no template or escaped value makes it

_SECTION = (
    '    <mj-section css-class="dg-page" background-color="#eef0f3" padding="22px 0 8px">\n'
    "      <mj-column>\n"
    '        <mj-text css-class="dg-text"><h2 class="dg-section" style="margin:0;font-size:14px;'
    'letter-spacing:.08em;text-transform:uppercase;color:#374151">{}</h2></mj-text>\n'
    "      </mj-column>\n"
    "    </mj-section>\n"
)
_CARD = (
    '    <mj-section css-class="dg-card" background-color="#ffffff" border-top="1px solid #dde1e6" padding="20px 0">\n'
)
_TEXT_OPEN, _TEXT_CLOSE = '        <mj-text css-class="dg-text">\n', "        </mj-text>\n"
_IMAGE_STYLE = (
    "display:block;width:100%;max-width:{}px;height:auto;border:0;outline:none;text-decoration:none;"
    "font-size:13px;line-height:1.3;color:#5f6b7a;background-color:#e8ebef"
)

# The lines inside a block's mj-text, without their indentation and line end: MRML drops that
# whitespace, so the bodies are these lines joined (see ``_Lines``).
_SITE = (
    '<p class="dg-muted" style="margin:0 0 4px;font-size:12px;letter-spacing:.06em;'
    'text-transform:uppercase;color:#5f6b7a">{}</p>'
)
_LEDE = '<p style="margin:0 0 12px">{}</p>'
_HEADING = '<h2 style="margin:0 0 10px;font-size:21px;line-height:1.3">{}</h2>'
_TITLE_LINK = '<a class="dg-title" href="{}" style="color:#111827;text-decoration:none">{}</a>'
_TITLE = '<span class="dg-title" style="color:#111827">{}</span>'
_POINTS = '<ul style="margin:0 0 12px;padding-left:22px">'
_POINT = '<li style="margin:0 0 6px">{}</li>'
_POINT_LINK = (
    '<li style="margin:0 0 6px"><a class="dg-point" href="{}" title="See this sentence in the article" '
    'style="color:inherit;text-decoration:underline;text-decoration-color:#9aa5b1">{}</a></li>'
)
_END_LIST = "</ul>"
_READ_MORE = (
    '<p style="margin:0"><a class="dg-link" href="{}" '
    'style="color:#1a56db;font-weight:bold;text-decoration:underline">Read more</a></p>'
)
_GROUP = '<p class="dg-muted" style="margin:16px 0 4px;font-size:13px;font-weight:bold;color:#5f6b7a">{}</p>'
_TEASERS = '<ul style="margin:0;padding-left:22px;font-size:15px">'
_TEASER = '<li style="margin:0 0 4px"><a class="dg-link" href="{}" style="color:#1a56db">{}</a></li>'
_INDENT = {"<li": " " * 12, "<i ": ""}  # else 10 spaces: how deep each line sits in the partials


def _e(value: object) -> str:
    """Jinja's autoescape (markupsafe) for a plain value, without building a Markup per value."""
    text = str(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def _mark(key: str, block: bool = False) -> str:
    element = f'<i data-dg-cut="{key}"></i>'
    return f"<mj-raw>{element}</mj-raw>\n" if block else element


class _Lines:
    """The lines of one mj-text: as MJML, indented one per line as the partials write them;
    as a body, bare (what MRML would make of them)."""

    def __init__(self, bodies: list[str] | None) -> None:
        self.lines: list[str] = []
        self.bodies = bodies
        self.put: Callable[[str], None] = self._indented if bodies is None else self.lines.append

    def _indented(self, line: str) -> None:
        self.lines.append(f"{_INDENT.get(line[:3], '          ')}{line}\n")

    def close(self, out: list[str]) -> None:
        if self.bodies is None:
            out += (_TEXT_OPEN, *self.lines, _TEXT_CLOSE)
        else:
            out.append(f"{_TEXT_OPEN[:-1]}{BODY}</mj-text>\n")
            self.bodies.append("".join(self.lines))


def stories_mjml(stories: Sequence[StoryView], marking: bool, bodies: list[str] | None = None) -> Markup:
    """What ``_stories.mjml.j2`` renders for ``stories`` (``bodies``: see the module docstring)."""
    out: list[str] = []
    add = out.append
    for story in stories:
        n = story.number
        if marking:
            add(_mark(f"s{n}", block=True))
        if story.section_start:
            add(_SECTION.format(_e(story.section)))
        add(_CARD)
        image = story.image
        thumbnail = image is not None and story.image_style == "thumbnail"
        add('      <mj-column width="33%" vertical-align="top">\n' if thumbnail else "      <mj-column>\n")
        url = _e(story.url) if story.url else ""
        if image:
            padding = "4px 0 12px 24px" if thumbnail else "0 24px 16px"
            img = (
                f'<img src="{_e(image.url)}" alt="{_e(image.alt)}" width="{_e(image.width)}" '
                f'height="{_e(image.height)}" style="{_IMAGE_STYLE.format(_e(image.width))}" />'
            )
            if url:
                img = f'<a href="{url}" style="text-decoration:none">{img}</a>'
            if bodies is not None:
                bodies.append(img)
                img = BODY
            add(f'        <mj-text css-class="dg-image" padding="{padding}">{img}</mj-text>\n')
        if thumbnail:
            add('      </mj-column>\n      <mj-column width="67%" vertical-align="top">\n')
        lines = _Lines(bodies)
        put = lines.put
        if story.site:
            put(_SITE.format(_e(story.site)))
        title = _e(story.title)
        put(_HEADING.format(_TITLE_LINK.format(url, title) if url else _TITLE.format(title)))
        if story.lede:
            put(_LEDE.format(_e(story.lede)))
        if story.key_points:
            put(_POINTS)
            for index, (point, link) in enumerate(story.points(), start=1):
                if marking and index == 3:
                    put(_mark(f"p{n}"))
                put(_POINT_LINK.format(_e(link), _e(point)) if link else _POINT.format(_e(point)))
            if marking:
                put(_mark(f"q{n}"))
            put(_END_LIST)
        if url:
            put(_READ_MORE.format(url))
        if marking:
            put(_mark(f"t{n}"))
        for group in story.teaser_groups:
            put(_GROUP.format(_e(group.heading)))
            put(_TEASERS)
            for teaser in group.links:
                put(_TEASER.format(_e(teaser.url), _e(teaser.title)))
            put(_END_LIST)
        if marking:
            put(_mark(f"e{n}"))
        lines.close(out)
        add("      </mj-column>\n    </mj-section>\n")
    if marking:
        add(_mark("s-end", block=True))
    return Markup("".join(out))


_MORE_OPEN = (
    '    <mj-section css-class="dg-card" background-color="#ffffff" border-top="1px solid #dde1e6" padding="20px 0">\n'
    "      <mj-column>\n"
)
_MORE_HEADING = '<h2 style="margin:0 0 8px;font-size:19px">More stories</h2>'
_MORE_LIST = '<ul style="margin:0;padding-left:22px">'
_MORE_SITE = ' <span class="dg-muted" style="color:#5f6b7a;font-size:13px">({})</span>'
_OMITTED = '<p class="dg-muted" style="margin:8px 0 0;font-size:13px;color:#5f6b7a">…and {} more {}{}.</p>'
_WEB = ' in the <a class="dg-link" href="{}" style="color:#1a56db">web version</a>'


def more_entry(link: LinkView) -> str:
    """One "More stories" entry, the ``<li>`` as ``_more.mjml.j2`` writes it: MRML passes
    ``mj-text`` markup through as it is, so this is also its HTML (the size guard adds the
    entries of stories it moves without compiling them)."""
    title = _e(link.title)
    item = f'<a class="dg-link" href="{_e(link.url)}" style="color:#1a56db">{title}</a>' if link.url else title
    if link.site:
        item += _MORE_SITE.format(_e(link.site))
    return f'<li style="margin:0 0 6px">{item}</li>'


def more_mjml(digest: DigestView, links: Sequence[LinkView], marking: bool, bodies: list[str] | None = None) -> Markup:
    """What ``_more.mjml.j2`` renders for ``links`` (the "More stories" list)."""
    out: list[str] = []
    if marking:
        out.append(_mark("M", block=True))
    out.append(_MORE_OPEN)
    lines = _Lines(bodies)
    put = lines.put
    put(_MORE_HEADING)
    put(_MORE_LIST)
    for index, link in enumerate(links, start=1):
        if marking:
            put(_mark(f"m{index}"))
        put(more_entry(link))
    if marking:
        put(_mark("m-end"))
    put(_END_LIST)
    if digest.omitted:
        web = _WEB.format(_e(digest.view_in_browser)) if digest.view_in_browser else ""
        put(_OMITTED.format(_e(digest.omitted), "story" if digest.omitted == 1 else "stories", web))
    lines.close(out)
    out.append("      </mj-column>\n    </mj-section>\n")
    if marking:
        out.append(_mark("M-end", block=True))
    return Markup("".join(out))
