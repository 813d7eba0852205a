"""The engine: SQLite under DIGEST_DATA_DIR by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from digest.config import Settings
from digest.storage.schema import metadata


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
    """An engine with every table created; WAL mode on SQLite so readers never block a send."""
    if url is None:
        if settings is None:
            raise ValueError("open_engine needs settings or a url")
        url = database_url(settings)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    if engine.dialect.name == "sqlite":
        _add_list_column(engine)
    return engine


def _add_list_column(engine: Engine) -> None:
    """A database made before subscriber lists: add the column (everyone on "default").

    The old table keeps its one-address-one-row uniqueness (SQLite cannot drop it in place),
    so there an address can be on one list only; digest.mailing.subscribers says so when it matters.
    """
    with engine.connect() as conn:
        columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(subscribers)")}
    if "list" in columns:
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE subscribers ADD COLUMN list VARCHAR(64) NOT NULL DEFAULT 'default'")
        conn.exec_driver_sql(
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_subscriber_list_email_upgraded ON subscribers (list, email)"
        )
