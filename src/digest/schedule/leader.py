"""Which `digest schedule run` fires the jobs: one leader, any number standing by.

APScheduler 3 must never run two schedulers on one job store (each would fire every job), so
only the leader starts its scheduler. The leader holds a lock named for the job store
(digest.storage.locks): a PostgreSQL advisory lock, on a connection of its own, when the job
store is in PostgreSQL (schedulers on several machines); a file lock beside the SQLite job
store otherwise (schedulers on one machine).

A standby asks for the lock every ``failover_seconds / 10``. When the leader's process ends
(a crash, kill -9, a reboot) its database session or its file closes and the lock is free at
once; when its machine vanishes without a word, TCP keepalives set on the lock's session let
the server drop it within about ``failover_seconds``. The leader checks its own lock
connection as often: if the database dropped it (a network cut), it stops its scheduler and
stands by again rather than fire alongside the new leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from digest.config import Settings
from digest.storage.engine import connect
from digest.storage.locks import Held, LockBusy, locks_for

log = logging.getLogger("digest.schedule")

LOCK_NAME = "digest-scheduler-leader"


class Leadership:
    """The leader lock of the schedulers that share this configuration's job store."""

    def __init__(self, settings: Settings, jobstore: str) -> None:
        self.failover = float(settings.schedule.failover_seconds)
        self.engine = connect(url=jobstore)
        # a silent machine's lock is dropped within ~80% of failover; the rest is the standby's poll
        self.locks = locks_for(self.engine, settings, keepalive=0.8 * self.failover)
        self.poll = max(0.2, min(5.0, self.failover / 10))

    @contextlib.contextmanager
    def lead(self, stop: threading.Event) -> Iterator[Held | None]:
        """Wait until this process leads (yields the lock) or ``stop`` is set (yields None)."""
        try:
            with self.locks.hold(LOCK_NAME, wait=False) as held:
                yield held
                return
        except LockBusy:
            pass
        log.info(
            "standing by: another `digest schedule run` leads; taking over within %ds of it stopping",
            round(self.failover),
        )
        try:
            with self.locks.hold(LOCK_NAME, stop=stop, poll=self.poll) as held:
                log.warning("the leading scheduler stopped: this one leads now")
                yield held
        except LockBusy:  # stop was set while standing by
            yield None

    def watch(self, held: Held, lost: threading.Event, end: threading.Event) -> threading.Thread:
        """A thread that sets ``lost`` if the lock's database session goes away; it ends when
        ``end`` is set (join it before letting go of the lock)."""

        def check() -> None:
            while not end.wait(self.poll):
                if not held.alive():
                    log.error("lost the database session that made this scheduler the leader: standing by again")
                    lost.set()
                    return

        thread = threading.Thread(target=check, name="leader-watch", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.locks.close()
        self.engine.dispose()
