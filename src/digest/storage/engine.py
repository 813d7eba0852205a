"""The engine: SQLite under DIGEST_DATA_DIR by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from digest.config import Settings
from digest.storage import migrate


def database_url(settings: Settings) -> str:
    if settings.archive.url:
        return settings.archive.url
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'digest.sqlite3').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_engine(settings: Settings | None = None, url: str | None = None) -> Engine:
    """An engine on an up-to-date database; WAL mode on SQLite so readers never block a send.

    A database that does not exist yet is created at the current schema. One made by an
    earlier digest stops here with DatabaseError naming `digest db upgrade` (a schema change
    is never made behind the user's back: on a shared PostgreSQL another version may still run).
    """
    engine = connect(settings, url)
    try:
        migrate.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def connect(settings: Settings | None = None, url: str | None = None) -> Engine:
    """An engine without any schema check (for `digest db` itself)."""
    if url is None:
        if settings is None:
            raise ValueError("open_engine needs settings or a url")
        url = database_url(settings)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
