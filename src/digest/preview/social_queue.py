"""The post queue in the preview server: the waiting posts with their counters, and the
approve and drop actions its forms post (the same rules as `digest social approve` / `drop`)."""

from __future__ import annotations

from typing import Any

from digest.config import Settings
from digest.publish import postlog
from digest.publish import queue as posts
from digest.render.platforms import PLATFORMS, check_length
from digest.render.templates import make_environment, template_errors
from digest.storage.engine import open_engine

TEMPLATE = "preview/social.html.j2"


def _item(row: postlog.LoggedPost, settings: Settings) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row.id,
        "account": row.account,
        "platform": row.platform,
        "status": row.status,
        "title": row.data.get("title") or row.story,
        "link": row.data.get("link"),
        "text": row.text,
        "not_before": row.not_before.strftime("%Y-%m-%d %H:%M UTC") if row.not_before else None,
        "message": row.message,
        "counter": None,
        "fits": True,
    }
    if row.platform in PLATFORMS:
        report = check_length(row.text, row.platform, settings.social.mastodon_limit)
        item.update(counter=f"{report.length}/{report.limit}", fits=report.valid)
    return item


def render_queue(settings: Settings, *, csrf_token: str, can_edit: bool, notice: dict[str, Any] | None = None) -> str:
    engine = open_engine(settings)
    try:
        rows = postlog.listing(engine)
        counts = postlog.counts(engine)
    finally:
        engine.dispose()
    context = {
        "posts": [_item(r, settings) for r in rows],
        "counts": counts,
        "queued": counts[postlog.QUEUED],
        "csrf_token": csrf_token,
        "can_edit": can_edit,
        "notice": notice,
    }
    with template_errors():
        return make_environment(settings).get_template(TEMPLATE).render(context)


def act(settings: Settings, action: str, form: dict[str, str]) -> str:
    """Approve one post, every queued one, or drop one; the line the page shows after."""
    engine = open_engine(settings)
    try:
        if action == "approve" and form.get("all") == "1":
            done = posts.approve(engine, settings, None)
            return f"Approved {len(done)} queued post(s): they go out spaced by {settings.social.spacing}"
        raw = form.get("id", "")
        if not raw.isdigit():
            return ""
        if action == "approve":
            [row] = posts.approve(engine, settings, [int(raw)])
            when = row.not_before.strftime("%Y-%m-%d %H:%M UTC") if row.not_before else "now"
            return f"Approved post {row.id}: it goes out at {when}"
        row = posts.drop(engine, int(raw))
        return f"Dropped post {row.id}: it will never be posted"
    finally:
        engine.dispose()
