"""What a bounce or a spam complaint does to a subscriber, and finding who it is about.

Policy ([bounces] in the config): a hard bounce (no such user or domain) makes the address
``bounced`` on every list; a complaint (an ARF report: the reader pressed "spam") makes it
``complained`` on every list, which unsubscribes it; soft bounces (mailbox full, greylisting,
blocked...) are counted, and ``soft_limit`` of them within ``soft_window_days`` make it
``bounced``. Nobody in those states is mailed again until `digest subscribers reactivate`.

Attribution, most certain first: the VERP token in the address the bounce was sent to
(``[delivery] return_path``), the original message's Message-ID, then the recipient address a
bounce names. Every bounce applied is kept in ``bounce_events``, with where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from digest.config import Settings
from digest.errors import InputError
from digest.mailing.addresses import normalize_email
from digest.mailing.subscribers import ACTIVE, BOUNCED, COMPLAINED, PENDING, Subscriber
from digest.mailing.subscribers import get_all as subscriber_rows
from digest.storage.schema import bounce_events, sends, subscribers

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
KINDS = (HARD, SOFT, COMPLAINT)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Incoming:
    """One bounce or complaint to apply, as a classifier or a provider's webhook reports it."""

    recipient: str | None
    kind: str  # hard | soft | complaint
    reason: str | None = None
    status: str | None = None  # the DSN status code, e.g. "5.1.1"
    message_id: str | None = None  # the original message's Message-ID, when the bounce quotes it
    envelope_to: tuple[str, ...] = ()  # where the bounce was addressed (a VERP address)
    source: str | None = None  # where it came from: a file, a mailbox message, a webhook


@dataclass
class Report:
    """What applying bounces did; ``to_json`` is the documented shape."""

    processed: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    not_bounces: int = 0
    unmatched: int = 0
    suppressed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "processed": self.processed,
            "hard": self.hard,
            "soft": self.soft,
            "complaints": self.complaints,
            "not_bounces": self.not_bounces,
            "unmatched": self.unmatched,
            "suppressed": list(self.suppressed),
        }


def _verp_token(address: str, template: str | None) -> str | None:
    """The token in ``bounces+TOKEN@example.org`` when the address fits ``[delivery] return_path``."""
    if not template:
        return None
    prefix, _, suffix = template.lower().partition("{token}")
    candidate = address.strip().strip("<>").lower()
    if len(candidate) <= len(prefix) + len(suffix) or not (candidate.startswith(prefix) and candidate.endswith(suffix)):
        return None
    token = candidate[len(prefix) : len(candidate) - len(suffix)]
    return token if token.isalnum() and len(token) <= 32 else None


def attribute(engine: Engine, settings: Settings, bounce: Incoming) -> tuple[str, int | None] | None:
    """(subscriber address, edition id or None) a bounce is about, or None when nobody matches."""
    with engine.connect() as conn:
        for address in bounce.envelope_to:
            token = _verp_token(address, settings.delivery.return_path)
            if token:
                row = conn.execute(
                    select(subscribers.c.email, sends.c.digest_id)
                    .join(subscribers, subscribers.c.id == sends.c.subscriber_id)
                    .where(sends.c.bounce_token == token)
                ).first()
                if row is not None:
                    return str(row.email), int(row.digest_id)
        if bounce.message_id:
            wanted = bounce.message_id.strip()
            if not wanted.startswith("<"):
                wanted = f"<{wanted}>"
            row = conn.execute(
                select(subscribers.c.email, sends.c.digest_id)
                .join(subscribers, subscribers.c.id == sends.c.subscriber_id)
                .where(sends.c.message_id == wanted)
            ).first()
            if row is not None:
                return str(row.email), int(row.digest_id)
        if bounce.recipient:
            try:
                address = normalize_email(bounce.recipient)
            except InputError:
                return None
            found = conn.execute(select(subscribers.c.id).where(subscribers.c.email == address).limit(1)).first()
            if found is not None:
                return address, None
    return None


def _set_status(conn: object, address: str, status: str) -> bool:
    """Every list row of the address that is active or pending gets ``status``; True if any did."""
    result = conn.execute(  # type: ignore[attr-defined]
        update(subscribers)
        .where(subscribers.c.email == address, subscribers.c.status.in_((ACTIVE, PENDING)))
        .values(status=status, unsubscribed_at=_now())
    )
    return bool(result.rowcount)


def apply(
    engine: Engine,
    settings: Settings,
    found: Iterable[Incoming],
    *,
    dry_run: bool = False,
    report: Report | None = None,
) -> Report:
    """Record each bounce and apply the policy; ``dry_run`` says what would change, changes nothing."""
    report = report or Report()
    limit, window = settings.bounces.soft_limit, timedelta(days=settings.bounces.soft_window_days)
    for bounce in found:
        if bounce.kind not in KINDS:
            raise InputError(f"bounce kind {bounce.kind!r}: expected one of {', '.join(KINDS)}")
        who = attribute(engine, settings, bounce)
        if who is None:
            report.unmatched += 1
            continue
        address, digest_id = who
        if bounce.kind == HARD:
            report.hard += 1
        elif bounce.kind == SOFT:
            report.soft += 1
        else:
            report.complaints += 1
        with engine.begin() as conn:
            now = _now()
            if not dry_run:
                conn.execute(
                    insert(bounce_events).values(
                        email=address,
                        kind=bounce.kind,
                        reason=(bounce.reason or "")[:64] or None,
                        status=(bounce.status or "")[:16] or None,
                        digest_id=digest_id,
                        source=(bounce.source or "")[:512] or None,
                        received_at=now,
                    )
                )
            if bounce.kind == SOFT:
                recent = conn.execute(
                    select(func.count())
                    .select_from(bounce_events)
                    .where(
                        bounce_events.c.email == address,
                        bounce_events.c.kind == SOFT,
                        bounce_events.c.received_at >= now - window,
                    )
                ).scalar_one()
                if dry_run:
                    recent += 1
                if recent < limit:
                    continue
            status = COMPLAINED if bounce.kind == COMPLAINT else BOUNCED
            if dry_run:
                changed = any(s.status in (ACTIVE, PENDING) for s in subscriber_rows(engine, address))
            else:
                changed = _set_status(conn, address, status)
        if changed and address not in report.suppressed:
            report.suppressed.append(address)
    return report


def reactivate(engine: Engine, email: str) -> list[Subscriber]:
    """Mail a bounced or complained address again, on every list where it was suppressed."""
    address = normalize_email(email)
    rows = subscriber_rows(engine, address)
    if not rows:
        raise InputError(f"{address}: not a subscriber of any list")
    suppressed = [r for r in rows if r.status in (BOUNCED, COMPLAINED)]
    if not suppressed:
        statuses = ", ".join(f"{r.list}: {r.status}" for r in rows)
        raise InputError(f"{address}: not bounced or complained on any list ({statuses})")
    with engine.begin() as conn:
        conn.execute(
            update(subscribers)
            .where(subscribers.c.email == address, subscribers.c.status.in_((BOUNCED, COMPLAINED)))
            .values(status=ACTIVE, unsubscribed_at=None)
        )
    return subscriber_rows(engine, address)
