"""Schema revisions: fresh databases start at head, 0.1.0 databases upgrade keeping every row, and
the migrations always build exactly the schema the code declares; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, func, insert, select, text
from tests.support.delivery import cli, configure
from tests.support.postgres import Database, PostgresServer

from digest.errors import DatabaseError
from digest.mailing.subscribers import add
from digest.storage import migrate
from digest.storage.engine import connect, database_url, open_engine
from digest.storage.legacy import release_0_1
from digest.storage.schema import metadata, subscribers

MIGRATIONS = Path(migrate.__file__).resolve().parent / "migrations"


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_head_constant_is_alembics_head() -> None:
    script = _script()
    assert script.get_heads() == [migrate.HEAD], "one head, and migrate.HEAD names it"
    assert migrate.known_revisions() == {rev.revision for rev in script.walk_revisions()}


def test_migrations_build_exactly_the_declared_schema(empty_database: Database, tmp_path: Path) -> None:
    """Upgrading an empty database through every migration gives schema.py's tables, no more, no less."""
    engine = create_engine(empty_database.url or f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with engine.begin() as conn:
        migrate._adopt_release_0_1(conn)  # what `digest db upgrade` does to a 0.1.0 file: the baseline
    before, after = migrate.upgrade(engine)
    assert (before, after) == (migrate.BASELINE, migrate.HEAD)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == [], f"schema.py and the migrations disagree: {diffs}"
    engine.dispose()


def test_a_fresh_database_is_created_at_head(empty_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    open_engine(settings).dispose()
    result = cli("db", "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status == {"url": database_url(settings), "revision": migrate.HEAD, "head": migrate.HEAD, "up_to_date": True}


NOW = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)


def _release_0_1_database(url: str) -> None:
    """A database as digest 0.1.0 left it: every table, no revision, rows in each (ids as the
    database hands them out, so its sequences are where 0.1.0 left them)."""
    engine = create_engine(url)
    release_0_1.create_all(engine)
    t = release_0_1.tables
    with engine.begin() as conn:
        people = []
        for i, (list_name, active) in enumerate([("default", True)] * 3 + [("default", False), ("vip", True)]):
            row = {"list": list_name, "email": f"r{i}@example.org", "active": active, "created_at": NOW}
            if not active:
                row["unsubscribed_at"] = NOW + timedelta(days=1)
            people.append(
                conn.execute(insert(t["subscribers"]).values(name=f"Reader {i}", **row)).inserted_primary_key[0]
            )
        stories = [
            conn.execute(
                insert(t["articles"]).values(
                    canonical_url=f"https://news.example/{i}",
                    content_hash=f"{i:064x}",
                    guid=f"g-{i}",
                    source="feed",
                    title=f"Story {i}",
                    url=f"https://news.example/{i}",
                    published=NOW - timedelta(hours=i),
                    text=f"Body of story {i}.",
                    related=[{"title": "Other", "url": "https://news.example/x", "section": None}],
                    first_seen=NOW,
                )
            ).inserted_primary_key[0]
            for i in range(3)
        ]
        editions = [
            conn.execute(
                insert(t["digests"]).values(
                    edition=name, title="T", created_at=NOW, sent_at=sent, subject="S", html="<p>h</p>", text="t"
                )
            ).inserted_primary_key[0]
            for name, sent in (("2026-01-05", NOW), ("2026-01-06", None))
        ]
        conn.execute(
            insert(t["digest_articles"]),
            [{"digest_id": editions[0], "article_id": a, "position": n} for n, a in enumerate(stories)],
        )
        conn.execute(insert(t["feed_state"]).values(url="https://news.example/feed", etag='"e"', checked_at=NOW))
        for n, person in enumerate(people):
            status = ("sent", "failed", "pending")[n % 3]
            conn.execute(
                insert(t["sends"]).values(
                    digest_id=editions[0], subscriber_id=person, status=status, attempts=1, code=250, updated_at=NOW
                )
            )
    engine.dispose()


def _rows(url: str, tables: MetaData) -> dict[str, list[dict[str, object]]]:
    """Every row of every table, datetimes as UTC (SQLite gives them back naive)."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for name, table in tables.tables.items():
            rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, datetime):
                        row[key] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            out[name] = rows
    engine.dispose()
    return out


def test_a_release_0_1_database_is_refused_then_upgraded_keeping_every_row(
    empty_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = configure(monkeypatch, "memory://")
    url = database_url(settings)
    _release_0_1_database(url)
    before = _rows(url, release_0_1)

    with pytest.raises(DatabaseError, match="run `digest db upgrade` first"):
        open_engine(settings)
    refused = cli("send", "--dry-run")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "run `digest db upgrade` first" in refused.stderr
    status = json.loads(cli("db", "status", "--json").stdout)
    assert status["revision"] is None and status["up_to_date"] is False

    done = cli("db", "upgrade", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["to"] == migrate.HEAD
    after = _rows(url, metadata)

    # every row of every table is still there, unchanged; new columns hold what they mean for old rows
    selectors = [row.pop("token") for row in after["subscribers"]]
    assert len(set(selectors)) == 5 and all(s and len(s) == 26 for s in selectors)  # each its own link selector
    expected = copy.deepcopy(before)
    for name, rows in expected.items():  # columns added since 0.1.0 start empty (claimed_by, lease_until, ...)
        added = [c.name for c in metadata.tables[name].columns if c.name not in release_0_1.tables[name].columns]
        for row in rows:
            row.update(dict.fromkeys(added))
            row.pop("token", None)
    for row in expected["subscribers"]:
        row["status"] = "active" if row.pop("active") else "unsubscribed"
    for name in metadata.tables.keys() - release_0_1.tables.keys():  # tables added since: empty
        expected[name] = []
    assert after == expected
    assert [r["status"] for r in after["subscribers"]].count("active") == 4

    # and the upgraded database works: new rows get fresh ids, the old ones are sent no more
    engine = open_engine(settings)
    added = add(engine, "new@example.org")
    assert added.outcome == "added" and added.subscriber.id > max(r["id"] for r in before["subscribers"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subscribers)).scalar() == 6
    engine.dispose()
    again = cli("db", "upgrade")
    assert again.returncode == 0 and "already at revision" in again.stdout


def test_an_unknown_newer_revision_is_named(empty_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    open_engine(settings).dispose()
    engine = connect(settings)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="9999.*newer version"):
        open_engine(settings)


PREVIOUS_HEAD = "0006"  # the schema of the code before the post log and send claims


def _database_at(url: str, revision: str) -> None:
    """A database as the code before the newest revision left it: the 0.1.0 rows, upgraded
    to ``revision``, plus rows in what that revision added (send Message-IDs, bounces, consents)."""
    from alembic import command

    _release_0_1_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        migrate._adopt_release_0_1(conn)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        t = MetaData()
        t.reflect(conn)
        conn.execute(
            text("UPDATE sends SET message_id = '<m@example.org>', bounce_token = 'tok' WHERE status = 'sent'")
        )
        conn.execute(
            insert(t.tables["bounce_events"]).values(
                email="r1@example.org", kind="hard", reason="userunknown", status="5.1.1", digest_id=1, received_at=NOW
            )
        )
        conn.execute(
            insert(t.tables["consents"]).values(email="r2@example.org", list="default", action="subscribe", at=NOW)
        )
    engine.dispose()


def test_a_database_at_the_previous_head_upgrades_keeping_every_row(
    empty_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = configure(monkeypatch, "memory://")
    url = database_url(settings)
    _database_at(url, PREVIOUS_HEAD)
    engine = create_engine(url)
    previous = MetaData()
    previous.reflect(engine)
    engine.dispose()
    before = _rows(url, previous)
    assert before["sends"] and before["bounce_events"] and before["consents"]

    refused = cli("subscribers", "list")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"error: {migrate.shown_url(create_engine(url))}: the database is at schema revision {PREVIOUS_HEAD}, "
        f"this digest needs {migrate.HEAD}; run `digest db upgrade` first"
    ]
    done = cli("db", "upgrade", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["to"] == migrate.HEAD

    after = _rows(url, metadata)
    expected = copy.deepcopy(before)
    expected.pop("alembic_version")
    for row in expected["sends"]:
        row.update(claimed_by=None, lease_until=None)  # nobody holds an old row
    expected["post_log"] = []  # a table of the newer revisions, empty until something is posted
    assert after == expected
    status = json.loads(cli("db", "status", "--json").stdout)
    assert status["revision"] == status["head"] == migrate.HEAD and status["up_to_date"] is True


def test_db_status_hides_the_password(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    name = postgres.create_database()  # empty
    try:
        with_password = postgres.url(name).replace("postgres@", "postgres:s3cret-pw@")
        monkeypatch.setenv("DIGEST_ARCHIVE__URL", with_password)  # the test server trusts local logins
        configure(monkeypatch, "memory://")
        result = cli("db", "status", "--json")
        assert result.returncode == 0, result.stderr
        status = json.loads(result.stdout)
        assert "s3cret-pw" not in result.stdout + result.stderr
        assert status == {
            "url": with_password.replace("s3cret-pw", "***"),
            "revision": None,
            "head": migrate.HEAD,
            "up_to_date": False,
        }
    finally:
        postgres.drop_database(name)
