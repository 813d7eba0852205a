"""Schema revisions: which one a database is at, creating it fresh, and upgrading it (Alembic).

The running code checks the revision without importing Alembic (it costs ~0.3 s to import):
``HEAD`` names the newest revision under ``migrations/versions`` (a test keeps the two in step),
and Alembic's own ``alembic_version`` table says where a database is. Alembic is loaded only by
``upgrade``, i.e. by `digest db upgrade`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from digest.errors import DatabaseError
from digest.storage.legacy import release_0_1
from digest.storage.schema import metadata

HEAD = "0008_send_claims"
BASELINE = "0001"  # the schema of digest 0.1.0, whose databases carry no revision at all
VERSION_TABLE = "alembic_version"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x6469_6765_7374  # "digest": the PostgreSQL advisory lock for schema changes


@dataclass(frozen=True)
class Status:
    url: str  # password hidden
    revision: str | None  # None: empty, or made by digest 0.1.0
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def to_json(self) -> dict[str, object]:
        return {"url": self.url, "revision": self.revision, "head": self.head, "up_to_date": self.up_to_date}


def shown_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def revision_of(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _has_digest_tables(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return bool(names & set(metadata.tables))


def status(engine: Engine) -> Status:
    with engine.connect() as conn:
        revision = revision_of(conn)
        empty = revision is None and not _has_digest_tables(conn)
    return Status(shown_url(engine), revision, HEAD, empty)


def ensure_current(engine: Engine) -> None:
    """Create an empty database at HEAD; accept one at HEAD; refuse anything else, saying why."""
    with engine.connect() as conn:
        revision = revision_of(conn)
    if revision == HEAD:
        return
    if revision is None:
        with _schema_lock(engine), engine.begin() as conn:
            if revision_of(conn) == HEAD:
                return  # another process created it while we waited
            if not _has_digest_tables(conn):
                metadata.create_all(conn)
                _stamp(conn, HEAD)
                return
    raise DatabaseError(_out_of_date(engine, revision))


def _out_of_date(engine: Engine, revision: str | None) -> str:
    where = shown_url(engine)
    if revision is None:
        return f"{where}: this database was made by an earlier digest; run `digest db upgrade` first"
    if revision in known_revisions():
        return (
            f"{where}: the database is at schema revision {revision}, this digest needs {HEAD}; "
            "run `digest db upgrade` first"
        )
    return (
        f"{where}: the database is at schema revision {revision}, which this digest does not know "
        f"(made by a newer version?); it needs {HEAD}"
    )


_REVISION_LINE = re.compile(r"""^revision\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def known_revisions() -> set[str]:
    """Revision ids of the migration files (read from their ``revision = "..."`` line, no Alembic import)."""
    found = set()
    for path in (_MIGRATIONS / "versions").glob("r*_*.py"):
        match = _REVISION_LINE.search(path.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return found


def _stamp(conn: Connection, revision: str) -> None:
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
            f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
        )
    )
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:r)"), {"r": revision})


@contextlib.contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """One process at a time creates or upgrades a schema: an advisory lock on PostgreSQL, a
    lock file beside an SQLite file (released by the kernel if the holder dies)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
        return
    database = make_url(str(engine.url)).database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.schema-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to HEAD (creating it if empty); returns (revision before, after).

    All of it happens in one transaction: a failure leaves the database as it was.
    """
    from alembic import command
    from alembic.config import Config

    with _schema_lock(engine), engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # SQLite alters a table by copying it; foreign keys must not fire meanwhile (the
            # pragma only takes effect outside a transaction). Checked again before commit.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                before = revision_of(conn)
                if before is None and not _has_digest_tables(conn):
                    metadata.create_all(conn)
                    _stamp(conn, HEAD)
                    return None, HEAD
                if before is None:
                    _adopt_release_0_1(conn)
                config = Config()
                config.set_main_option("script_location", str(_MIGRATIONS))
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if conn.dialect.name == "sqlite":
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise DatabaseError(
                            f"{shown_url(engine)}: upgrade stopped: a row of {broken[0]} lost its parent"
                        )
                after = revision_of(conn) or HEAD
        except SQLAlchemyError as exc:
            reason = " ".join(str(getattr(exc, "orig", exc) or exc).split())
            raise DatabaseError(f"{shown_url(engine)}: upgrade failed, nothing changed: {reason}") from exc
        finally:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
    return before, after


def _adopt_release_0_1(conn: Connection) -> None:
    """A database of digest 0.1.0 (no revision): fill in what it may lack, then mark it BASELINE.

    A file made before subscriber lists has no ``list`` column. Its old one-address-one-row
    uniqueness stays (SQLite cannot drop it in place), so there an address can be on one list
    only; digest.mailing.subscribers says so when it matters.
    """
    release_0_1.create_all(conn)  # tables an early file may not have had (checkfirst)
    columns = {c["name"] for c in inspect(conn).get_columns("subscribers")}
    if "list" not in columns:
        conn.execute(text("ALTER TABLE subscribers ADD COLUMN list VARCHAR(64) NOT NULL DEFAULT 'default'"))
        conn.execute(
            text("CREATE UNIQUE INDEX IF NOT EXISTS uq_subscriber_list_email_upgraded ON subscribers (list, email)")
        )
    _stamp(conn, BASELINE)
