"""What is held about readers, for a data access request and for moving a list elsewhere.

``record_of`` gathers everything about one address: its subscriptions and statuses, its
consent records, every message sent to it and every bounce or complaint seen from it.
``export`` writes every subscription as CSV or JSON, streamed, for a list of any size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Engine, select

from digest.mailing import consents
from digest.mailing.addresses import normalize_email
from digest.mailing.subscribers import get_all, iter_subscribers
from digest.storage.schema import bounce_events, digests, sends, subscribers

EXPORT_COLUMNS = ("email", "name", "list", "status", "created_at", "unsubscribed_at")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def record_of(engine: Engine, email: str) -> dict[str, Any]:
    address = normalize_email(email)
    rows = get_all(engine, address)
    ids = [r.id for r in rows]
    with engine.connect() as conn:
        sent = conn.execute(
            select(
                digests.c.edition,
                subscribers.c.list,
                sends.c.status,
                sends.c.attempts,
                sends.c.code,
                sends.c.reply,
                sends.c.updated_at,
                sends.c.message_id,
            )
            .select_from(
                sends.join(digests, digests.c.id == sends.c.digest_id).join(
                    subscribers, subscribers.c.id == sends.c.subscriber_id
                )
            )
            .where(sends.c.subscriber_id.in_(ids))
            .order_by(sends.c.updated_at, sends.c.id)
        ).all()
        bounced = conn.execute(
            select(bounce_events).where(bounce_events.c.email == address).order_by(bounce_events.c.id)
        ).all()
    return {
        "email": address,
        "subscriptions": [r.to_dict() for r in rows],
        "consents": consents.for_address(engine, address),
        "sends": [
            {
                "edition": s.edition,
                "list": s.list,
                "status": s.status,
                "attempts": s.attempts,
                "code": s.code,
                "reply": s.reply,
                "at": _iso(s.updated_at),
                "message_id": s.message_id,
            }
            for s in sent
        ],
        "bounces": [
            {
                "kind": b.kind,
                "reason": b.reason,
                "status": b.status,
                "source": b.source,
                "received_at": _iso(b.received_at),
            }
            for b in bounced
        ],
    }


def _rows(engine: Engine) -> Iterator[dict[str, Any]]:
    for s in iter_subscribers(engine, list_name=None):
        yield {k: v for k, v in s.to_dict().items() if k in EXPORT_COLUMNS}


def export(engine: Engine, out: TextIO, fmt: str) -> int:
    """Every subscription (all lists) to ``out`` as "csv" or "json"; returns how many."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in _rows(engine):
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
            n += 1
        return n
    if fmt != "json":
        raise ValueError(f"unknown export format {fmt!r}")
    out.write("[")
    for row in _rows(engine):
        out.write(("\n " if n == 0 else ",\n ") + json.dumps(row, ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n
