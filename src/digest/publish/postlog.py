"""The post log: one row per social post, keyed on (story, account, thread part).

It is what makes posting safe to repeat. A row is written (``attempting``) and committed
before a post leaves, and the platform's answer (``posted`` with its id and URL, or
``failed`` with its message) after; a re-run finds the row and never posts it twice. Where a
platform has no duplicate guard of its own (X), a row left ``attempting`` means "may have gone
out" and is only retried when a person says so.

Scheduled posts wait here too: ``queued`` (for an editor's approval) and ``approved`` (to go
out at ``not_before``), so a restart of the scheduler keeps them. ``dropped`` is an editor's no.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from digest.errors import InputError
from digest.publish.base import LinkCard, PostKey, PostRef, PostRequest, PostResult
from digest.storage.schema import post_log

QUEUED, APPROVED, ATTEMPTING, POSTED, FAILED, DROPPED = (
    "queued",
    "approved",
    "attempting",
    "posted",
    "failed",
    "dropped",
)
STATUSES = (QUEUED, APPROVED, ATTEMPTING, POSTED, FAILED, DROPPED)
WAITING = (QUEUED, APPROVED, ATTEMPTING, FAILED)  # what `digest social queue` shows
_MAX_MESSAGE = 2000


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LoggedPost:
    """One row of the post log."""

    id: int
    story: str
    account: str
    part: int
    platform: str
    status: str
    text: str
    data: Mapping[str, Any]
    job: str | None
    not_before: datetime | None
    attempts: int
    platform_id: str | None
    platform_cid: str | None
    url: str | None
    message: str | None
    created_at: datetime
    updated_at: datetime
    posted_at: datetime | None

    @property
    def key(self) -> PostKey:
        return PostKey(self.story, self.account, self.part)

    @property
    def ref(self) -> PostRef | None:
        if self.platform_id is None:
            return None
        return PostRef(id=self.platform_id, cid=self.platform_cid, url=self.url)

    def request(self) -> PostRequest:
        """The request this row stands for (text as last edited)."""
        card = self.data.get("card")
        return PostRequest(
            text=self.text,
            key=self.key,
            facets=self.data.get("facets"),
            card=LinkCard(**card) if card else None,
            language=self.data.get("language"),
        )


def request_data(request: PostRequest, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parts of a request besides its text and key, as JSON for the ``data`` column."""
    data: dict[str, Any] = dict(extra or {})
    if request.facets:
        data["facets"] = [dict(f) for f in request.facets]
    if request.card is not None:
        card = request.card
        data["card"] = {"uri": card.uri, "title": card.title, "description": card.description}
        if card.thumb_url:
            data["card"]["thumb_url"] = card.thumb_url
    if request.language:
        data["language"] = request.language
    return data


def _row(r: Any) -> LoggedPost:
    return LoggedPost(
        id=r.id,
        story=r.story,
        account=r.account,
        part=r.part,
        platform=r.platform,
        status=r.status,
        text=r.text,
        data=r.data or {},
        job=r.job,
        not_before=_aware(r.not_before),
        attempts=r.attempts,
        platform_id=r.platform_id,
        platform_cid=r.platform_cid,
        url=r.url,
        message=r.message,
        created_at=_aware(r.created_at) or _now(),
        updated_at=_aware(r.updated_at) or _now(),
        posted_at=_aware(r.posted_at),
    )


# ------------------------------------------------------------------ reading


def find(engine: Engine, key: PostKey) -> LoggedPost | None:
    q = select(post_log).where(
        post_log.c.story == key.story, post_log.c.account == key.account, post_log.c.part == key.part
    )
    with engine.connect() as conn:
        r = conn.execute(q).first()
    return _row(r) if r is not None else None


def get(engine: Engine, post_id: int) -> LoggedPost:
    with engine.connect() as conn:
        r = conn.execute(select(post_log).where(post_log.c.id == post_id)).first()
    if r is None:
        raise InputError(f"no post {post_id} in the post log (see `digest social queue`)")
    return _row(r)


def listing(engine: Engine, statuses: Sequence[str] = WAITING) -> list[LoggedPost]:
    """Rows with these statuses: queued first, then by when they go out, then by id."""
    q = (
        select(post_log)
        .where(post_log.c.status.in_(list(statuses)))
        .order_by(post_log.c.not_before.is_(None).desc(), post_log.c.not_before, post_log.c.id)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


def counts(engine: Engine) -> dict[str, int]:
    """status -> rows, every status present (zero when none)."""
    found = dict.fromkeys(STATUSES, 0)
    with engine.connect() as conn:
        for status, n in conn.execute(select(post_log.c.status, func.count()).group_by(post_log.c.status)):
            found[status] = n
    return found


def due(engine: Engine, now: datetime | None = None, stale_after: timedelta = timedelta(minutes=5)) -> list[LoggedPost]:
    """Approved posts whose time has come, and scheduled posts a crash left ``attempting``
    (the caller re-posts only those whose platform recognises a repeat)."""
    now = now or _now()
    q = (
        select(post_log)
        .where(
            or_(
                and_(post_log.c.status == APPROVED, post_log.c.not_before <= now),
                and_(
                    post_log.c.status == ATTEMPTING,
                    post_log.c.job.is_not(None),
                    post_log.c.updated_at <= now - stale_after,
                ),
            )
        )
        .order_by(post_log.c.not_before, post_log.c.id)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


# ------------------------------------------------------------------ writing


def add(
    engine: Engine,
    request: PostRequest,
    platform: str,
    status: str,
    *,
    job: str | None = None,
    not_before: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[LoggedPost, bool]:
    """Insert the row for ``request`` unless one exists; (the row, whether it is new).

    An ``attempting`` row counts its first attempt: it is committed before the post leaves.
    """
    now = _now()
    values = {
        "story": request.key.story,
        "account": request.key.account,
        "part": request.key.part,
        "platform": platform,
        "status": status,
        "text": request.text,
        "data": request_data(request, extra),
        "job": job,
        "not_before": not_before,
        "attempts": 1 if status == ATTEMPTING else 0,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with engine.begin() as conn:
            made = conn.execute(insert(post_log).values(**values))
    except IntegrityError:
        found = find(engine, request.key)
        if found is None:  # pragma: no cover - the unique key was hit, so the row exists
            raise
        return found, False
    row_id = made.inserted_primary_key[0] if made.inserted_primary_key else None
    if row_id is None:  # pragma: no cover - every dialect we run on reports it
        again = find(engine, request.key)
        assert again is not None
        return again, True
    blank = dict.fromkeys(("platform_id", "platform_cid", "url", "message", "posted_at"))
    return _row(_Values({"id": row_id, **values, **blank})), True


class _Values(dict[str, Any]):
    """A dict read like a result row (``_row`` takes either)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def mark_attempting(engine: Engine, row: LoggedPost, request: PostRequest) -> None:
    """Committed before the post leaves: after a crash the row says it may have gone out."""
    with engine.begin() as conn:
        conn.execute(
            update(post_log)
            .where(post_log.c.id == row.id)
            .values(
                status=ATTEMPTING,
                attempts=post_log.c.attempts + 1,
                text=request.text,
                data=request_data(request, {k: v for k, v in row.data.items() if k in ("title", "link")}),
                message=None,
                updated_at=_now(),
            )
        )


def record(engine: Engine, row_id: int, result: PostResult) -> None:
    """The platform's answer. An uncertain one (X) keeps the row ``attempting`` with the doubt."""
    now = _now()
    values: dict[str, Any] = {"updated_at": now}
    if result.ok:
        ref = result.ref
        values.update(
            status=POSTED,
            platform_id=ref.id if ref else None,
            platform_cid=ref.cid if ref else None,
            url=ref.url if ref else None,
            message=None,
            posted_at=now,
        )
    elif result.uncertain:
        values.update(status=ATTEMPTING, message=result.message[:_MAX_MESSAGE])
    else:
        values.update(status=FAILED, message=result.message[:_MAX_MESSAGE])
    with engine.begin() as conn:
        conn.execute(update(post_log).where(post_log.c.id == row_id).values(**values))


def record_error(engine: Engine, row_id: int, message: str) -> None:
    """The call never reached the platform (a refused login, a missing secret): not posted."""
    with engine.begin() as conn:
        conn.execute(
            update(post_log)
            .where(post_log.c.id == row_id)
            .values(status=FAILED, message=message[:_MAX_MESSAGE], updated_at=_now())
        )


def next_slot(engine: Engine, account: str, start: datetime, spacing: timedelta) -> datetime:
    """The first time at or after ``start`` that keeps ``spacing`` after the account's latest
    scheduled post (approved or already out)."""
    q = select(func.max(post_log.c.not_before)).where(
        post_log.c.account == account, post_log.c.status.in_([APPROVED, ATTEMPTING, POSTED])
    )
    with engine.connect() as conn:
        latest = _aware(conn.execute(q).scalar())
    if latest is None:
        return start
    return max(start, latest + spacing)


def schedule(engine: Engine, row_id: int, not_before: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(post_log)
            .where(post_log.c.id == row_id)
            .values(status=APPROVED, not_before=not_before, message=None, updated_at=_now())
        )


def set_status(engine: Engine, row_ids: Iterable[int], status: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(post_log).where(post_log.c.id.in_(list(row_ids))).values(status=status, updated_at=_now()))


def set_text(engine: Engine, row_id: int, text: str, facets: list[dict[str, Any]] | None) -> None:
    row = get(engine, row_id)
    data = dict(row.data)
    data.pop("facets", None)
    if facets:
        data["facets"] = facets
    with engine.begin() as conn:
        conn.execute(update(post_log).where(post_log.c.id == row_id).values(text=text, data=data, updated_at=_now()))
