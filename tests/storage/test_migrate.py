"""Schema revisions: fresh databases start at head, 0.1.0 files upgrade keeping every row, and
the migrations always build exactly the schema the code declares."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, insert, select, text
from tests.support.delivery import cli, configure

from digest.errors import DatabaseError
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


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    """Upgrading an empty database through every migration gives schema.py's tables, no more, no less."""
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with engine.begin() as conn:
        migrate._adopt_release_0_1(conn)  # what `digest db upgrade` does to a 0.1.0 file: the baseline
    before, after = migrate.upgrade(engine)
    assert (before, after) == (migrate.BASELINE, migrate.HEAD)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == [], f"schema.py and the migrations disagree: {diffs}"
    engine.dispose()


def test_a_fresh_database_is_created_at_head(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    open_engine(settings).dispose()
    result = cli("db", "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status == {"url": database_url(settings), "revision": migrate.HEAD, "head": migrate.HEAD, "up_to_date": True}


def _release_0_1_file(path: Path) -> None:
    """A database as digest 0.1.0 left it: every table, no revision, some rows."""
    engine = create_engine(f"sqlite:///{path}")
    release_0_1.create_all(engine)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with engine.begin() as conn:
        for i in range(5):
            conn.execute(
                insert(release_0_1.tables["subscribers"]).values(
                    id=i + 1, list="default", email=f"r{i}@example.org", active=True, created_at=now
                )
            )
        conn.execute(
            insert(release_0_1.tables["digests"]).values(id=1, edition="2026-01-05", title="T", created_at=now)
        )
        conn.execute(
            insert(release_0_1.tables["sends"]).values(
                digest_id=1, subscriber_id=1, status="sent", attempts=1, updated_at=now
            )
        )
    engine.dispose()


def test_a_release_0_1_database_is_refused_then_upgraded_keeping_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    path = Path(settings.data_dir) / "digest.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    _release_0_1_file(path)

    with pytest.raises(DatabaseError, match="run `digest db upgrade` first"):
        open_engine(settings)
    refused = cli("send", "--dry-run")
    assert refused.returncode == 1 and "digest db upgrade" in refused.stderr and "Traceback" not in refused.stderr
    status = json.loads(cli("db", "status", "--json").stdout)
    assert status["revision"] is None and status["up_to_date"] is False

    done = cli("db", "upgrade", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["to"] == migrate.HEAD
    engine = open_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subscribers)).scalar() == 5
        assert conn.execute(text("SELECT status FROM sends")).scalar() == "sent"
        # every row got its own link selector, so the opaque links work for old subscribers too
        selectors = conn.execute(select(subscribers.c.token)).scalars().all()
        assert len(set(selectors)) == 5 and all(s and len(s) == 26 for s in selectors)
    engine.dispose()
    again = cli("db", "upgrade")
    assert again.returncode == 0 and "already at revision" in again.stdout


def test_an_unknown_newer_revision_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    open_engine(settings).dispose()
    engine = connect(settings)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="9999.*newer version"):
        open_engine(settings)
