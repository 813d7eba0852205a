"""The digest email: Jinja2 renders MJML, MRML (mjml-python) turns it into HTML, plus a text part.

``render_email(digest, settings) -> RenderedEmail``. The HTML and text are rendered ONCE per
digest with two markers in place; delivery personalizes each recipient's copy by substitution
(``RenderedEmail.personalize``), never by re-rendering MJML.

Every value from a source is reduced to plain text and every link checked (``digest.sanitize``)
before templates see it; Jinja autoescape encodes the rest. Story links carry UTM parameters.
The HTML is kept under ``[email] max_html_bytes`` by ``render.size.fit_html``; the text part
always has every story in full.
"""

from __future__ import annotations

import contextlib
import functools
import html as html_lib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from mjml import mjml2html

from digest.config import Settings
from digest.errors import ConfigError, TemplateError
from digest.links import image_url, sentence_link, site_label, utm_adder
from digest.models import Digest, Story
from digest.render import mjml_layout, plaintext, text_layout
from digest.render.size import fit_html, html_bytes
from digest.render.splice import MarkedRender
from digest.render.templates import make_environment, template_dirs, template_errors
from digest.render.view import DigestView, ImageView, LinkView, StoryView, TeaserGroup
from digest.sanitize import one_line, plain_text, safe_url

UNSUBSCRIBE_MARKER = "https://digest.invalid/__UNSUBSCRIBE__"
GREETING_MARKER = "__DIGEST_GREETING__"

HTML_TEMPLATE = "email/digest.mjml.j2"
TEXT_TEMPLATE = "email/digest.txt.j2"
PREHEADER_CHARS = 110


@dataclass
class RenderedEmail:
    subject: str
    html: str
    text: str
    preheader: str = ""
    warnings: list[str] = field(default_factory=list)

    def personalize(self, unsubscribe_url: str, name: str | None = None) -> tuple[str, str]:
        """(html, text) for one recipient: their unsubscribe link and greeting."""
        clean_name = plain_text(name) if name else ""
        greeting = f"Hi {clean_name}," if clean_name else "Hi,"
        html = self.html.replace(UNSUBSCRIBE_MARKER, html_lib.escape(unsubscribe_url, quote=True))
        html = html.replace(GREETING_MARKER, html_lib.escape(greeting))
        text = self.text.replace(UNSUBSCRIBE_MARKER, unsubscribe_url).replace(GREETING_MARKER, greeting)
        return html, text

    @property
    def html_bytes(self) -> int:
        """The HTML part's size as sent (quoted-printable): what mail clients clip on."""
        return html_bytes(self.html)


# ---------------------------------------------------------------- what templates see


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _fill(template: str, key: str, values: dict[str, Any]) -> str:
    try:
        return template.format_map(values)
    except KeyError as exc:
        known = ", ".join("{" + k + "}" for k in values)
        raise ConfigError(f"[email] {key}: unknown placeholder {{{exc.args[0]}}} (known: {known})") from None
    except (ValueError, IndexError) as exc:
        raise ConfigError(f"[email] {key}: bad placeholder: {exc}") from None


def site_name(story: Story) -> str | None:
    """The story's site as readers know it: its declared name, else its readable domain."""
    label = site_label(plain_text(story.article.site or "") or None, safe_url(story.article.url))
    return label or None


def trim(text: str, limit: int) -> str:
    """Shorten at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-—")
    return cut + "…"


def _teaser_groups(story: Story, link: Any) -> list[TeaserGroup]:
    """Teasers under their headings: a page's own block under its own heading (its promotions
    are not "related" stories), the rest under "Related". A teaser without a link cannot be
    followed from an email, so it is not shown; a heading with no linked teaser disappears."""
    groups: dict[str, TeaserGroup] = {}
    for teaser in story.teasers:
        title = plain_text(teaser.title)
        url = link(teaser.url) if teaser.url else None
        if not title or not url:  # no link, or an unsafe one: never shown
            continue
        heading = (plain_text(teaser.label) if teaser.origin == "page" else None) or "Related"
        groups.setdefault(heading, TeaserGroup(heading, [])).links.append(LinkView(title=title, url=url))
    return list(groups.values())


# The email is 600 px wide with 24 px of padding each side; thumbnails take a third of a row.
HERO_WIDTH = 552
THUMB_WIDTH = 168
_DEFAULT_RATIO = 9 / 16


def _image_style(images: str, number: int) -> str:
    """[email] images: "thumbnails" (a hero first, thumbnails after), "hero" (the first only), "none"."""
    if images == "none":
        return "none"
    if number == 1:
        return "hero"
    return "thumbnail" if images == "thumbnails" else "none"


def image_view(story: Story, style: str) -> ImageView | None:
    """The story's image at the size it is shown, with explicit dimensions (the layout holds
    its shape while images are blocked) and alt text (its own, else the story title)."""
    image = story.article.image
    if style == "none" or image is None:
        return None
    url = image_url(image.url)
    if url is None:
        return None
    width = HERO_WIDTH if style == "hero" else THUMB_WIDTH
    ratio = image.height / image.width if image.width and image.height else _DEFAULT_RATIO
    height = max(1, round(width * min(max(ratio, 0.25), 2.0)))
    alt = plain_text(image.alt) or plain_text(story.article.title) or "Story image"
    return ImageView(url=url, alt=alt, width=width, height=height)


def build_view(digest: Digest, settings: Settings) -> DigestView:
    """The template context: sanitized text, checked links with UTM, markers in place."""
    es = settings.email
    campaign = es.utm_campaign or digest.date.isoformat()
    tag = utm_adder(source=es.utm_source, medium="email", campaign=campaign)

    def story_link(url: str | None, base: str | None = None) -> str | None:
        safe = safe_url(url, base=base)
        if not safe or not safe.lower().startswith(("http://", "https://")):
            return None
        return tag(safe)

    values = {
        "title": digest.title,
        "date": digest.date.isoformat(),
        "date_long": long_date(digest.date),
        "edition": digest.edition or digest.date.isoformat(),
        "stories": len(digest.stories),
        "from_name": settings.delivery.from_name,
    }
    subject = one_line(_fill(es.subject, "subject", values))
    stories = []
    previous_section: str | None = None
    for number, story in enumerate(digest.stories, start=1):
        article = story.article
        groups = _teaser_groups(story, story_link)
        section = plain_text(story.section) or None
        style = _image_style(es.images, number)
        url = story_link(article.url)
        points = [
            (text, sentence_link(url, k) if url and es.link_key_points else None)
            for k, text in ((k, plain_text(k)) for k in story.summary.key_points)
            if text
        ]
        stories.append(
            StoryView(
                number=number,
                title=plain_text(article.title) or "(untitled)",
                url=url,
                site=site_name(story),
                author=plain_text(article.author) or None,
                lede=plain_text(story.summary.lede),
                key_points=[text for text, _ in points],
                key_point_links=[link for _, link in points],
                teasers=[link for group in groups for link in group.links],
                teaser_groups=groups,
                section=section,
                section_start=section is not None and section != previous_section,
                image=image_view(story, style),
                image_style=style,
            )
        )
        previous_section = section
    if es.preheader:
        preheader = plain_text(_fill(es.preheader, "preheader", values))
    elif stories and stories[0].lede:
        preheader = stories[0].lede
    else:
        preheader = plain_text(digest.intro) or subject
    browser = safe_url(_fill(es.archive_url, "archive_url", values)) if es.archive_url else None
    web = settings.web
    if browser is None and web.base_url and web.archive and digest.edition:
        browser = safe_url(f"{web.base_url}/archive/{quote(digest.edition, safe='')}/")  # `digest serve`'s copy
    footer_template = es.footer or (
        "You are receiving {title} because you subscribed to it. It is sent by {from_name}."
    )
    return DigestView(
        title=plain_text(digest.title),
        subject=subject,
        date=digest.date.isoformat(),
        date_display=long_date(digest.date),
        lang=one_line(es.language),
        intro=plain_text(digest.intro, keep_paragraphs=True),
        greeting=GREETING_MARKER,
        preheader=trim(preheader, PREHEADER_CHARS),
        footer=plain_text(_fill(footer_template, "footer", values), keep_paragraphs=True),
        from_name=plain_text(settings.delivery.from_name),
        unsubscribe_url=UNSUBSCRIBE_MARKER,
        view_in_browser=browser,
        stories=stories,
    )


# ---------------------------------------------------------------- rendering


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith((".txt.j2", ".txt"))


@dataclass(frozen=True)
class Renderer:
    """What rendering needs from the settings, prepared once: environment, folders, MJML loader."""

    env: jinja2.Environment
    dirs: tuple[Path, ...]
    include_loader: Callable[[str], str]
    bundled_text: bool = False  # no text template overridden: ``text_layout`` builds the text part
    marks: bool = False  # the templates carry the clipping guard's splice points
    bundled_stories: bool = False  # story partials not overridden: ``mjml_layout`` builds them
    clean: bool = False  # no control character in the email templates, and no mj-include


def renderer(settings: Settings) -> Renderer:
    """Templates compile (and are checked) once per settings and per state of the template files.

    The key includes each email template's name, mtime and size (a few stat calls), so an edited
    template shows on the next render in a long-running process: the preview server's reload,
    the scheduler's next fire.
    """
    dirs = tuple(template_dirs(settings))
    return _renderer(settings, dirs, _fingerprint(dirs))


def _fingerprint(dirs: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    found = []
    for folder in dirs:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder / "email"):
                st = entry.stat()
                found.append((entry.path, st.st_mtime_ns, st.st_size))
    return tuple(found)


@functools.lru_cache(maxsize=8)
def _renderer(settings: Settings, dirs: tuple[Path, ...], _files: tuple[tuple[str, int, int], ...]) -> Renderer:
    env = make_environment(settings, autoescape=_autoescape, filters={"wrap": plaintext.wrap})
    env.auto_reload = False  # no stat() per include per story
    env.globals["rule"] = plaintext.rule
    env.globals["marking"] = False  # True only in the clipping guard's render (see render.size)
    env.globals["prebuilt_stories"] = env.globals["prebuilt_more"] = None  # see render.mjml_layout
    check_templates(env)
    return Renderer(
        env=env,
        dirs=dirs,
        include_loader=_include_loader(dirs),
        bundled_text=not any(_overridden(dirs, name) for name in text_layout.TEMPLATES),
        bundled_stories=not any(_overridden(dirs, name) for name in mjml_layout.TEMPLATES),
        marks=_marks(dirs),
        clean=_clean(env),
    )


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(env: jinja2.Environment) -> bool:
    """No control character in any email template, and nothing included from outside them."""
    assert env.loader is not None
    for name in env.list_templates(filter_func=lambda n: n.startswith("email/")):
        source = env.loader.get_source(env, name)[0]
        if _CONTROL_CHARS.search(source) or "mj-include" in source:
            return False
    return True


def _marks(dirs: tuple[Path, ...]) -> bool:
    """Do the story partials in use carry the guard's splice points? (A user's own copy may not.)"""
    for name in mjml_layout.TEMPLATES:
        path = next((d / name for d in dirs if (d / name).is_file()), None)
        if path is None or "data-dg-cut=" not in path.read_text(encoding="utf-8"):
            return False
    return True


def _overridden(dirs: tuple[Path, ...], name: str) -> bool:
    """Does a user folder (all but the last, bundled one) change template ``name``?

    A verbatim copy (the README says to copy the whole folder) does not count.
    """
    for folder in dirs[:-1]:
        if (mine := folder / name).is_file():
            return mine.read_bytes() != (dirs[-1] / name).read_bytes()
    return False


def environment(settings: Settings) -> jinja2.Environment:
    """The Jinja environment for ``settings`` (see ``renderer``)."""
    return renderer(settings).env


def _include_loader(dirs: tuple[Path, ...]) -> Callable[[str], str]:
    """MJML ``<mj-include path="...">``: resolved in the template folders, user's first."""

    def load(path: str) -> str:
        rel = Path(path)
        if rel.is_absolute() or ".." in rel.parts:
            raise FileNotFoundError(path)
        for base in dirs:
            for candidate in (base / rel, base / "email" / rel):
                if candidate.is_file():
                    return candidate.read_text(encoding="utf-8")
        raise FileNotFoundError(path)

    return load


_SCRIPT_TAG = re.compile(r"<[sS][cC][rR][iI][pP][tT]\b")
_UNSAFE_MARKUP = re.compile(
    r"<script\b|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*\s(?:href|src)\s*=\s*[\"']?\s*(?:javascript|vbscript|data):",
    re.IGNORECASE,
)


def check_templates(env: jinja2.Environment) -> None:
    """Refuse templates whose markup could run code (a script, an on*= handler, a javascript: link).

    Source values can never add markup (they are reduced to plain text and escaped), so checking
    the templates once per process covers the whole email without scanning every render.
    """
    assert env.loader is not None
    for name in env.list_templates(filter_func=lambda n: n.startswith("email/") and n.endswith(".j2")):
        source, filename, _ = env.loader.get_source(env, name)
        if m := _UNSAFE_MARKUP.search(source):
            line = source.count("\n", 0, m.start()) + 1
            found = m.group(0)[-40:].strip()
            raise TemplateError(f"{filename}:{line}: {found!r}: scripts are not allowed in an email")


def check_html(html: str, template: str) -> None:
    """Last guard on the output itself: no <script> whatever happened before."""
    if m := _SCRIPT_TAG.search(html):
        raise TemplateError(f"{template}: the email would contain {m.group(0)!r}: scripts are not allowed")


def render_mjml(
    settings: Settings,
    view: DigestView,
    prepared: Renderer | None = None,
    marking: bool = False,
    bodies: list[str] | None = None,
) -> str:
    """Jinja -> MJML source (no MJML compile).

    ``marking``: the clipping guard's render, with splice points and the "More stories"
    section always there. Its entries are built in Python (``more_entries``) for the bundled
    partials; with a user's own, every story is also listed under it, compiled.
    ``bodies``: with the bundled partials, the story blocks' content goes there instead
    (``mjml_layout``), for ``render_html`` to put back after compiling.
    """
    prepared = prepared or renderer(settings)
    more = view.more_stories
    if marking:
        more = [] if prepared.bundled_stories else [s.as_link() for s in view.stories] + view.more_stories
    prebuilt = {}
    if prepared.bundled_stories:
        prebuilt["prebuilt_stories"] = mjml_layout.stories_mjml(view.stories, marking, bodies)
        if more or marking:  # the section the main template shows (its bodies must match its tokens)
            prebuilt["prebuilt_more"] = mjml_layout.more_mjml(view, more, marking, bodies)
    with template_errors():
        return prepared.env.get_template(HTML_TEMPLATE).render(
            digest=view, stories=view.stories, more_stories=more, marking=marking, **prebuilt
        )


def mjml_to_html(source: str, settings: Settings, prepared: Renderer | None = None) -> str:
    loader = (prepared or renderer(settings)).include_loader
    try:
        return str(mjml2html(source, disable_comments=True, include_loader=loader))  # type: ignore[arg-type]
    except ValueError as exc:  # MRML reports every problem as a bare ValueError
        raise TemplateError(f"{HTML_TEMPLATE}: MJML error: {exc}") from None


def render_html(view: DigestView, settings: Settings, prepared: Renderer | None = None, marking: bool = False) -> str:
    return "".join(render_segments(view, settings, prepared, marking))


def render_segments(
    view: DigestView, settings: Settings, prepared: Renderer | None = None, marking: bool = False
) -> list[str]:
    """The HTML in consecutive pieces, as it comes: compiled parts and, between them, the story
    bodies ``mjml_layout`` made (a single piece when the whole MJML was compiled)."""
    prepared = prepared or renderer(settings)
    if prepared.bundled_stories:
        segments = _compile_without_bodies(view, settings, prepared, marking)
        if segments is not None:
            return segments
    html = mjml_to_html(render_mjml(settings, view, prepared, marking), settings, prepared)
    check_html(html, HTML_TEMPLATE)
    return [html]


def _compile_without_bodies(
    view: DigestView, settings: Settings, prepared: Renderer, marking: bool
) -> list[str] | None:
    """The HTML of the full MJML, from compiling it with the story blocks' content left out
    (``mjml_layout``), in pieces. None when the tokens did not come back one per block: a main
    template of the user's own that leaves out or repeats the stories is compiled whole.

    Only the compiled part needs ``check_html``: the bodies are ``mjml_layout``'s own markup
    around escaped text."""
    bodies: list[str] = []
    compiled = mjml_to_html(render_mjml(settings, view, prepared, marking, bodies), settings, prepared)
    parts = compiled.split(mjml_layout.BODY)
    if len(parts) != len(bodies) + 1:
        return None
    check_html(compiled, HTML_TEMPLATE)
    out = [parts[0]]
    for body, part in zip(bodies, parts[1:], strict=True):
        out += (body, part)
    return out


def render_text(view: DigestView, settings: Settings, prepared: Renderer | None = None) -> str:
    prepared = prepared or renderer(settings)
    if prepared.bundled_text:
        return text_layout.render_text(view)  # tidy as enforce_width would leave it
    with template_errors():
        raw = prepared.env.get_template(TEXT_TEMPLATE).render(
            digest=view, stories=view.stories, more_stories=view.more_stories
        )
    return plaintext.enforce_width(raw)


def marked_render(view: DigestView, settings: Settings, prepared: Renderer) -> MarkedRender:
    """The size guard's one compile (see ``render.size``). Every value a template sees is plain
    text without control characters (``digest.sanitize``, ``digest.links``); with templates
    free of them too, so is the HTML, which lets the guard count it faster."""
    segments = render_segments(view, settings, prepared, marking=True)
    return MarkedRender(segments, more_entries(view, prepared), controls=not prepared.clean)


def more_entries(view: DigestView, prepared: Renderer) -> list[str] | None:
    """The HTML of each "More stories" entry the size guard may need (every story, then any
    already listed), when the bundled partials make them; None: they are in the marked render."""
    if not prepared.bundled_stories:
        return None
    return [mjml_layout.more_entry(link) for link in [s.as_link() for s in view.stories] + view.more_stories]


def render_email(digest: Digest, settings: Settings) -> RenderedEmail:
    """Render the digest once, with the unsubscribe and greeting markers in place."""
    prepared = renderer(settings)  # one look at the template files per render
    view = build_view(digest, settings)
    html, warnings = fit_html(
        view,
        lambda v: render_html(v, settings, prepared),
        settings.email.max_html_bytes,
        marked=(lambda v: marked_render(v, settings, prepared)) if prepared.marks else None,
    )
    text = render_text(view, settings, prepared)  # the text part is never shortened: it has every story
    return RenderedEmail(subject=view.subject, html=html, text=text, preheader=view.preheader, warnings=list(warnings))


__all__ = [
    "GREETING_MARKER",
    "UNSUBSCRIBE_MARKER",
    "DigestView",
    "LinkView",
    "RenderedEmail",
    "StoryView",
    "build_view",
    "render_email",
]
