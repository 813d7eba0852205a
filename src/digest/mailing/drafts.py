"""Editions that wait for an editor: built and frozen as a draft, edited, then approved or discarded.

A scheduled digest job with ``approve = true`` does not send at its fire time: it stores the
edition as a draft (the digest as data, and its rendering) and mails the editors a link to
review it. Editors may drop, move or pin a story, put their own words in place of a lede or a
key point, or choose another image; every edit is stored with the draft, in order, and the
rendering is rebuilt from the data and all the edits (so edits survive a restart, and the same
edits always give the same email). Approval sends the draft through the same exactly-once path
as `digest send`; a discarded draft is never sent. A draft nobody approved by its deadline is
sent or dropped, as ``on_timeout`` says, and the log says which.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, func, insert, select, update

from digest.config import Settings
from digest.deliver.base import BaseBackend
from digest.errors import InputError
from digest.links import canonical_url, image_url
from digest.mailing import editions
from digest.mailing.editions import APPROVED, DISCARDED, DRAFT
from digest.mailing.lists import DEFAULT_LIST
from digest.mailing.notice import compose_notice, deliver_notice
from digest.mailing.send import NothingNew, Progress, SendReport, prepare_edition, send_digest
from digest.models import Digest, Image, digest_from_data, digest_to_data
from digest.render.email import RenderedEmail, render_email
from digest.render.templates import make_environment, template_errors
from digest.sanitize import plain_text
from digest.storage.archive import Archive
from digest.storage.engine import open_engine
from digest.storage.locks import locks_for
from digest.storage.schema import digest_articles, digests

log = logging.getLogger("digest.mailing.drafts")

SENT = "sent"
OPS = ("drop", "move", "pin", "lede", "point", "image")
MAX_TEXT = 1000


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- editions as listed


@dataclass
class Edition:
    """One edition as `digest editions` shows it."""

    id: int
    edition: str
    status: str  # draft | approved | sent | discarded
    stories: int
    created_at: datetime
    subject: str | None = None
    list_name: str = DEFAULT_LIST
    job: str | None = None
    review_by: datetime | None = None
    on_timeout: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    sent_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The documented shape of one `digest editions list --json` item."""
        return {
            "edition": self.edition,
            "status": self.status,
            "stories": self.stories,
            "created_at": _iso(self.created_at),
        }

    def to_detail(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "subject": self.subject,
            "list": self.list_name,
            "job": self.job,
            "review_by": _iso(self.review_by),
            "on_timeout": self.on_timeout,
            "edits": self.edits,
            "sent_at": _iso(self.sent_at),
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


def _status(row: Any) -> str:
    if row.status in (DRAFT, DISCARDED):
        return str(row.status)
    return SENT if row.sent_at is not None else APPROVED


def _edition(row: Any, linked: int) -> Edition:
    stories = len(row.data["stories"]) if row.data else linked
    return Edition(
        id=row.id,
        edition=row.edition,
        status=_status(row),
        stories=stories,
        created_at=row.created_at,
        subject=row.subject,
        list_name=row.list_name or DEFAULT_LIST,
        job=row.job,
        review_by=row.review_by,
        on_timeout=row.on_timeout,
        edits=list(row.edits or []),
        sent_at=row.sent_at,
    )


def _linked_counts(engine: Engine) -> dict[int, int]:
    q = select(digest_articles.c.digest_id, func.count()).group_by(digest_articles.c.digest_id)
    with engine.connect() as conn:
        return {int(d): int(n) for d, n in conn.execute(q)}


def list_editions(engine: Engine) -> list[Edition]:
    """Every edition, newest first."""
    counts = _linked_counts(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(digests).order_by(digests.c.created_at.desc(), digests.c.id.desc())).all()
    return [_edition(row, counts.get(row.id, 0)) for row in rows]


def get_edition(engine: Engine, edition: str) -> Edition:
    with engine.connect() as conn:
        row = conn.execute(select(digests).where(digests.c.edition == edition)).first()
        linked = conn.execute(
            select(func.count())
            .select_from(digest_articles)
            .where(digest_articles.c.digest_id == (row.id if row else -1))
        ).scalar_one()
    if row is None:
        raise InputError(f"edition {edition!r}: no such edition (see `digest editions list`)")
    return _edition(row, int(linked))


def draft_digest(engine: Engine, edition: str) -> Digest:
    """The draft's digest with every edit applied (what its rendering shows)."""
    with engine.connect() as conn:
        row = conn.execute(select(digests.c.data, digests.c.edits).where(digests.c.edition == edition)).first()
    if row is None or row.data is None:
        raise InputError(f"edition {edition!r}: not a draft (only editions made for review keep their stories)")
    return apply_edits(digest_from_data(row.data), [Edit.from_json(e) for e in row.edits or []])


# ---------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """One editor's change; story and point numbers count from 1, as the email shows them."""

    op: str  # drop | move | pin | lede | point | image
    story: int
    to: int | None = None  # move: the new position
    point: int | None = None  # point: which key point (one past the last adds one)
    text: str | None = None  # lede / point: the editor's words; image: the image URL

    def to_json(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("op", self.op),
                ("story", self.story),
                ("to", self.to),
                ("point", self.point),
                ("text", self.text),
            )
            if v is not None
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        return cls(data["op"], int(data["story"]), data.get("to"), data.get("point"), data.get("text"))

    def describe(self) -> str:
        if self.op == "move":
            return f"move story {self.story} to {self.to}"
        if self.op == "point":
            return f"key point {self.point} of story {self.story}"
        return f"{self.op} story {self.story}"


_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")


def _number(value: str, what: str) -> int:
    m = _NUMBER.match(value)
    if not m or int(m.group(1)) < 1:
        raise InputError(f"{what}: expected a story number (1, 2, ...), got {value!r}")
    return int(m.group(1))


def _words(value: str, what: str) -> str:
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    cleaned = plain_text(text)
    if not cleaned:
        raise InputError(f"{what}: expected the new words, got nothing")
    if len(cleaned) > MAX_TEXT:
        raise InputError(f"{what}: at most {MAX_TEXT} characters, got {len(cleaned)}")
    return cleaned


def parse_edit(op: str, value: str) -> Edit:
    """One edit as the CLI and the preview form give it: drop "N", move "N:M", pin "N",
    lede 'N:"text"', point 'N:K:"text"', image "N:URL"."""
    what = f"--{op} {value}"
    if op in ("drop", "pin"):
        return Edit(op, _number(value, what))
    if op == "move":
        story, sep, to = value.partition(":")
        if not sep:
            raise InputError(f"{what}: expected FROM:TO, like 3:1")
        return Edit(op, _number(story, what), to=_number(to, what))
    if op == "lede":
        story, sep, text = value.partition(":")
        if not sep:
            raise InputError(f'{what}: expected N:"new lede"')
        return Edit(op, _number(story, what), text=_words(text, what))
    if op == "point":
        story, sep, rest = value.partition(":")
        point, sep2, text = rest.partition(":")
        if not sep or not sep2:
            raise InputError(f'{what}: expected N:K:"new key point"')
        return Edit(op, _number(story, what), point=_number(point, what), text=_words(text, what))
    if op == "image":
        story, sep, url = value.partition(":")
        checked = image_url(url.strip()) if sep else None
        if checked is None:
            raise InputError(f"{what}: expected N:https://... (an https image URL)")
        return Edit(op, _number(story, what), text=checked)
    raise InputError(f"unknown edit {op!r} (known: {', '.join(OPS)})")


def apply_edits(digest: Digest, edits: list[Edit]) -> Digest:
    """A copy of the digest with the edits applied in order; InputError naming the first that
    does not fit (a story number past the end, say)."""
    stories = [
        replace(s, summary=replace(s.summary, key_points=list(s.summary.key_points)), edited=list(s.edited))
        for s in digest.stories
    ]
    for n, edit in enumerate(edits, start=1):
        if not 1 <= edit.story <= len(stories):
            raise InputError(
                f"edit {n} ({edit.describe()}): there is no story {edit.story}; the draft has {len(stories)}"
            )
        i = edit.story - 1
        story = stories[i]
        if edit.op == "drop":
            del stories[i]
            gone = canonical_url(story.article.url) if story.article.url else None
            if gone:  # a dropped story is not teased from the others either (it may be dropped for a reason)
                for other in stories:
                    other.teasers = [t for t in other.teasers if not t.url or canonical_url(t.url) != gone]
        elif edit.op in ("move", "pin"):
            to = 1 if edit.op == "pin" else int(edit.to or 1)
            if not 1 <= to <= len(stories):
                raise InputError(f"edit {n} ({edit.describe()}): position {to} is past the last story ({len(stories)})")
            stories.insert(to - 1, stories.pop(i))
        elif edit.op == "lede":
            story.summary.lede = edit.text or ""
            story.edited = [*dict.fromkeys([*story.edited, "lede"])]
        elif edit.op == "point":
            points = story.summary.key_points
            k = int(edit.point or 0)
            if not 1 <= k <= len(points) + 1:
                raise InputError(f"edit {n} ({edit.describe()}): story {edit.story} has {len(points)} key points")
            if k == len(points) + 1:
                points.append(edit.text or "")
            else:
                points[k - 1] = edit.text or ""
            story.edited = [*dict.fromkeys([*story.edited, f"key_points.{k}"])]
        elif edit.op == "image":
            story.article = replace(story.article, image=Image(url=edit.text or ""))
            story.edited = [*dict.fromkeys([*story.edited, "image"])]
        else:
            raise InputError(f"edit {n}: unknown edit {edit.op!r}")
    return replace(digest, stories=stories)


# ---------------------------------------------------------------- the draft's life


def create_draft(
    engine: Engine,
    settings: Settings,
    edition: str,
    digest: Digest,
    rendered: RenderedEmail,
    article_ids: list[int],
    *,
    list_name: str = DEFAULT_LIST,
    job: str | None = None,
    review_by: datetime | None = None,
    on_timeout: str | None = None,
) -> Edition:
    """Store the edition as a draft (once: a second call for the same edition returns the first)."""
    with engine.begin() as conn:
        found = conn.execute(select(digests.c.id).where(digests.c.edition == edition)).scalar()
        if found is None:
            conn.execute(
                insert(digests).values(
                    edition=edition,
                    title=digest.title,
                    created_at=_now(),
                    subject=rendered.subject,
                    html=rendered.html,
                    text=rendered.text,
                    status=DRAFT,
                    data=digest_to_data(digest),
                    edits=[],
                    list_name=list_name,
                    job=job,
                    review_by=review_by,
                    on_timeout=on_timeout,
                )
            )
    if found is None and article_ids:
        digest_id = get_edition(engine, edition).id
        Archive(engine, settings).link_digest(digest_id, article_ids)
    return get_edition(engine, edition)


def _open(settings: Settings, engine: Engine | None) -> tuple[Engine, bool]:
    return (engine, False) if engine is not None else (open_engine(settings), True)


def edit_draft(settings: Settings, edition: str, edits: list[Edit], engine: Engine | None = None) -> Edition:
    """Add edits to a draft and rebuild its rendering from the data and every edit so far."""
    eng, owned = _open(settings, engine)
    try:
        with eng.begin() as conn:
            row = conn.execute(select(digests).where(digests.c.edition == edition).with_for_update()).first()
            if row is None:
                raise InputError(f"edition {edition!r}: no such edition (see `digest editions list`)")
            if row.status != DRAFT or row.data is None:
                raise InputError(f"edition {edition}: it is {_status(row)}, not a draft: only drafts can be edited")
            everything = [*(Edit.from_json(e) for e in row.edits or []), *edits]
            edited = apply_edits(digest_from_data(row.data), everything)
            if not edited.stories:
                raise InputError(f"edition {edition}: these edits would drop every story; discard the draft instead")
            rendered = render_email(edited, settings)
            conn.execute(
                update(digests)
                .where(digests.c.id == row.id)
                .values(
                    subject=rendered.subject,
                    html=rendered.html,
                    text=rendered.text,
                    edits=[e.to_json() for e in everything],
                )
            )
        return get_edition(eng, edition)
    finally:
        if owned:
            eng.dispose()


def _decide(engine: Engine, edition: str, status: str) -> Edition:
    """Move a draft to ``status``; approving an approved draft again is allowed (a resumed send)."""
    allowed = (DRAFT, APPROVED) if status == APPROVED else (DRAFT,)
    with engine.begin() as conn:
        changed = conn.execute(
            update(digests)
            .where(digests.c.edition == edition, digests.c.status.in_(allowed))
            .values(status=status, decided_at=_now())
        ).rowcount
    found = get_edition(engine, edition)  # InputError if there is no such edition
    if not changed:
        if found.status == SENT or (found.status == APPROVED and status == APPROVED):
            return found
        raise InputError(f"edition {edition}: it is {found.status}, not a draft")
    return found


def approve(
    settings: Settings,
    edition: str,
    *,
    backend: BaseBackend | None = None,
    progress: Progress | None = None,
    cancel: Any = None,
) -> SendReport:
    """Approve a draft and send it: the same exactly-once path as `digest send` (a re-run after
    a crash or a stop resumes it; nobody gets it twice)."""
    engine = open_engine(settings)
    try:
        found = _decide(engine, edition, APPROVED)
    finally:
        engine.dispose()
    log.info("edition %s approved: sending to list %s", edition, found.list_name)
    return send_digest(
        settings, edition=edition, list_name=found.list_name, backend=backend, progress=progress, cancel=cancel
    )


def discard(settings: Settings, edition: str) -> Edition:
    """Drop a draft: it is never sent."""
    engine = open_engine(settings)
    try:
        found = _decide(engine, edition, DISCARDED)
    finally:
        engine.dispose()
    log.info("edition %s discarded", edition)
    return found


def overdue(engine: Engine, now: datetime | None = None) -> list[Edition]:
    """Drafts whose review deadline has passed."""
    moment = now or _now()
    with engine.connect() as conn:
        names = [
            r.edition
            for r in conn.execute(
                select(digests.c.edition, digests.c.review_by).where(
                    digests.c.status == DRAFT, digests.c.review_by.is_not(None)
                )
            )
            if (r.review_by.replace(tzinfo=UTC) if r.review_by.tzinfo is None else r.review_by) <= moment
        ]
    return [get_edition(engine, name) for name in names]


def settle_overdue(settings: Settings, now: datetime | None = None) -> list[tuple[Edition, str]]:
    """Send or drop every draft nobody approved in time, as its on_timeout says; logged either way."""
    engine = open_engine(settings)
    try:
        late = overdue(engine, now)
    finally:
        engine.dispose()
    done: list[tuple[Edition, str]] = []
    for draft in late:
        deadline = _iso(draft.review_by)
        if draft.on_timeout == "send":
            log.warning(
                "edition %s: not approved by %s: sending it as drafted ([schedule] on_timeout = send)",
                draft.edition,
                deadline,
            )
            report = approve(settings, draft.edition)
            done.append((draft, f"sent to {report.sent}"))
        else:
            log.warning(
                "edition %s: not approved by %s: skipped, nothing sent ([schedule] on_timeout = skip)",
                draft.edition,
                deadline,
            )
            discard(settings, draft.edition)
            done.append((draft, "skipped"))
    return done


# ---------------------------------------------------------------- drafting at the fire time


def draft_edition(
    settings: Settings,
    edition: str,
    *,
    list_name: str = DEFAULT_LIST,
    today: date | None = None,
    only_new: bool = True,
    skip_if_empty: bool = True,
    job: str | None = None,
    review_by: datetime | None = None,
    on_timeout: str | None = None,
) -> Edition | None:
    """Build the edition and keep it as a draft (None: nothing new, nothing drafted).

    A second call for the same edition (a catch-up or retry of the same fire) finds the draft
    and returns it unchanged: editors get one review mail per draft, not one per retry.
    """
    engine = open_engine(settings)
    locks = locks_for(engine, settings)
    try:
        with editions.build_lock(locks, edition):
            try:
                return get_edition(engine, edition)
            except InputError:
                pass  # not there yet: build it
            try:
                prepared = prepare_edition(engine, settings, edition, today, only_new, skip_if_empty, list_name)
            except NothingNew:
                return None
            if prepared.digest is None:  # frozen by a plain send meanwhile: nothing to review
                return get_edition(engine, edition)
            return create_draft(
                engine,
                settings,
                edition,
                prepared.digest,
                prepared.rendered,
                prepared.article_ids,
                list_name=list_name,
                job=job,
                review_by=review_by,
                on_timeout=on_timeout,
            )
    finally:
        locks.close()
        engine.dispose()


def review_link(settings: Settings, edition: str) -> str:
    base = settings.schedule.review_url.rstrip("/") + "/"
    return f"{base}editions/{quote(edition, safe='')}"


def mail_editors(settings: Settings, draft: Edition, editors: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The review notice: what the draft holds, where to review it, how to approve or discard it."""
    engine = open_engine(settings)
    try:
        digest = draft_digest(engine, draft.edition)
    finally:
        engine.dispose()
    context = {
        "edition": draft.edition,
        "subject": draft.subject or "",
        "title": settings.digest.title,
        "list": draft.list_name,
        "review_url": review_link(settings, draft.edition),
        "review_by": _iso(draft.review_by),
        "on_timeout": draft.on_timeout or settings.schedule.on_timeout,
        "stories": [plain_text(s.article.title) for s in digest.stories],
    }
    subject = f"For review: {settings.digest.title} — {draft.edition} ({len(digest.stories)} stories)"
    with template_errors():
        text = make_environment(settings, autoescape=False).get_template("email/review.txt.j2").render(context)
        html = make_environment(settings).get_template("email/review.html.j2").render(context)
    headers = {"X-Digest-Edition": draft.edition, "Auto-Submitted": "auto-generated"}
    message = compose_notice(settings, to=editors, subject=subject, text=text, html=html, headers=headers)
    return deliver_notice(settings, message, list(editors))
