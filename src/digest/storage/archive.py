"""The archive: every article seen, once; which digest carried it; feed validators; related stories.

An article is the same story when its canonical URL (tracking parameters stripped) or its
content hash matches, or when the same feed gives the same GUID again: the same story from
two feeds is stored once, across runs. "New since the last sent digest" is an indexed
anti-join (articles with no link to a sent digest), never a scan in Python.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from sqlalchemy import Engine, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digest.config import Settings
from digest.errors import DigestError
from digest.links import canonical_url
from digest.models import Article, Image, Related, Teaser
from digest.similarity import content_hash, cosine_rows
from digest.storage.engine import open_engine
from digest.storage.schema import articles, digest_articles, digests, feed_state, sends, subscribers

# Texts shorter than this (teasers, empty entries) are hashed with their title, so two
# different stories with the same one-line teaser, or none, do not collapse into one.
SHORT_TEXT = 200
# Related-story search looks at most at this many recent articles.
MAX_RELATED_POOL = 5000
# How much of each article's text the related-story search compares.
RELATED_TEXT_CHARS = 6000


class ArchiveError(DigestError):
    """The archive refused an operation (e.g. re-recording an edition already sent)."""


@dataclass(frozen=True)
class Stored:
    id: int
    new: bool


@dataclass
class ArchivedArticle:
    id: int
    article: Article
    first_seen: datetime


@dataclass
class RelatedCandidate:
    article_id: int
    title: str
    url: str | None
    score: float
    site: str | None = None
    published: datetime | None = None

    def teaser(self) -> Teaser:
        return Teaser(title=self.title, url=self.url, origin="archive", score=round(self.score, 4))


@dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    checked_at: datetime | None


def article_hash(article: Article) -> str:
    body = article.text if len(article.text) >= SHORT_TEXT else f"{article.title}\n{article.text}"
    return content_hash(body)


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: datetime | None) -> datetime | None: ...
def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class Archive:
    """SQLite (or any SQLAlchemy URL) archive; safe to share between threads (writes serialized)."""

    def __init__(self, source: Engine | Settings, settings: Settings | None = None) -> None:
        if isinstance(source, Settings):
            settings = source
            self.engine = open_engine(source)
        else:
            self.engine = source
        self.settings = settings or Settings()
        self._write = threading.Lock()
        # "New" for one subscriber list: set by the send code so that an edition sent to another
        # list does not make its stories old for this one (None: any sent digest counts).
        self.audience: str | None = None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ lookups

    def _match(self, conn: Any, canonical: str | None, digest: str | None, guid: str | None, source: str) -> int | None:
        """One indexed query (SQLite ORs the three indexes): same URL, same feed GUID, or same text."""
        conditions = []
        if canonical:
            conditions.append(articles.c.canonical_url == canonical)
        if guid:
            conditions.append(and_(articles.c.guid == guid, articles.c.source == source))
        if digest:
            conditions.append(articles.c.content_hash == digest)
        if not conditions:
            return None
        found = conn.execute(select(func.min(articles.c.id)).where(or_(*conditions))).scalar()
        return None if found is None else int(found)

    def find(self, article: Article) -> int | None:
        """The id of the archived copy of this story, if any."""
        canonical = canonical_url(article.url) if article.url else None
        with self.engine.connect() as conn:
            return self._match(conn, canonical, article_hash(article), article.guid, article.source)

    def is_known(self, article: Article) -> bool:
        """Known by GUID (same feed) or canonical URL: cheap enough to skip fetching full text."""
        canonical = canonical_url(article.url) if article.url else None
        with self.engine.connect() as conn:
            return self._match(conn, canonical, None, article.guid, article.source) is not None

    def has_url(self, url: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(articles.c.id).where(articles.c.canonical_url == canonical_url(url))).scalar()
        return found is not None

    # ------------------------------------------------------------ writes

    def store(self, items: Iterable[Article]) -> list[Stored]:
        """Add articles not seen before; return each one's id and whether it was new, in order."""
        out: list[Stored] = []
        with self._write, self.engine.begin() as conn:
            for article in items:
                canonical = canonical_url(article.url) if article.url else None
                digest = article_hash(article)
                found = self._match(conn, canonical, digest, article.guid, article.source)
                if found is not None:
                    out.append(Stored(found, False))
                    continue
                row = {
                    "canonical_url": canonical,
                    "content_hash": digest,
                    "guid": article.guid,
                    "source": article.source,
                    "title": article.title,
                    "url": article.url,
                    "site": article.site,
                    "author": article.author,
                    "language": article.language,
                    "published": _utc(article.published),
                    "text": article.text,
                    "related": [asdict(r) for r in article.related],
                    "image": asdict(article.image) if article.image else None,
                    "categories": list(article.categories) or None,
                    "origin": article.origin,
                    "first_seen": _now(),
                }
                try:
                    with conn.begin_nested():
                        inserted = conn.execute(insert(articles).values(**row)).inserted_primary_key
                        new_id = int(inserted[0]) if inserted else 0
                except IntegrityError:  # another process stored it a moment ago
                    found = self._match(conn, canonical, digest, article.guid, article.source)
                    if found is None:
                        raise
                    out.append(Stored(found, False))
                    continue
                out.append(Stored(int(new_id), True))
        return out

    # ------------------------------------------------------------ reading articles

    @staticmethod
    def _article(row: Any) -> Article:
        return Article(
            title=row.title,
            text=row.text,
            source=row.source,
            url=row.url,
            published=_utc(row.published),
            author=row.author,
            site=row.site,
            language=row.language,
            related=[Related(**r) for r in (row.related or [])],
            guid=row.guid,
            image=Image(**row.image) if row.image else None,
            categories=list(row.categories or []),
            origin=row.origin,
        )

    def get(self, article_id: int) -> Article | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).first()
        return self._article(row) if row else None

    def articles(self, ids: Sequence[int]) -> list[ArchivedArticle]:
        """The archived articles with these ids, in the order given (unknown ids skipped)."""
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(articles).where(articles.c.id.in_(list(ids))))}
        return [ArchivedArticle(i, self._article(rows[i]), _utc(rows[i].first_seen)) for i in ids if i in rows]

    # ------------------------------------------------------------ digests

    def _in_sent_digest(self) -> Any:
        sent = and_(digest_articles.c.article_id == articles.c.id, digests.c.sent_at.is_not(None))
        if self.audience is not None:
            # a digest counts for this list if it reached someone on it, or was sent without a
            # send log at all (marked sent by other means)
            logged = select(sends.c.id).where(sends.c.digest_id == digests.c.id)
            reached = (
                select(sends.c.id)
                .join(subscribers, subscribers.c.id == sends.c.subscriber_id)
                .where(sends.c.digest_id == digests.c.id, sends.c.status == "sent")
                .where(subscribers.c.list == self.audience)
            )
            sent = and_(sent, or_(~exists(logged), exists(reached)))
        return exists(
            select(digest_articles.c.article_id).join(digests, digests.c.id == digest_articles.c.digest_id).where(sent)
        )

    def unsent(self, ids: Sequence[int]) -> list[int]:
        """Those of ``ids`` that no sent digest has carried yet, in the order given."""
        if not ids:
            return []
        query = select(articles.c.id).where(articles.c.id.in_(list(ids)), ~self._in_sent_digest())
        with self.engine.connect() as conn:
            fresh = {int(i) for i in conn.execute(query).scalars()}
        return [i for i in ids if i in fresh]

    def new_since_last_sent_query(self, max_age_days: int | None = None, limit: int | None = None) -> Any:
        query = select(articles).where(~self._in_sent_digest())
        if max_age_days is not None:
            query = query.where(articles.c.first_seen >= _now() - timedelta(days=max_age_days))
        query = query.order_by(articles.c.first_seen.desc(), articles.c.id.desc())
        return query.limit(limit) if limit else query

    def new_since_last_sent(self, max_age_days: int | None = None, limit: int | None = None) -> list[ArchivedArticle]:
        """Articles no sent digest has carried yet, newest first (optionally only the last N days)."""
        with self.engine.connect() as conn:
            rows = conn.execute(self.new_since_last_sent_query(max_age_days, limit)).all()
        return [ArchivedArticle(r.id, self._article(r), _utc(r.first_seen)) for r in rows]

    def record_digest(
        self,
        edition: str,
        title: str,
        article_ids: Sequence[int],
        *,
        subject: str | None = None,
        html: str | None = None,
        text: str | None = None,
    ) -> int:
        """Remember which articles an edition carries; re-recording an unsent edition replaces it."""
        with self._write, self.engine.begin() as conn:
            row = conn.execute(select(digests.c.id, digests.c.sent_at).where(digests.c.edition == edition)).first()
            values = {"title": title, "subject": subject, "html": html, "text": text}
            if row is None:
                created = conn.execute(insert(digests).values(edition=edition, created_at=_now(), **values))
                digest_id = int(created.inserted_primary_key[0])  # type: ignore[index]
            else:
                if row.sent_at is not None:
                    sent = _utc(row.sent_at)
                    raise ArchiveError(f"edition {edition} was already sent at {sent:%Y-%m-%d %H:%M} UTC")
                digest_id = int(row.id)
                conn.execute(update(digests).where(digests.c.id == digest_id).values(**values))
                conn.execute(delete(digest_articles).where(digest_articles.c.digest_id == digest_id))
            _insert_links(conn, digest_id, article_ids)
        return digest_id

    def link_digest(self, digest_id: int, article_ids: Sequence[int]) -> None:
        """Record which articles an existing digest row (made by the send log) carries."""
        with self._write, self.engine.begin() as conn:
            conn.execute(delete(digest_articles).where(digest_articles.c.digest_id == digest_id))
            _insert_links(conn, digest_id, article_ids)

    def mark_sent(self, digest_id: int, when: datetime | None = None) -> None:
        with self._write, self.engine.begin() as conn:
            done = conn.execute(
                update(digests).where(digests.c.id == digest_id).values(sent_at=_utc(when) or _now())
            ).rowcount
        if not done:
            raise ArchiveError(f"no digest with id {digest_id}")

    def last_sent(self) -> datetime | None:
        with self.engine.connect() as conn:
            return _utc(conn.execute(select(func.max(digests.c.sent_at))).scalar())

    def digests_of(self, article_id: int) -> list[str]:
        """Editions that included this article."""
        query = (
            select(digests.c.edition)
            .join(digest_articles, digest_articles.c.digest_id == digests.c.id)
            .where(digest_articles.c.article_id == article_id)
            .order_by(digests.c.created_at)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    # ------------------------------------------------------------ feed state (conditional GET)

    def feed_state(self, url: str) -> FeedState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(feed_state).where(feed_state.c.url == url)).first()
        if row is None:
            return None
        return FeedState(row.url, row.etag, row.last_modified, row.content_hash, _utc(row.checked_at))

    def feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        """Remembered states for many URLs in one query (an ingest run reads them all up front)."""
        out: dict[str, FeedState] = {}
        unique = list(dict.fromkeys(urls))
        with self.engine.connect() as conn:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                for row in conn.execute(select(feed_state).where(feed_state.c.url.in_(chunk))):
                    out[row.url] = FeedState(
                        row.url, row.etag, row.last_modified, row.content_hash, _utc(row.checked_at)
                    )
        return out

    def save_feed_states(self, states: Sequence[tuple[str, str | None, str | None, str | None]]) -> None:
        """Several (url, etag, last_modified, content_hash) at once, in one transaction."""
        if not states:
            return
        with self._write, self.engine.begin() as conn:
            for url, etag, last_modified, content_hash in states:
                self._save_state(conn, url, etag, last_modified, content_hash)

    def save_feed_state(
        self, url: str, etag: str | None, last_modified: str | None, content_hash: str | None = None
    ) -> None:
        with self._write, self.engine.begin() as conn:
            self._save_state(conn, url, etag, last_modified, content_hash)

    @staticmethod
    def _save_state(conn: Any, url: str, etag: str | None, last_modified: str | None, content_hash: str | None) -> None:
        values = {"etag": etag, "last_modified": last_modified, "content_hash": content_hash, "checked_at": _now()}
        done = conn.execute(update(feed_state).where(feed_state.c.url == url).values(**values)).rowcount
        if not done:
            conn.execute(insert(feed_state).values(url=url, **values))

    # ------------------------------------------------------------ related stories

    def related_candidates(
        self,
        article: Article | int,
        days: int | None = None,
        min_similarity: float | None = None,
        limit: int = 3,
    ) -> list[RelatedCandidate]:
        """Archived stories from the last ``days`` most similar to ``article`` (TF-IDF cosine),
        best first, only those at or above ``min_similarity``; never the article itself."""
        self_id: int | None = None
        if isinstance(article, int):
            self_id = article
            found = self.get(article)
            if found is None:
                raise ArchiveError(f"no archived article with id {article}")
            article = found
        return self.related_to_each([article], days, min_similarity, limit, [self_id])[0]

    def related_to_each(
        self,
        items: Sequence[Article],
        days: int | None = None,
        min_similarity: float | None = None,
        limit: int = 3,
        ids: Sequence[int | None] | None = None,
        exclude: Collection[int] = (),
    ) -> list[list[RelatedCandidate]]:
        """``related_candidates`` for many articles at once (a digest's stories): the recent
        archive is read and TF-IDF fitted once, not once per story. ``ids`` are the articles'
        own archive ids where known, so they are never their own match; ``exclude`` are ids
        never to suggest (the digest's own stories), so they do not use up ``limit``."""
        days = self.settings.archive.related_days if days is None else days
        threshold = self.settings.archive.min_similarity if min_similarity is None else min_similarity
        if not items:
            return []
        query = select(
            articles.c.id,
            articles.c.title,
            articles.c.url,
            articles.c.site,
            articles.c.published,
            articles.c.canonical_url,
            articles.c.content_hash,
            func.substr(articles.c.text, 1, RELATED_TEXT_CHARS).label("text"),
        ).where(articles.c.first_seen >= _now() - timedelta(days=days))
        query = query.order_by(articles.c.first_seen.desc()).limit(MAX_RELATED_POOL)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return [[] for _ in items]
        english = all(a.language in (None, "en") for a in items)
        docs = [f"{a.title}\n{a.text[:RELATED_TEXT_CHARS]}" for a in items]
        scores = cosine_rows([*docs, *(f"{r.title}\n{r.text}" for r in rows)], len(items), english)
        out: list[list[RelatedCandidate]] = []
        for q, article in enumerate(items):
            self_id = ids[q] if ids is not None else None
            canonical = canonical_url(article.url) if article.url else None
            digest = article_hash(article)
            ranked = [] if scores is None else sorted(enumerate(scores[q, len(items) :]), key=lambda p: (-p[1], p[0]))
            mine: list[RelatedCandidate] = []
            for i, score in ranked:
                if score < threshold or len(mine) >= limit:
                    break
                r = rows[i]
                if (
                    r.id == self_id
                    or r.id in exclude
                    or r.content_hash == digest
                    or (canonical is not None and r.canonical_url == canonical)
                ):
                    continue  # the article itself, or one never to suggest
                mine.append(RelatedCandidate(int(r.id), r.title, r.url, float(score), r.site, _utc(r.published)))
            out.append(mine)
        return out


def _insert_links(conn: Any, digest_id: int, article_ids: Sequence[int]) -> None:
    """digest_articles rows in story order, each article once."""
    seen: set[int] = set()
    links = []
    for pos, aid in enumerate(article_ids):
        if aid not in seen:
            seen.add(aid)
            links.append({"digest_id": digest_id, "article_id": aid, "position": pos})
    if links:
        conn.execute(insert(digest_articles), links)
