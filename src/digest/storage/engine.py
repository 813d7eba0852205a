"""The engine: SQLite under DIGEST_DATA_DIR by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from digest.config import Settings
from digest.errors import ConfigError
from digest.storage import migrate


def database_url(settings: Settings) -> str:
    if settings.archive.url:
        return settings.archive.url
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'digest.sqlite3').resolve()}"


def _sqlite_pragmas(busy_ms: int) -> Any:
    def setup(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()

    return setup


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
    target = _with_driver(url)
    try:
        engine = create_engine(target)
    except ImportError as exc:
        shown = target.render_as_string(hide_password=True)
        if target.get_backend_name() == "postgresql":
            raise ConfigError(
                f"{shown}: PostgreSQL needs the psycopg driver: pip install 'digest[postgres]' ({exc})"
            ) from None
        raise ConfigError(f"{shown}: the database driver is not installed ({exc})") from None
    if engine.dialect.name == "sqlite":
        busy = settings.archive.busy_timeout if settings is not None else 10.0
        event.listen(engine, "connect", _sqlite_pragmas(int(busy * 1000)))
    return engine


def _with_driver(url: str) -> URL:
    """A plain ``postgresql://`` (or ``postgres://``) URL uses psycopg 3, the driver the
    ``postgres`` extra installs (SQLAlchemy's own default would be psycopg2)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("[archive] url: not a database URL (expected e.g. postgresql://user@host/digest)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def driver_url(url: str) -> str:
    """``url`` as SQLAlchemy should open it (a plain postgresql:// names psycopg 3), for
    libraries that make their own engine (APScheduler's job store)."""
    return _with_driver(url).render_as_string(hide_password=False)


def explain(exc: BaseException, settings: Settings | None) -> str | None:
    """One line for a database or disk failure a user can act on (None: not one of those).

    SQLAlchemy's own message carries the SQL statement; a user needs the file and what to do.
    """
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        reason = " ".join(str(exc.orig).split()).lower()
        where = _where(settings)
        if "database is locked" in reason or "could not obtain lock" in reason:
            return f"{where}: the database is busy (another digest is writing to it); try again in a moment"
        if "readonly database" in reason or "read-only" in reason:
            return f"{where}: the database is read-only: digest needs to write to it (check the file's permissions)"
        if "disk is full" in reason or "no space" in reason:
            return f"{where}: the disk is full: free some space and run the command again"
        if "unable to open database" in reason:
            return f"{where}: cannot open the database file: does its folder exist, and may digest write there?"
        if "disk i/o error" in reason:
            return f"{where}: the disk failed to read or write the database (disk I/O error)"
        if "could not connect" in reason or "connection refused" in reason:
            return f"{where}: cannot reach the database server: {reason}"
        return f"{where}: database error: {reason}"
    if isinstance(exc, OSError) and exc.filename:
        import errno

        what = {
            errno.EROFS: "the file system is read-only",
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is used up",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
        }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return f"{exc.filename}: cannot write: {what}"
    return None


def _where(settings: Settings | None) -> str:
    if settings is None:
        return "the database"
    if settings.archive.url:
        from sqlalchemy.engine import make_url

        return make_url(settings.archive.url).render_as_string(hide_password=True)
    return str((Path(settings.data_dir) / "digest.sqlite3").resolve())
