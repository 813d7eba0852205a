"""Editions: their names, their frozen rendering, and the locks that keep one build per edition.

An edition is named by the digest's date in the configured time zone, or by ``--edition``.
Its ``digests`` row (the frozen rendering) is shared by every subscriber list it goes to;
the send log keeps lists apart because a row is per subscriber, and a subscriber is on one
list: the same edition sent to two lists reaches each list's people once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.config import Settings
from digest.errors import DeliveryError, InputError
from digest.mailing.lists import DEFAULT_LIST
from digest.render.email import RenderedEmail
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


def _lock_file(settings: Settings, name: str) -> int:
    """An open descriptor on the data folder's lock file for ``name`` (made safe as a file name)."""
    folder = Path(settings.data_dir) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return os.open(folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.lock", os.O_RDWR | os.O_CREAT, 0o600)


@contextlib.contextmanager
def edition_lock(settings: Settings, edition: str, list_name: str = DEFAULT_LIST) -> Iterator[None]:
    """One `digest send` per edition and list at a time (two would mail the same pending people).

    An OS file lock: released by the kernel when the holder dies, so kill -9 leaves no
    stale lock behind.
    """
    key = edition if list_name == DEFAULT_LIST else f"{edition}@list-{list_name}"
    fd = _lock_file(settings, f"send-{key}")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            to = "" if list_name == DEFAULT_LIST else f" to list {list_name}"
            raise DeliveryError(f"edition {edition}: another `digest send` is sending it{to} right now") from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(settings: Settings, edition: str) -> Iterator[None]:
    """Runs for different lists that start one edition at once build and freeze it one at a
    time: the second finds the first's rendering and sends that (one edition, one rendering)."""
    fd = _lock_file(settings, f"build-{edition}")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits: building takes seconds, and the wait is the point
        yield
    finally:
        os.close(fd)
