"""Editions: their names, their frozen rendering, and the lock that keeps one build per edition.

An edition is named by the digest's date in the configured time zone, or by ``--edition``.
Its ``digests`` row (the frozen rendering) is shared by every subscriber list it goes to;
the send log keeps lists apart because a row is per subscriber, and a subscriber is on one
list: the same edition sent to two lists reaches each list's people once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.config import Settings
from digest.errors import InputError
from digest.render.email import RenderedEmail
from digest.storage.locks import Held, Locks
from digest.storage.schema import digests


def _now() -> datetime:
    return datetime.now(UTC)


def edition_date(settings: Settings, today: date | None = None) -> date:
    return today or datetime.now(ZoneInfo(settings.digest.timezone)).date()


def edition_name(settings: Settings, edition: str | None = None, today: date | None = None) -> str:
    """``--edition NAME`` if given, else the digest's date (configured time zone), ISO format."""
    if edition is None:
        return edition_date(settings, today).isoformat()
    name = edition.strip()
    if not name or len(name) > 200 or any(ord(ch) < 32 for ch in name):
        raise InputError(f"--edition {edition!r}: expected a short name without control characters")
    return name


def find_digest(engine: Engine, edition: str) -> tuple[int, RenderedEmail | None] | None:
    """(digest id, its stored rendering if a real send has started) for an edition."""
    with engine.connect() as conn:
        row = conn.execute(
            select(digests.c.id, digests.c.subject, digests.c.html, digests.c.text).where(digests.c.edition == edition)
        ).first()
    if row is None:
        return None
    rendered = None
    if row.html is not None and row.text is not None:
        rendered = RenderedEmail(subject=row.subject or "", html=row.html, text=row.text)
    return row.id, rendered


# An edition under review (a job with approve = true) is sent only once approved.
DRAFT, APPROVED, DISCARDED = "draft", "approved", "discarded"


def check_sendable(engine: Engine, edition: str) -> None:
    """InputError when the edition waits for review or was discarded: only approval sends it."""
    with engine.connect() as conn:
        status = conn.execute(select(digests.c.status).where(digests.c.edition == edition)).scalar()
    if status == DRAFT:
        raise InputError(
            f"edition {edition} is a draft waiting for review: send it with `digest editions approve {edition}` "
            f"(or drop it with `digest editions discard {edition}`)"
        )
    if status == DISCARDED:
        raise InputError(f"edition {edition} was discarded by an editor: it is never sent")


def save_digest(
    engine: Engine, edition: str, title: str, rendered: RenderedEmail, data: dict[str, Any] | None = None
) -> int:
    """Freeze an edition's rendering: every later run of this edition sends exactly this.

    ``data`` (the digest as data) is kept beside it for the web archive and feeds. If another
    run froze it first, theirs stands (``find_digest`` returns it)."""
    values: dict[str, Any] = {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}
    if data is not None:
        values["data"] = data
    try:
        with engine.begin() as conn:
            row = conn.execute(
                select(digests.c.id, digests.c.html, digests.c.data).where(digests.c.edition == edition)
            ).first()
            if row is None:
                result = conn.execute(insert(digests).values(edition=edition, title=title, created_at=_now(), **values))
                return int(result.inserted_primary_key[0])  # type: ignore[index]
            if row.html is None:
                if row.data is not None:
                    values.pop("data", None)  # a reviewed draft's data carries the editors' edits
                conn.execute(update(digests).where(digests.c.id == row.id).values(**values))
            return int(row.id)
    except IntegrityError:  # a run on another machine (shared database) inserted it just now
        with engine.connect() as conn:
            return int(conn.execute(select(digests.c.id).where(digests.c.edition == edition)).scalar_one())


def mark_complete(engine: Engine, digest_id: int) -> None:
    """Set the edition's sent_at once: from then on its stories are no longer new."""
    with engine.begin() as conn:
        conn.execute(
            update(digests).where(digests.c.id == digest_id, digests.c.sent_at.is_(None)).values(sent_at=_now())
        )


@contextlib.contextmanager
def build_lock(locks: Locks, edition: str) -> Iterator[Held]:
    """Senders that start one edition at once (lists, processes, machines) build and freeze it
    one at a time: the next finds the first's rendering and sends that (one edition, one
    rendering). An advisory lock on PostgreSQL, a file lock on SQLite; either is freed if its
    holder dies."""
    with locks.hold(f"build-{edition}", poll=0.1) as held:  # waits: building takes seconds, the wait is the point
        yield held
