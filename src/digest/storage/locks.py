"""Named locks shared by every process that uses one database, and released when a holder dies.

On PostgreSQL a lock is a session advisory lock, held on a connection of its own: every
machine that reaches the database sees it, and the server frees it the moment the holder's
session ends (kill -9 closes the socket; a machine that vanishes is noticed by the TCP
keepalives set on that session). On SQLite, whose users all sit on one machine, it is an OS
file lock beside the database file, which the kernel frees when the holder's process ends.

Who holds a lock can be asked without taking it for long (``held_elsewhere``): that is how
a sender learns that another sender died (digest.mailing.claims) and how a standby scheduler
learns that the leader is gone (digest.schedule.leader).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from digest.config import Settings


class LockBusy(Exception):
    """The lock is held by another process (and the caller asked not to wait)."""


def advisory_key(name: str) -> int:
    """A lock name as PostgreSQL's 64-bit advisory lock key (stable across processes and versions)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class Held(Protocol):
    """A lock this process holds."""

    waited: bool  # another process held it when we first asked

    def alive(self) -> bool:
        """Still ours? (False once the database session holding it is gone.)"""
        ...


class Locks(Protocol):
    def hold(
        self, name: str, *, wait: bool = True, stop: threading.Event | None = None, poll: float = 0.1
    ) -> contextlib.AbstractContextManager[Held]:
        """Take ``name``; waits (polling) unless ``wait`` is False (then LockBusy). A ``stop``
        set while waiting raises LockBusy too."""
        ...

    def held_elsewhere(self, name: str) -> bool:
        """Whether another process holds ``name`` right now."""
        ...

    def forget(self, name: str) -> None:
        """Tidy up after a one-off name (a finished sender's) once it is released."""
        ...

    def close(self) -> None: ...


def _pause(stop: threading.Event | None, seconds: float) -> bool:
    """Sleep a little; True if ``stop`` was set meanwhile."""
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)


def locks_for(engine: Engine, settings: Settings | None = None, *, keepalive: float = 10.0) -> Locks:
    """Advisory locks on PostgreSQL; file locks beside an SQLite file (or in the data folder).

    ``keepalive``: on PostgreSQL, roughly how many seconds after a lock holder's machine stops
    answering the server frees its locks.
    """
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine, keepalive)
    database = make_url(str(engine.url)).database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(f"{database}.locks")
    else:
        folder = Path(settings.data_dir if settings else ".digest") / "locks"
    return FileLocks(folder)


# ------------------------------------------------------------------ PostgreSQL


@dataclass
class _AdvisoryHeld:
    conn: Connection
    waited: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def alive(self) -> bool:
        with self._lock:
            try:
                self.conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                return False


class AdvisoryLocks:
    """PostgreSQL session advisory locks, each on its own connection (never a pooled one: a
    connection handed back to a pool would keep the lock for whoever borrows it next)."""

    def __init__(self, engine: Engine, keepalive: float = 10.0) -> None:
        self.engine = engine
        idle = max(1, int(keepalive / 3))
        self._session_setup = (
            # the server drops a holder whose machine went silent within about ``keepalive`` s
            f"SET tcp_keepalives_idle = {idle}; SET tcp_keepalives_interval = {idle}; "
            f"SET tcp_keepalives_count = 2; SET tcp_user_timeout = {idle * 3000}"
        )
        # and this side notices a dead server or network as fast
        args: dict[str, Any] = {"keepalives": 1, "keepalives_idle": idle, "keepalives_interval": idle}
        args.update(keepalives_count=2, tcp_user_timeout=idle * 3000, connect_timeout=max(2, idle * 2))
        self._lock_engine = create_engine(engine.url, poolclass=NullPool, connect_args=args)

    def _connect(self) -> Connection:
        conn = self._lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(self._session_setup)
        return conn

    @contextlib.contextmanager
    def hold(
        self, name: str, *, wait: bool = True, stop: threading.Event | None = None, poll: float = 0.1
    ) -> Iterator[Held]:
        key = advisory_key(name)
        conn = self._connect()
        try:
            held = _AdvisoryHeld(conn)
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                held.waited = True
                if not wait or _pause(stop, poll):
                    raise LockBusy(name)
            yield held
        finally:
            with contextlib.suppress(SQLAlchemyError):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            with contextlib.suppress(SQLAlchemyError):
                conn.close()  # ending the session frees the lock in any case

    def held_elsewhere(self, name: str) -> bool:
        # A transaction-level try: if we get it, nobody else has it; the commit lets it go.
        with self.engine.begin() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": advisory_key(name)}).scalar()
        return not got

    def forget(self, name: str) -> None:
        pass  # nothing is left behind

    def close(self) -> None:
        self._lock_engine.dispose()


# ------------------------------------------------------------------ files (SQLite)


@dataclass
class _FileHeld:
    waited: bool = False

    def alive(self) -> bool:
        return True  # the kernel never takes a file lock away from a living process


class FileLocks:
    """flock(2) on one file per name: every process on this machine that uses the SQLite file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.lock"

    @contextlib.contextmanager
    def hold(
        self, name: str, *, wait: bool = True, stop: threading.Event | None = None, poll: float = 0.1
    ) -> Iterator[Held]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            held = _FileHeld()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    held.waited = True
                    if not wait or _pause(stop, poll):
                        raise LockBusy(name) from None
            yield held
        finally:
            os.close(fd)

    def held_elsewhere(self, name: str) -> bool:
        try:
            fd = os.open(self.path(name), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def forget(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def close(self) -> None:
        pass
