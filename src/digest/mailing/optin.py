"""What a reader does through the web pages: subscribe (double opt-in), confirm, leave, and
choose lists. The pages live in digest.web; this module holds the rules, so the CLI and any
other front end get the same ones.

- A form only ever offers ``[web] public_lists``.
- A subscribe request never changes an existing row's status: a new address is ``pending``
  and an unsubscribed, bounced or complained one stays so until the confirmation link's
  button is pressed. Nobody can be put back on a list by someone typing their address.
- The answer to a request is the same whatever the address's state, so the form cannot be
  used to find out who subscribes.
- Link tokens prove the address: a reader holding one may join or leave public lists
  without another confirmation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, or_, select, update

from digest.config import Settings
from digest.errors import InputError
from digest.mailing import consents
from digest.mailing.addresses import normalize_email
from digest.mailing.lists import check_list_name
from digest.mailing.subscribers import (
    ACTIVE,
    PENDING,
    UNSUBSCRIBED,
    Subscriber,
    clean_name,
    find_by_token,
    find_in,
    from_row,
    link_target,
    set_status,
)
from digest.mailing.tokens import UnsubscribeSigner
from digest.storage.schema import subscribers


@dataclass(frozen=True)
class Request:
    """A subscribe request's result; ``confirm_token`` is set when a confirmation mail is due."""

    subscriber: Subscriber
    confirm_token: str | None
    new: bool


@dataclass(frozen=True)
class Choice:
    """One list on the preferences page."""

    name: str
    status: str | None  # None: not on it
    public: bool

    @property
    def joined(self) -> bool:
        return self.status in (ACTIVE, PENDING)

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.name, "status": self.status, "public": self.public}


def public_list(settings: Settings, value: str | None) -> str:
    """The list a form asks for: one of [web] public_lists (the first when none is named)."""
    if not settings.web.public_lists:
        raise InputError("this newsletter takes no sign-ups on the web ([web] public_lists is empty)")
    if not value:
        return settings.web.public_lists[0]
    name = check_list_name(value, "list")
    if name not in settings.web.public_lists:
        raise InputError(f"list {name!r}: not a list you can join here")
    return name


def request(
    engine: Engine,
    settings: Settings,
    signer: UnsubscribeSigner,
    *,
    email: str,
    name: str | None,
    list_name: str,
    visitor: consents.Visitor,
    now: float | None = None,
) -> Request:
    """Record a sign-up: a new address is pending; any other keeps its status until confirmed."""
    address = normalize_email(email)
    name = clean_name(name)
    list_name = public_list(settings, list_name)
    now = time.time() if now is None else now
    expires = now + settings.web.confirm_days * 86_400
    with engine.begin() as conn:
        row = conn.execute(
            select(subscribers).where(subscribers.c.list == list_name, subscribers.c.email == address)
        ).first()
        new = row is None
        if row is None:
            conn.execute(
                insert(subscribers).values(
                    list=list_name, email=address, name=name, status=PENDING, created_at=datetime.now(UTC)
                )
            )
            row = conn.execute(
                select(subscribers).where(subscribers.c.list == list_name, subscribers.c.email == address)
            ).one()
        consents.record(
            conn, settings, signer, email=address, list_name=list_name, action=consents.SUBSCRIBE, visitor=visitor
        )
    found = from_row(row)
    token = None if found.status == ACTIVE or not found.token else signer.confirm_token(found.token, expires)
    return Request(found, token, new)


def _by_selector(engine: Engine, selector: str) -> Subscriber:
    with engine.connect() as conn:
        row = conn.execute(select(subscribers).where(subscribers.c.token == selector)).first()
    if row is None:
        raise InputError("link token: this subscription no longer exists (the address was removed)")
    return from_row(row)


def check_confirm(engine: Engine, signer: UnsubscribeSigner, token: str, now: float | None = None) -> Subscriber:
    """The subscription a confirmation link is for (the GET page: changes nothing)."""
    selector = signer.confirm_selector(token, time.time() if now is None else now)
    return _by_selector(engine, selector)


def confirm(
    engine: Engine,
    settings: Settings,
    signer: UnsubscribeSigner,
    token: str,
    visitor: consents.Visitor,
    now: float | None = None,
) -> tuple[Subscriber, bool]:
    """The confirmation button: the subscription becomes active (again). Pressing it twice is fine."""
    found = check_confirm(engine, signer, token, now)
    if found.status == ACTIVE:
        return found, False
    with engine.begin() as conn:
        set_status(conn, found.id, ACTIVE)
        consents.record(
            conn, settings, signer, email=found.email, list_name=found.list, action=consents.CONFIRM, visitor=visitor
        )
        fresh = conn.execute(select(subscribers).where(subscribers.c.id == found.id)).one()
    return from_row(fresh), True


_LEAVE = (
    update(subscribers)
    .where(subscribers.c.id == bindparam("row"), or_(subscribers.c.status == ACTIVE, subscribers.c.status == PENDING))
    .values(status=UNSUBSCRIBED, unsubscribed_at=bindparam("left"))
)


def leave(
    engine: Engine,
    settings: Settings,
    signer: UnsubscribeSigner,
    token: str,
    visitor: consents.Visitor,
    *,
    one_click: bool,
) -> tuple[Subscriber, bool]:
    """An unsubscribe link used (a provider's one-click POST, or the page's button): that list
    only. One short transaction: it is what a mail provider's burst of POSTs costs."""
    target = link_target(settings, token, signer)
    action = consents.ONE_CLICK if one_click else consents.UNSUBSCRIBE
    with engine.begin() as conn:
        found = find_in(conn, target)
        if found.status not in (ACTIVE, PENDING):
            return found, False
        left = datetime.now(UTC)
        changed = conn.execute(_LEAVE, {"row": found.id, "left": left}).rowcount
        if not changed:  # another request got there first
            return find_in(conn, target), False
        consents.record(conn, settings, signer, email=found.email, list_name=found.list, action=action, visitor=visitor)
    return replace(found, status=UNSUBSCRIBED, unsubscribed_at=left), True


def choices(engine: Engine, settings: Settings, address: str) -> list[Choice]:
    """The public lists and every list the address is on, with its status on each."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(subscribers.c.list, subscribers.c.status).where(subscribers.c.email == address)
        ).all()
    on = {r.list: r.status for r in rows}
    public = settings.web.public_lists
    names = [*public, *sorted(n for n in on if n not in public)]
    return [Choice(n, on.get(n), n in public) for n in names]


def update_preferences(
    engine: Engine,
    settings: Settings,
    signer: UnsubscribeSigner,
    token: str,
    wanted: set[str],
    visitor: consents.Visitor,
) -> tuple[Subscriber, list[Choice]]:
    """Join the public lists in ``wanted`` and leave the others shown; the token proves the address."""
    found = find_by_token(engine, settings, token, signer)
    current = choices(engine, settings, found.email)
    with engine.begin() as conn:
        for choice in current:
            keep = choice.name in wanted
            if keep and not choice.joined and choice.public:
                row = conn.execute(
                    select(subscribers.c.id).where(
                        subscribers.c.list == choice.name, subscribers.c.email == found.email
                    )
                ).first()
                if row is None:
                    conn.execute(
                        insert(subscribers).values(
                            list=choice.name,
                            email=found.email,
                            name=found.name,
                            status=ACTIVE,
                            created_at=datetime.now(UTC),
                        )
                    )
                else:
                    set_status(conn, row.id, ACTIVE)
                action = consents.JOIN
            elif not keep and choice.joined:
                row = conn.execute(
                    select(subscribers.c.id).where(
                        subscribers.c.list == choice.name, subscribers.c.email == found.email
                    )
                ).one()
                set_status(conn, row.id, UNSUBSCRIBED)
                action = consents.LEAVE
            else:
                continue
            consents.record(
                conn, settings, signer, email=found.email, list_name=choice.name, action=action, visitor=visitor
            )
    return found, choices(engine, settings, found.email)
