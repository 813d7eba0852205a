"""The archive's feeds: Atom (RFC 4287) and JSON Feed 1.1, one item per public edition with
its stories. The same functions serve them and write them for `digest archive export`."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from digest.config import Settings
from digest.mailing.published import PublishedEdition
from digest.web.pages import Pages

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def stories_html(edition: PublishedEdition) -> str:
    """The edition's stories as a list: each title linked to its article, with its lede."""
    items = []
    for story in edition.stories:
        title = html.escape(story.title)
        head = f'<a href="{html.escape(story.url, quote=True)}">{title}</a>' if story.url else title
        lede = f" {html.escape(story.lede)}" if story.lede else ""
        items.append(f"<li>{head}{lede}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def stories_text(edition: PublishedEdition) -> str:
    return "\n".join(f"- {s.title}" + (f" <{s.url}>" if s.url else "") for s in edition.stories)


def atom(pages: Pages, settings: Settings, editions: list[PublishedEdition], base: str) -> str:
    updated = max((e.sent_at for e in editions), default=datetime.now(UTC))
    entries = [
        {
            "edition": e.edition,
            "subject": e.subject,
            "sent_at_iso": _iso(e.sent_at),
            "content_html": stories_html(e),
        }
        for e in editions
    ]
    return pages.env.get_template("web/feed.xml.j2").render(
        {
            **pages.base,
            "base": base,
            "updated": _iso(updated),
            "author": settings.delivery.from_name,
            "editions": entries,
        }
    )


def json_feed(settings: Settings, editions: list[PublishedEdition], base: str) -> dict[str, Any]:
    return {
        "version": JSON_FEED_VERSION,
        "title": settings.digest.title,
        "home_page_url": f"{base}/archive/",
        "feed_url": f"{base}/feed.json",
        "language": settings.email.language,
        "authors": [{"name": settings.delivery.from_name}],
        "items": [
            {
                "id": f"{base}/archive/{e.edition}/",
                "url": f"{base}/archive/{e.edition}/",
                "title": e.subject,
                "content_html": stories_html(e),
                "content_text": stories_text(e),
                "date_published": _iso(e.sent_at),
                "_digest": {"edition": e.edition, "stories": [s.to_dict() for s in e.stories]},
            }
            for e in editions
        ],
    }


def json_feed_text(settings: Settings, editions: list[PublishedEdition], base: str) -> str:
    return json.dumps(json_feed(settings, editions, base), ensure_ascii=False, indent=1) + "\n"
