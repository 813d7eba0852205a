"""Claims on the send log, on SQLite and PostgreSQL: senders split an edition without overlap,
take over the recipients of a sender that ended, may take those whose lease ran out, and a
sender that lost a recipient that way never sends it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, and_, select, update
from tests.support.delivery import configure, seed
from tests.support.postgres import Database

from digest.deliver.base import OutgoingMessage, SendResult
from digest.mailing import editions, sendlog
from digest.mailing.claims import Claims
from digest.render.email import RenderedEmail
from digest.storage.engine import open_engine
from digest.storage.locks import Locks, locks_for
from digest.storage.schema import sends

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def edition(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Locks, int]]:
    """An engine, the locks for it, and an edition owed to 30 subscribers."""
    settings = configure(monkeypatch, "memory://")
    seed(settings, 30)
    engine = open_engine(settings)
    locks = locks_for(engine, settings)
    digest_id = editions.save_digest(engine, "e1", "T", RenderedEmail(subject="S", html="<p>h</p>", text="t"))
    assert sendlog.enqueue(engine, digest_id) == 30
    try:
        yield engine, locks, digest_id
    finally:
        locks.close()
        engine.dispose()


def _owners(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return {r.subscriber_id: r.claimed_by for r in conn.execute(select(sends.c.subscriber_id, sends.c.claimed_by))}


def test_senders_split_an_edition_without_overlap(edition: tuple[Engine, Locks, int]) -> None:
    engine, locks, digest_id = edition
    with (
        Claims(engine, locks, digest_id, "default", batch=7) as a,
        Claims(engine, locks, digest_id, "default", batch=7) as b,
    ):
        got_a, got_b = a._claim(), b._claim()
        assert len(got_a) == len(got_b) == 7
        assert not {t.id for t in got_a} & {t.id for t in got_b}
        rest = list(a.targets())  # a takes everything else, b's batch stays b's
        assert len(rest) == 30 - 14
        assert {t.id for t in got_a + got_b + rest} == set(_owners(engine))
        owners = _owners(engine)
        assert {owners[t.id] for t in got_b} == {b.sender}
        assert not a._claimable()  # the rest is b's while b lives
    assert set(_owners(engine).values()) == {None}, "unfinished claims are handed back on exit"


def test_rows_of_a_sender_that_ended_are_taken_over_at_once(edition: tuple[Engine, Locks, int]) -> None:
    engine, locks, digest_id = edition
    with engine.begin() as conn:  # what a sender killed mid-batch leaves: its claim, a long lease, no process
        lease = datetime.now(UTC) + timedelta(hours=1)
        conn.execute(update(sends).values(claimed_by="gone:123:deadbeef", lease_until=lease))
    with Claims(engine, locks, digest_id, "default") as survivor:
        assert list(survivor.targets()) == []  # nothing claimable while the lease runs...
        assert survivor.wait_for_rest() is True  # ...but its holder is gone: taken over
        assert len(list(survivor.targets())) == 30
        assert survivor.stats.taken_over == 30


def test_a_live_senders_expired_lease_is_claimable_and_it_then_sends_nothing(
    edition: tuple[Engine, Locks, int],
) -> None:
    engine, locks, digest_id = edition
    with Claims(engine, locks, digest_id, "default", batch=5, lease=3600) as slow:
        mine = slow._claim()
        journal = sendlog.SendLog(engine, digest_id, slow.sender)
        first = OutgoingMessage("from@example.com", mine[0].email, b"x", "<id@example.com>", ref=mine[0].id)
        journal.before_send(first)  # recorded: still its own
        journal.after_send(SendResult(first, ok=True, code=250, reply="ok"))
        journal.flush()
        with engine.begin() as conn:  # the slow sender froze past its lease
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(sends).where(sends.c.claimed_by == slow.sender).values(lease_until=past))
        with Claims(engine, locks, digest_id, "default", batch=100) as other:
            taken = {t.id for t in other.targets()}
        assert {t.id for t in mine[1:]} <= taken and mine[0].id not in taken  # sent rows are never owed again
        second = OutgoingMessage("from@example.com", mine[1].email, b"x", "<id2@example.com>", ref=mine[1].id)
        with pytest.raises(sendlog.ClaimLost, match="another sender took over"):
            journal.before_send(second)  # refused before a byte could leave
        journal.close()
    with engine.connect() as conn:
        attempts = dict(conn.execute(select(sends.c.subscriber_id, sends.c.attempts)).all())
    assert attempts[mine[0].id] == 1 and attempts[mine[1].id] == 0


def test_a_retry_run_takes_failed_rows_once(edition: tuple[Engine, Locks, int]) -> None:
    engine, locks, digest_id = edition
    with engine.begin() as conn:
        before = datetime.now(UTC) - timedelta(minutes=5)
        conn.execute(update(sends).where(sends.c.subscriber_id <= 10).values(status="failed", updated_at=before))
        conn.execute(update(sends).where(sends.c.subscriber_id > 10).values(status="sent"))
    with Claims(engine, locks, digest_id, "default", retry_failed=True) as retry:
        retried = list(retry.targets())
        assert len(retried) == 10
        with engine.begin() as conn:  # they fail again in this run
            conn.execute(update(sends).where(sends.c.subscriber_id <= 10).values(updated_at=datetime.now(UTC)))
        assert list(retry.targets()) == [] and retry.wait_for_rest() is False  # not again in the same run
    with Claims(engine, locks, digest_id, "default") as plain:
        assert list(plain.targets()) == []  # without retry_failed, failed rows are left alone


def test_a_follower_sees_only_editions_someone_is_sending(edition: tuple[Engine, Locks, int]) -> None:
    from digest.mailing.follow import editions_in_progress

    engine, locks, digest_id = edition
    assert editions_in_progress(engine) == []  # owed, but nobody is sending it
    with Claims(engine, locks, digest_id, "default", batch=5) as sender:
        assert sender._claim()
        assert editions_in_progress(engine) == [("e1", "default")]
        with engine.begin() as conn:  # its lease ran out (a machine that vanished): not in progress
            conn.execute(update(sends).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
        assert editions_in_progress(engine) == []
    assert editions_in_progress(engine) == []  # released when the sender ended


def test_lease_renewal_never_waits_for_a_row_the_send_log_is_writing(
    edition: tuple[Engine, Locks, int], database: Database
) -> None:
    """The send log holds a row between a message's outcome and the next attempt; a renewal
    that waited for it while holding rows the send log wants next would deadlock."""
    if database.kind != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite writes one transaction at a time")
    engine, locks, digest_id = edition
    with Claims(engine, locks, digest_id, "default", batch=5) as sender:
        batch = sender._claim()
        busy = engine.connect()
        held = busy.begin()
        row = and_(sends.c.digest_id == digest_id, sends.c.subscriber_id == batch[0].id)
        busy.execute(update(sends).where(row).values(attempts=sends.c.attempts + 1))  # locked until rolled back
        renewed: list[int] = []
        try:
            worker = threading.Thread(target=lambda: renewed.append(sender.renew()))
            worker.start()
            worker.join(10)
            assert not worker.is_alive(), "the renewal waited for the locked row"
            assert renewed == [len(batch) - 1]
        finally:
            held.rollback()
            busy.close()
        assert sender.renew() == len(batch)  # the next renewal takes it too
