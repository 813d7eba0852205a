"""Drafts in the preview server: the list of editions, one draft with its edit forms, and the
actions (edit, approve, discard) the forms post. The forms need no script; the email shows
through a frame's src, so nothing from a source is ever inlined into the page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from digest.config import Settings
from digest.mailing import drafts
from digest.mailing.drafts import Edit, parse_edit
from digest.render.templates import make_environment, template_errors
from digest.storage.engine import open_engine

TEMPLATE = "preview/editions.html.j2"


def base_path(edition: str) -> str:
    return "/editions/" + quote(edition, safe="")


def render_editions(
    settings: Settings,
    edition: str | None,
    *,
    csrf_token: str,
    can_edit: bool,
    notice: dict[str, Any] | None = None,
) -> str:
    """The list of editions (``edition`` None) or one draft's review page."""
    engine = open_engine(settings)
    try:
        context: dict[str, Any] = {"edition": None, "editions": [], "notice": notice, "csrf_token": csrf_token}
        if edition is None:
            context["editions"] = drafts.list_editions(engine)
        else:
            found = drafts.get_edition(engine, edition)
            digest = drafts.draft_digest(engine, edition)
            context.update(
                edition=found,
                base=base_path(edition),
                can_edit=can_edit and found.status == "draft",
                stories=[
                    {
                        "number": n,
                        "title": s.article.title,
                        "section": s.section,
                        "lede": s.summary.lede,
                        "key_points": s.summary.key_points,
                        "image": s.article.image.url if s.article.image else None,
                        "edited": s.edited,
                    }
                    for n, s in enumerate(digest.stories, start=1)
                ],
            )
    finally:
        engine.dispose()
    with template_errors():
        return make_environment(settings).get_template(TEMPLATE).render(context)


def draft_html(settings: Settings, edition: str, unsubscribe_url: str) -> str:
    """The draft email's HTML as a reader would get it (with a placeholder unsubscribe link)."""
    from digest.mailing.editions import find_digest

    engine = open_engine(settings)
    try:
        found = find_digest(engine, edition)
    finally:
        engine.dispose()
    if found is None or found[1] is None:
        return "<!doctype html><p>This edition has no rendering.</p>"
    html, _ = found[1].personalize(unsubscribe_url, None)
    return html


def edit_from_form(form: dict[str, str]) -> Edit:
    """One edit from a posted form: op, story, and to / point / text as the op needs."""
    op, story = form.get("op", ""), form.get("story", "")
    if op in ("drop", "pin"):
        return parse_edit(op, story)
    if op == "move":
        return parse_edit(op, f"{story}:{form.get('to', '')}")
    if op == "lede":
        return parse_edit(op, f"{story}:{form.get('text', '')}")
    if op == "point":
        return parse_edit(op, f"{story}:{form.get('point', '')}:{form.get('text', '')}")
    return parse_edit(op or "?", f"{story}:{form.get('text', '')}")
