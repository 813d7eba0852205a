"""Claims on the send log: any number of senders (processes, machines) share one edition.

A sender takes the recipients it will mail a batch at a time: it marks a batch of owed rows
with its own id (``claimed_by``) and a lease (``lease_until``), in one short transaction. On
PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``, so two senders never wait for
each other or take the same row; SQLite runs one writing transaction at a time, which does
the same on one machine. A heartbeat renews the lease of the sender's rows while it lives.

When a sender dies its rows go to the others. Each sender holds a liveness lock named after
its id (digest.storage.locks) for as long as it runs; the database, or the kernel, frees that
lock the moment the process ends, kill -9 included. A sender with nothing left to claim
looks at who holds the rest: rows of a sender whose liveness lock is free are released at
once, and any row whose lease ran out (a machine that vanished, a process frozen for longer
than the lease) is free to claim anyway. A sender ends when nothing is owed any more, so a
batch never strands with a dead sender.

What makes it exact is the send log's own rule (digest.mailing.sendlog): the attempt is
committed before a message leaves, and only while the row is still claimed by this sender.
So a taken-over row was either never started (sent once, by the new owner) or was the one
message in flight on one of the dead sender's connections (sent again, and counted).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, literal, or_, select, update

from digest.mailing.sendlog import FAILED, PENDING, UNKNOWN, Target
from digest.mailing.subscribers import ACTIVE
from digest.storage.locks import Locks
from digest.storage.schema import sends, subscribers

log = logging.getLogger("digest.mailing.claims")

BATCH = 50  # rows per claim: small enough that the last batches spread over every sender
DEFAULT_LEASE = 60.0


def new_sender_id() -> str:
    """``host:pid:random``: unique among every sender that ever works on the database."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


def _liveness(sender: str) -> str:
    return f"sender-{sender}"


@dataclass
class ClaimStats:
    claimed: int = 0
    resent: int = 0  # rows claimed with an attempt recorded and no outcome: sent again
    taken_over: int = 0  # rows released from senders found dead


class Claims:
    """This sender's share of one edition's recipients on one list.

    Use as a context manager (liveness lock and heartbeat), then iterate ``targets()``.
    """

    def __init__(
        self,
        engine: Engine,
        locks: Locks,
        digest_id: int,
        list_name: str,
        *,
        retry_failed: bool = False,
        retry_unknown: bool = False,
        batch: int = BATCH,
        lease: float = DEFAULT_LEASE,
        cancel: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.locks = locks
        self.digest_id = digest_id
        self.list_name = list_name
        self.retry_failed = retry_failed
        self.retry_unknown = retry_unknown
        self.batch = batch
        self.lease = lease
        self.cancel = cancel
        self.sender = new_sender_id()
        self.stats = ClaimStats()
        self.started = datetime.now(UTC)
        self._postgres = engine.dialect.name == "postgresql"
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._alive: Any = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Claims:
        self._alive = self.locks.hold(_liveness(self.sender), wait=False)
        self._alive.__enter__()
        self._heartbeat = threading.Thread(target=self._renew_loop, name="claims-heartbeat", daemon=True)
        self._heartbeat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        try:
            self.release()
        finally:
            self._alive.__exit__(None, None, None)
            self.locks.forget(_liveness(self.sender))

    # ------------------------------------------------------------ SQL pieces

    def _now(self) -> Any:
        """The database's clock on PostgreSQL (one clock for every machine); ours on SQLite."""
        return func.now() if self._postgres else literal(datetime.now(UTC), sends.c.lease_until.type)

    def _lease_end(self) -> Any:
        if self._postgres:
            return func.now() + timedelta(seconds=self.lease)
        return literal(datetime.now(UTC) + timedelta(seconds=self.lease), sends.c.lease_until.type)

    def _owed(self) -> ColumnElement[bool]:
        """Rows this run still owes a message (a retry run: also those failed, or left without an
        answer, before it began)."""
        again = [*([FAILED] if self.retry_failed else []), *([UNKNOWN] if self.retry_unknown else [])]
        wanted: ColumnElement[bool] = sends.c.status == PENDING
        if again:
            wanted = or_(wanted, and_(sends.c.status.in_(again), sends.c.updated_at < self.started))
        on_list = (
            select(subscribers.c.id)
            .where(subscribers.c.id == sends.c.subscriber_id)
            .where(subscribers.c.status == ACTIVE, subscribers.c.list == self.list_name)
            .exists()
        )
        return and_(sends.c.digest_id == self.digest_id, wanted, on_list)

    def _free(self) -> ColumnElement[bool]:
        """Unclaimed, or another sender's lease ran out (never our own rows: they may be in our
        pipeline already, and handing them out twice would mail them twice)."""
        expired = and_(sends.c.lease_until < self._now(), sends.c.claimed_by != self.sender)
        return or_(sends.c.claimed_by.is_(None), expired)

    def _unlocked(self, *where: ColumnElement[bool]) -> ColumnElement[bool]:
        """Rows matching ``where`` that no other transaction is writing right now.

        An update of many rows locks them one by one; if another transaction holds one of them
        and waits for one we hold, PostgreSQL kills one of the two (a deadlock). The send log
        does exactly that (a message's outcome, then the next message's attempt, in one
        transaction), so updates of a batch skip the rows it holds (``SKIP LOCKED``). SQLite
        writes one transaction at a time and needs none of this."""
        if not self._postgres:
            return and_(*where)
        busy_free = select(sends.c.id).where(*where).with_for_update(skip_locked=True)
        return sends.c.id.in_(busy_free.scalar_subquery())

    def _mine(self) -> ColumnElement[bool]:
        return and_(
            sends.c.digest_id == self.digest_id,
            sends.c.claimed_by == self.sender,
            sends.c.status.in_([PENDING, FAILED, UNKNOWN]),
        )

    # ------------------------------------------------------------ claiming

    def _claim(self) -> list[Target]:
        pick = (
            select(sends.c.id)
            .where(self._owed(), self._free())
            .order_by(sends.c.id)
            .limit(self.batch)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(sends)
            .where(sends.c.id.in_(pick.scalar_subquery()))
            .values(claimed_by=self.sender, lease_until=self._lease_end())
            .returning(sends.c.id, sends.c.subscriber_id, sends.c.status, sends.c.attempts)
        )
        with self.engine.begin() as conn:
            rows = sorted(conn.execute(claim).all())
            if not rows:
                return []
            ids = [r.subscriber_id for r in rows]
            people = {
                p.id: p
                for p in conn.execute(
                    select(subscribers.c.id, subscribers.c.email, subscribers.c.name, subscribers.c.token).where(
                        subscribers.c.id.in_(ids)
                    )
                )
            }
        self.stats.claimed += len(rows)
        self.stats.resent += sum(1 for r in rows if r.status == PENDING and r.attempts > 0)
        return [Target(i, people[i].email, people[i].name, people[i].token) for i in ids if i in people]

    def _others(self) -> list[str]:
        """Senders holding rows still owed (their lease not run out)."""
        query = (
            select(sends.c.claimed_by)
            .where(self._owed(), sends.c.claimed_by != self.sender, sends.c.lease_until >= self._now())
            .distinct()
        )
        with self.engine.connect() as conn:
            return [str(s) for s in conn.execute(query).scalars()]

    def _take_over(self, others: list[str]) -> int:
        """Release the rows of senders whose liveness lock is free (they ended)."""
        released = 0
        for other in others:
            if self.locks.held_elsewhere(_liveness(other)):
                continue
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(sends)
                    .where(self._unlocked(self._owed(), sends.c.claimed_by == other))
                    .values(claimed_by=None, lease_until=None)
                )
            n = max(done.rowcount or 0, 0)
            if n:
                log.warning("sender %s ended with %d recipient(s) claimed: taking them over", other, n)
                self.stats.taken_over += n
                released += n
        return released

    def targets(self) -> Iterator[Target]:
        """Claim and hand out batches until nothing more can be claimed right now.

        Never waits: a sender must not sit on a message's unrecorded outcome while it waits
        for another sender, which may be waiting for it (see ``wait_for_rest``)."""
        while not (self.cancel is not None and self.cancel.is_set()) and (batch := self._claim()):
            yield from batch

    def wait_for_rest(self) -> bool:
        """After a pass of ``targets()`` (every outcome recorded): wait while other live senders
        hold the rest; True when some of it became claimable (a sender ended, a lease ran
        out), False when nothing is owed any more (or ``cancel`` is set)."""
        poll = max(0.05, min(1.0, self.lease / 4))
        while not (self.cancel is not None and self.cancel.is_set()):
            others = self._others()
            if self._claimable():
                return True
            if not others:
                return False
            if self._take_over(others):
                return True
            (self.cancel or self._stop).wait(poll)
        return False

    def _claimable(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(sends.c.id).where(self._owed(), self._free()).limit(1)).first() is not None

    # ------------------------------------------------------------ the lease

    def _renew_loop(self) -> None:
        every = max(0.05, self.lease / 3)
        while not self._stop.wait(every):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - a missed renewal is survivable; the next one retries
                log.warning("could not renew the claim on recipients: %s", exc)

    def renew(self) -> int:
        """Extend the lease of this sender's rows; returns how many. A row the send log is
        writing at this instant is left for the next renewal (its lease has two thirds to go)."""
        with self.engine.begin() as conn:
            done = conn.execute(update(sends).where(self._unlocked(self._mine())).values(lease_until=self._lease_end()))
        return max(done.rowcount or 0, 0)

    def release(self) -> None:
        """Hand back what this sender claimed and did not finish (a cancel, an error)."""
        with self.engine.begin() as conn:
            conn.execute(update(sends).where(self._mine()).values(claimed_by=None, lease_until=None))
