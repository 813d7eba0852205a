"""The public archive: sent editions of the lists named in ``[web] archive_lists``.

An edition is public once a message of it went to a subscriber of one of those lists (or,
reviewed, it was made for one). Its web version is the frozen rendering everyone was sent,
with the greeting left plain and the unsubscribe link pointing at a page that explains where
the reader's own link is: nothing personal is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, exists, or_, select

from digest.config import Settings
from digest.models import digest_from_data
from digest.render.email import RenderedEmail
from digest.storage.schema import articles, digest_articles, digests, sends, subscribers

_SENT = "sent"


@dataclass(frozen=True)
class PublishedStory:
    title: str
    url: str | None
    site: str | None = None
    lede: str | None = None
    section: str | None = None
    points: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "url": self.url,
            "site": self.site,
            "lede": self.lede,
            "section": self.section,
            "points": list(self.points),
        }


@dataclass(frozen=True)
class PublishedEdition:
    edition: str
    title: str
    subject: str
    sent_at: datetime
    stories: list[PublishedStory] = field(default_factory=list)
    rendered: RenderedEmail | None = None

    def web_html(self, unsubscribe_page: str) -> str:
        if self.rendered is None:
            return ""
        return self.rendered.personalize(unsubscribe_page, None)[0]


def _public(settings: Settings) -> Any:
    lists = list(settings.web.archive_lists)
    went_to_list = exists(
        select(sends.c.id)
        .select_from(sends.join(subscribers, subscribers.c.id == sends.c.subscriber_id))
        .where(sends.c.digest_id == digests.c.id, sends.c.status == _SENT, subscribers.c.list.in_(lists))
    )
    return and_(
        digests.c.sent_at.is_not(None), digests.c.html.is_not(None), or_(went_to_list, digests.c.list_name.in_(lists))
    )


def _stories(engine: Engine, digest_id: int, data: Any) -> list[PublishedStory]:
    if isinstance(data, dict) and data.get("stories"):
        try:
            digest = digest_from_data(data)
        except (KeyError, TypeError, ValueError):
            digest = None
        if digest is not None:
            return [
                PublishedStory(
                    s.article.title,
                    s.article.url,
                    s.article.site,
                    s.summary.lede or None,
                    s.section,
                    tuple(s.summary.key_points),
                )
                for s in digest.stories
            ]
    with engine.connect() as conn:
        rows = conn.execute(
            select(articles.c.title, articles.c.url, articles.c.site)
            .select_from(digest_articles.join(articles, articles.c.id == digest_articles.c.article_id))
            .where(digest_articles.c.digest_id == digest_id)
            .order_by(digest_articles.c.position)
        ).all()
    return [PublishedStory(r.title, r.url, r.site) for r in rows]


def public_editions(engine: Engine, settings: Settings, limit: int | None = None) -> list[PublishedEdition]:
    """The public editions, newest first, each with its stories (no rendering)."""
    q = (
        select(digests.c.id, digests.c.edition, digests.c.title, digests.c.subject, digests.c.sent_at, digests.c.data)
        .where(_public(settings))
        .order_by(digests.c.sent_at.desc(), digests.c.id.desc())
    )
    if limit is not None:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        PublishedEdition(r.edition, r.title, r.subject or r.title, r.sent_at, _stories(engine, r.id, r.data))
        for r in rows
    ]


def public_edition(engine: Engine, settings: Settings, edition: str) -> PublishedEdition | None:
    """One public edition with its frozen rendering; None when there is no such public edition."""
    with engine.connect() as conn:
        row = conn.execute(select(digests).where(digests.c.edition == edition, _public(settings))).first()
    if row is None:
        return None
    rendered = RenderedEmail(subject=row.subject or "", html=row.html, text=row.text or "")
    return PublishedEdition(
        row.edition, row.title, row.subject or row.title, row.sent_at, _stories(engine, row.id, row.data), rendered
    )
