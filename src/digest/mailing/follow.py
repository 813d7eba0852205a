"""`digest send --follow`: a sender that stays up and helps with every edition being sent.

Schedulers decide when an edition goes out (`digest schedule run`), and the leader starts it.
On a big list more machines can help: each runs `digest send --follow`, which every few
seconds looks for editions that another sender is working on right now (send-log rows claimed
under a lease that has not run out) and claims a share of them, exactly as a second
`digest send` of that edition would (digest.mailing.claims).

It never starts an edition and never resumes one that nobody is sending: a send stopped on
purpose (SIGTERM, Ctrl-C) stays stopped, and a fire whose scheduler died is finished by the
standby scheduler. It sends the frozen rendering, with the headers of its own config: every
sender must run with the same configuration.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, literal, select

from digest.config import Settings
from digest.errors import DigestError
from digest.mailing.send import SendReport, send_digest
from digest.mailing.sendlog import PENDING
from digest.storage.engine import open_engine
from digest.storage.schema import digests, sends, subscribers

log = logging.getLogger("digest.mailing.follow")

POLL = 2.0  # seconds between looks for editions in progress


RECENT = 20  # editions looked at: the newest ones (an edition in progress is one of them)


def editions_in_progress(engine: Engine) -> list[tuple[str, str]]:
    """(edition, list) pairs that some sender is sending right now.

    Cheap on a big send log, since it runs every few seconds on every follower: for each of
    the newest editions, the first pending row under a live lease, read off the (digest,
    status, id) index (claims go in id order, so it is near the front). One list per edition
    and poll: a follower sends one at a time anyway, and finds the next on its next look.
    """
    now: Any = func.now()  # the database's clock (one for every machine) on PostgreSQL; ours on SQLite
    if engine.dialect.name != "postgresql":
        now = literal(datetime.now(UTC), sends.c.lease_until.type)
    recent = select(digests.c.id, digests.c.edition).order_by(digests.c.id.desc()).limit(RECENT)
    claimed = (
        select(sends.c.subscriber_id)
        .where(
            sends.c.digest_id == bindparam("d"),
            sends.c.status == PENDING,
            sends.c.claimed_by.is_not(None),
            sends.c.lease_until > now,
        )
        .limit(1)
        .scalar_subquery()
    )
    on_list = select(subscribers.c.list).where(subscribers.c.id == claimed)
    found = []
    with engine.connect() as conn:
        for digest_id, edition in conn.execute(recent).all():
            list_name = conn.execute(on_list, {"d": digest_id}).scalar()
            if list_name is not None:
                found.append((str(edition), str(list_name)))
    return sorted(found)


def follow(
    settings: Settings,
    cancel: threading.Event,
    *,
    poll: float = POLL,
    on_report: Callable[[SendReport], None] | None = None,
) -> None:
    """Join editions in progress until ``cancel`` is set; a failed join is logged, not fatal."""
    engine = open_engine(settings)
    log.info("following: joining every edition another sender is sending (every %.0fs)", poll)
    try:
        while not cancel.is_set():
            for edition, list_name in editions_in_progress(engine):
                if cancel.is_set():
                    break
                log.info("edition %s (list %s) is being sent: joining", edition, list_name)
                try:
                    report = send_digest(settings, edition=edition, list_name=list_name, cancel=cancel)
                except DigestError as exc:
                    log.error("edition %s (list %s): %s", edition, list_name, exc)
                    continue
                log.info("edition %s (list %s): %d sent by this sender", edition, list_name, report.sent)
                if on_report is not None:
                    on_report(report)
            cancel.wait(poll)
    finally:
        engine.dispose()
