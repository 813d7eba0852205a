"""Consent records: when, where and how a reader joined or left a list.

Double opt-in is only worth something if it can be shown later: each subscribe request, each
confirmation and each change made through a link is kept with the time, the list, the page the
form was on, and the reader's IP address and user agent. Those two are kept as keyed hashes
unless ``[web] store_consent_ip`` says to keep them as they are: a hash still matches the
same value when a claim has to be checked, without holding the address itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from digest.config import Settings
from digest.mailing.addresses import normalize_email
from digest.mailing.tokens import UnsubscribeSigner
from digest.storage.schema import consents

SUBSCRIBE = "subscribe"  # asked through the form: pending until confirmed
CONFIRM = "confirm"  # the confirmation link's button: active
JOIN = "join"  # joined another list from the preferences page
LEAVE = "leave"  # left a list from the preferences page
UNSUBSCRIBE = "unsubscribe"  # the unsubscribe page's button
ONE_CLICK = "one-click"  # a mail provider's RFC 8058 POST
ACTIONS = (SUBSCRIBE, CONFIRM, JOIN, LEAVE, UNSUBSCRIBE, ONE_CLICK)

_INSERT = insert(consents)
_MAX_FORM_URL = 2048
_MAX_AGENT = 512


@dataclass(frozen=True)
class Visitor:
    """Who asked, as the web request shows it."""

    ip: str | None = None
    user_agent: str | None = None
    form_url: str | None = None


def _kept(value: str | None, settings: Settings, signer: UnsubscribeSigner, limit: int) -> str | None:
    if not value:
        return None
    if settings.web.store_consent_ip:
        return value[:limit]
    return signer.fingerprint(value)


def record(
    conn: Connection,
    settings: Settings,
    signer: UnsubscribeSigner,
    *,
    email: str,
    list_name: str,
    action: str,
    visitor: Visitor,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown consent action {action!r}")
    conn.execute(
        _INSERT,
        {
            "email": email,
            "list": list_name,
            "action": action,
            "at": datetime.now(UTC),
            "form_url": (visitor.form_url or None) and str(visitor.form_url)[:_MAX_FORM_URL],
            "ip": _kept(visitor.ip, settings, signer, 128),
            "user_agent": _kept(visitor.user_agent, settings, signer, _MAX_AGENT),
        },
    )


def for_address(engine: Engine, email: str) -> list[dict[str, Any]]:
    """Every record of one address, oldest first (what a data access request returns)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(consents).where(consents.c.email == normalize_email(email)).order_by(consents.c.id)
        ).all()
    return [
        {
            "list": r.list,
            "action": r.action,
            "at": r.at.isoformat() if r.at else None,
            "form_url": r.form_url,
            "ip": r.ip,
            "user_agent": r.user_agent,
        }
        for r in rows
    ]
