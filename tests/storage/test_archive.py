"""The archive on a real SQLite file and a real PostgreSQL: dedupe, digests sent, feed state, related stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from tests.support.postgres import Database

from digest.config import Settings
from digest.models import Article, Related
from digest.storage.archive import Archive, ArchiveError
from digest.storage.engine import open_engine
from digest.storage.schema import articles


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    """Every test here runs on an SQLite file and on PostgreSQL."""
    return database.settings(tmp_path / "data")


def art(title: str, body: str, url: str | None = None, source: str = "feed-a", guid: str | None = None) -> Article:
    return Article(title=title, text=body, source=source, url=url, guid=guid)


LONG = (
    "The town council approved a new flood barrier for the old harbour on Thursday, ending a decade of "
    "debate about protecting the waterfront from winter storms. Construction starts in spring and is "
    "expected to take two years, the harbour master said at a packed public meeting."
)


def test_dedupe_by_canonical_url_content_hash_and_guid(settings: Settings) -> None:
    with Archive(settings) as a:
        first = a.store([art("Flood barrier", LONG, "https://news.example/story?utm_source=rss&id=7")])
        assert first[0].new
        moved = "https://NEWS.example/story?id=7&fbclid=x#top"
        same_url = art("Flood barrier (wire)", "Short teaser.", moved, "feed-b")
        same_text = art("Another headline", LONG, "https://mirror.example/copy", "feed-c")
        same_guid = art("Edited headline", "changed body", "https://news.example/moved", "feed-a", guid="g-1")
        a.store([art("Guid story", "original body", "https://news.example/g", "feed-a", guid="g-1")])
        again = a.store([same_url, same_text, same_guid])
        assert [s.new for s in again] == [False, False, False]
        assert again[0].id == again[1].id == first[0].id
        # the same GUID from a different feed is a different story
        other = a.store([art("Other feed", "other body", "https://other.example/x", "feed-z", guid="g-1")])
        assert other[0].new


def test_dedupe_within_one_batch_and_across_runs(settings: Settings) -> None:
    s = settings
    batch = [art("One", LONG, "https://a.example/1"), art("One again", LONG, "https://a.example/1?utm_medium=x")]
    with Archive(s) as a:
        assert [x.new for x in a.store(batch)] == [True, False]
    with Archive(s) as b:  # a later run, a new engine on the same file
        assert [x.new for x in b.store(batch)] == [False, False]
        count = b.engine.connect().execute(text("select count(*) from articles")).scalar()
    assert count == 1


def test_short_teasers_do_not_collide(settings: Settings) -> None:
    with Archive(settings) as a:
        got = a.store([art("Story A", "Read more"), art("Story B", "Read more"), art("Story C", "")])
    assert all(s.new for s in got) and len({s.id for s in got}) == 3


def test_articles_round_trip(settings: Settings) -> None:
    when = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    original = Article(
        title="T",
        text=LONG,
        source="s",
        url="https://x.example/a",
        published=when,
        author="Au",
        site="Site",
        language="en",
        related=[Related("Other", "https://x.example/b", "World")],
        guid="g",
    )
    with Archive(settings) as a:
        (stored,) = a.store([original])
        assert a.get(stored.id) == original


def test_new_since_last_sent_digest(settings: Settings) -> None:
    with Archive(settings) as a:
        batch = [art(f"Story {i}", f"{LONG} number {i}", f"https://x.example/{i}") for i in range(4)]
        ids = [s.id for s in a.store(batch)]
        assert {x.id for x in a.new_since_last_sent()} == set(ids)
        d1 = a.record_digest("2026-11-27", "Daily", ids[:2])
        # recorded but not sent yet: still new
        assert {x.id for x in a.new_since_last_sent()} == set(ids)
        a.mark_sent(d1)
        assert [x.id for x in a.new_since_last_sent()] == [ids[3], ids[2]]  # newest first
        assert a.unsent(ids) == ids[2:]
        assert a.digests_of(ids[0]) == ["2026-11-27"]
        assert a.last_sent() is not None
        new = a.store([art("Fresh", LONG + " fresh", "https://x.example/fresh")])[0].id
        assert [x.id for x in a.new_since_last_sent(limit=1)] == [new]


def test_record_digest_replaces_unsent_and_refuses_sent(settings: Settings) -> None:
    with Archive(settings) as a:
        ids = [s.id for s in a.store([art(f"S{i}", f"{LONG} {i}", f"https://x.example/{i}") for i in range(3)])]
        d = a.record_digest("ed-1", "Daily", ids[:1])
        assert a.record_digest("ed-1", "Daily (rebuilt)", ids[1:]) == d
        a.mark_sent(d)
        assert a.unsent(ids) == ids[:1]
        with pytest.raises(ArchiveError, match="edition ed-1 was already sent"):
            a.record_digest("ed-1", "Daily", ids)
        with pytest.raises(ArchiveError, match="no digest with id 999"):
            a.mark_sent(999)


def test_new_since_last_sent_is_an_indexed_query(settings: Settings, database: Database) -> None:
    """The sent-digest check must use the article index on digest_articles, not scan it.

    PostgreSQL's planner scans tiny tables whatever their indexes; with sequential scans made
    as costly as possible it shows which indexes the query can use."""
    with Archive(settings) as a:
        query = a.new_since_last_sent_query(max_age_days=7)
        sql = str(query.compile(a.engine, compile_kwargs={"literal_binds": True}))
        with a.engine.connect() as conn:
            if database.kind == "sqlite":
                plan = " | ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            else:
                conn.execute(text("SET enable_seqscan = off"))
                plan = " | ".join(str(row[0]) for row in conn.execute(text("EXPLAIN " + sql)))
    assert "ix_digest_articles_article" in plan, plan
    assert "SCAN digest_articles" not in plan and "Seq Scan on digest_articles" not in plan, plan
    assert "ix_articles_first_seen" in plan, plan


def test_feed_state_round_trip(settings: Settings) -> None:
    with Archive(settings) as a:
        assert a.feed_state("https://x.example/feed") is None
        a.save_feed_state("https://x.example/feed", '"e1"', "Wed, 20 Nov 2019 10:00:00 GMT", "h1")
        a.save_feed_state("https://x.example/feed", '"e2"', None, "h2")
        state = a.feed_state("https://x.example/feed")
    assert state is not None and (state.etag, state.last_modified, state.content_hash) == ('"e2"', None, "h2")


STORIES = {
    "flood1": "Flood barrier approved for the harbour. The council approved a flood barrier to protect the harbour "
    "waterfront from storm surges; construction of the barrier begins in spring.",
    "flood2": "Harbour flood barrier construction to start. Engineers say the movable flood barrier will protect the "
    "harbour from storm surges and winter flooding.",
    "football": "Local football club wins the regional cup. The striker scored twice in the final as the club lifted "
    "the trophy in front of a record crowd.",
    "bakery": "New bakery opens on the high street. The owners bake sourdough bread and pastries every morning.",
}


def store_stories(a: Archive) -> dict[str, int]:
    """STORIES archived; their ids by key."""
    ids = {}
    for key, body in STORIES.items():
        title, _, rest = body.partition(". ")
        ids[key] = a.store([art(title, rest, f"https://x.example/{key}")])[0].id
    return ids


def test_related_candidates_above_threshold_only(settings: Settings) -> None:
    with Archive(settings) as a:
        ids = store_stories(a)
        found = a.related_candidates(ids["flood1"], days=30, min_similarity=0.15, limit=3)
        assert [c.article_id for c in found] == [ids["flood2"]]
        assert found[0].score >= 0.15 and found[0].teaser().origin == "archive"
        # an article not archived yet, with the same URL as flood2, never gets flood2 as "related"
        probe = art("Flood barrier", STORIES["flood2"], "https://x.example/flood2?utm_source=x")
        assert ids["flood2"] not in [c.article_id for c in a.related_candidates(probe, min_similarity=0.05)]
        # a very high bar shows nothing rather than weak matches
        assert a.related_candidates(ids["flood1"], min_similarity=0.95) == []
        # only the last N days count
        with a.engine.begin() as conn:
            old = datetime.now(UTC) - timedelta(days=60)
            conn.execute(update(articles).where(articles.c.id == ids["flood2"]).values(first_seen=old))
        assert a.related_candidates(ids["flood1"], days=30, min_similarity=0.15) == []
        assert [c.article_id for c in a.related_candidates(ids["flood1"], days=90, min_similarity=0.15)] == [
            ids["flood2"]
        ]


def test_related_to_each_answers_every_story_from_one_pass(settings: Settings) -> None:
    with Archive(settings) as a:
        ids = store_stories(a)
        stories = a.articles([ids["flood1"], ids["flood2"], ids["bakery"]])
        each = a.related_to_each(
            [s.article for s in stories], days=30, min_similarity=0.15, ids=[s.id for s in stories]
        )
        one_by_one = [a.related_candidates(s.id, days=30, min_similarity=0.15) for s in stories]
    assert [[c.article_id for c in found] for found in each] == [[ids["flood2"]], [ids["flood1"]], []]
    assert [[c.article_id for c in found] for found in one_by_one] == [[ids["flood2"]], [ids["flood1"]], []]
    assert a.related_to_each([]) == []
    with Archive(settings) as a:  # the digest's own stories are never suggested
        flood1 = stories[0]
        assert a.related_to_each([flood1.article], min_similarity=0.15, ids=[flood1.id], exclude={ids["flood2"]}) == [
            []
        ]


def test_archive_accepts_an_engine(database: Database, tmp_path: Path) -> None:
    engine = open_engine(url=database.url or f"sqlite:///{tmp_path / 'x.sqlite3'}")
    a = Archive(engine)
    assert a.store([art("x", LONG, "https://x.example/1")])[0].new
    a.close()
