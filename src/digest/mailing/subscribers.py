"""The subscriber lists: add, import from CSV, list, remove, unsubscribe.

Every subscriber is on one named list ("default" unless ``list_name`` says otherwise; see
digest.mailing.lists); the same address may be on several lists, each with its own status, so
unsubscribing from one list leaves the others alone.

Stored through SQLAlchemy in the one database (SQLite under DIGEST_DATA_DIR by default, any
SQLAlchemy URL otherwise). An unsubscribed address stays in the table as a suppression
record: importing or adding it again does not mail it again (``resubscribe=True`` is the
explicit way back). ``remove`` forgets an address entirely (erasure on request).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digest.config import Settings
from digest.deliver.base import has_line_break
from digest.errors import InputError
from digest.mailing.addresses import normalize_email
from digest.mailing.lists import DEFAULT_LIST, check_list_name
from digest.mailing.tokens import UnsubscribeSigner, signer_for
from digest.storage.schema import consents, sends, subscribers

MAX_NAME = 256

# A subscriber's status on one list. Only ACTIVE is ever mailed an edition.
PENDING = "pending"  # signed up, double opt-in not confirmed yet
ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"
BOUNCED = "bounced"  # the address does not exist (hard bounce), or bounced too often
COMPLAINED = "complained"  # marked a message as spam
STATUSES = (PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED, COMPLAINED)
IS_ACTIVE = subscribers.c.status == ACTIVE


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    status: str
    created_at: datetime
    unsubscribed_at: datetime | None
    list: str = DEFAULT_LIST
    token: str | None = None  # the link selector (digest.mailing.tokens); never shown

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "list": self.list,
            "status": self.status,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "unsubscribed_at": self.unsubscribed_at.isoformat() if self.unsubscribed_at else None,
        }


@dataclass
class AddResult:
    subscriber: Subscriber
    outcome: str  # added | updated | unchanged | resubscribed | suppressed


@dataclass
class InvalidRow:
    line: int
    value: str
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0  # unsubscribed earlier: kept unsubscribed
    invalid: list[InvalidRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "suppressed": self.suppressed,
            "invalid": [{"line": r.line, "value": r.value, "reason": r.reason} for r in self.invalid],
        }


def _now() -> datetime:
    return datetime.now(UTC)


def clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    if has_line_break(name):
        raise InputError(f"name {name[:40]!r}: a name cannot contain a line break")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME:
        raise InputError(f"name {cleaned[:40]!r}...: longer than {MAX_NAME} characters")
    return cleaned or None


def from_row(row: Any) -> Subscriber:
    return Subscriber(row.id, row.email, row.name, row.status, row.created_at, row.unsubscribed_at, row.list, row.token)


def _on(list_name: str, address: str) -> Any:
    return (subscribers.c.list == list_name) & (subscribers.c.email == address)


def get(engine: Engine, email: str, list_name: str = DEFAULT_LIST) -> Subscriber | None:
    list_name = check_list_name(list_name)
    with engine.connect() as conn:
        row = conn.execute(select(subscribers).where(_on(list_name, normalize_email(email)))).first()
    return from_row(row) if row else None


def get_all(engine: Engine, email: str) -> list[Subscriber]:
    """Every list row of one address (it may be on several lists), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(subscribers).where(subscribers.c.email == normalize_email(email)).order_by(subscribers.c.id)
        ).all()
    return [from_row(r) for r in rows]


def add(
    engine: Engine,
    email: str,
    name: str | None = None,
    *,
    resubscribe: bool = False,
    list_name: str = DEFAULT_LIST,
) -> AddResult:
    """Add one address to a list (or update its name). An unsubscribed one stays so unless ``resubscribe``."""
    list_name = check_list_name(list_name)
    address = normalize_email(email)
    name = clean_name(name)
    with engine.begin() as conn:
        row = conn.execute(select(subscribers).where(_on(list_name, address))).first()
        if row is None:
            row_values = {"list": list_name, "email": address, "name": name, "status": ACTIVE, "created_at": _now()}
            conn.execute(insert(subscribers).values(**row_values))
            outcome = "added"
        elif row.status != ACTIVE and not resubscribe:
            outcome = "suppressed"
        else:
            values: dict[str, Any] = {}
            if name and name != row.name:
                values["name"] = name
            if row.status != ACTIVE:
                values.update(status=ACTIVE, unsubscribed_at=None)
            if values:
                conn.execute(update(subscribers).where(subscribers.c.id == row.id).values(**values))
            outcome = "resubscribed" if row.status != ACTIVE else "updated" if values else "unchanged"
        fresh = conn.execute(select(subscribers).where(_on(list_name, address))).one()
    return AddResult(from_row(fresh), outcome)


def _read_csv(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line number, email cell, name cell) for each data row; InputError if unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{path}: line 1: not valid CSV: {exc}") from None
    if header is None:
        raise InputError(f"{path}: empty file (expected a header row with an email column)")
    columns = [h.strip().lower() for h in header]
    if "email" not in columns:
        raise InputError(f"{path}: line 1: no 'email' column (found: {', '.join(columns) or 'nothing'})")
    e_at = columns.index("email")
    n_at = columns.index("name") if "name" in columns else None
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path}: line {start}: not valid CSV: {exc}") from None
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        email = cells[e_at] if e_at < len(cells) else ""
        name = cells[n_at] if n_at is not None and n_at < len(cells) else None
        yield start, email, name


def import_csv(engine: Engine, path: str | Path, *, batch: int = 1000, list_name: str = DEFAULT_LIST) -> ImportReport:
    """Import a CSV (columns ``email`` and optional ``name``) into a list: valid rows in, invalid ones reported."""
    list_name = check_list_name(list_name)
    report = ImportReport()
    path = Path(path)
    pending: dict[str, str | None] = {}

    def flush() -> None:
        if not pending:
            return
        with engine.begin() as conn:
            existing = {
                r.email: r
                for r in conn.execute(
                    select(subscribers.c.id, subscribers.c.email, subscribers.c.name, subscribers.c.status).where(
                        subscribers.c.list == list_name, subscribers.c.email.in_(list(pending))
                    )
                )
            }
            new = [
                {"list": list_name, "email": e, "name": n, "status": ACTIVE, "created_at": _now()}
                for e, n in pending.items()
                if e not in existing
            ]
            if new:
                try:
                    conn.execute(insert(subscribers), new)
                except IntegrityError:
                    raise InputError(
                        f"list {list_name!r} changed while importing (another process added some of these "
                        "addresses); run the import again: it is safe to repeat"
                    ) from None
            report.added += len(new)
            for address, row in existing.items():
                name = pending[address]
                if row.status != ACTIVE:
                    report.suppressed += 1
                elif name and name != row.name:
                    conn.execute(update(subscribers).where(subscribers.c.id == row.id).values(name=name))
                    report.updated += 1
                else:
                    report.unchanged += 1
        pending.clear()

    for line, raw_email, raw_name in _read_csv(path):
        try:
            address = normalize_email(raw_email)
            name = clean_name(raw_name)
        except InputError as exc:
            reason = str(exc)
            report.invalid.append(InvalidRow(line, raw_email.strip(), reason))
            continue
        if address in pending:
            pending[address] = name or pending[address]
            continue
        pending[address] = name
        if len(pending) >= batch:
            flush()
    flush()
    return report


def iter_subscribers(
    engine: Engine, *, active_only: bool = False, batch: int = 1000, list_name: str | None = DEFAULT_LIST
) -> Iterator[Subscriber]:
    """The subscribers of one list (every list with ``list_name=None``), in the order added."""
    q = select(subscribers).where(subscribers.c.id > 0)
    if list_name is not None:
        q = q.where(subscribers.c.list == check_list_name(list_name))
    if active_only:
        q = q.where(IS_ACTIVE)
    last = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(q.where(subscribers.c.id > last).order_by(subscribers.c.id).limit(batch)).all()
        for row in rows:
            yield from_row(row)
        if len(rows) < batch:
            return
        last = rows[-1].id


def count_active(engine: Engine, list_name: str | None = DEFAULT_LIST) -> int:
    """Active subscribers of one list (of every list with ``list_name=None``)."""
    q = select(func.count()).select_from(subscribers).where(IS_ACTIVE)
    if list_name is not None:
        q = q.where(subscribers.c.list == check_list_name(list_name))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def list_names(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every list with (active, total) subscribers, by name."""
    q = (
        select(subscribers.c.list, func.sum(case((IS_ACTIVE, 1), else_=0)), func.count())
        .group_by(subscribers.c.list)
        .order_by(subscribers.c.list)
    )
    with engine.connect() as conn:
        return {name: (int(active or 0), int(total)) for name, active, total in conn.execute(q)}


def _not_found(address: str, list_name: str) -> InputError:
    where = "" if list_name == DEFAULT_LIST else f" of list {list_name!r}"
    return InputError(f"{address}: not a subscriber{where}")


def remove(engine: Engine, email: str, list_name: str = DEFAULT_LIST) -> Subscriber:
    """Forget an address on a list and its send history entirely."""
    list_name = check_list_name(list_name)
    address = normalize_email(email)
    with engine.begin() as conn:
        row = conn.execute(select(subscribers).where(_on(list_name, address))).first()
        if row is None:
            raise _not_found(address, list_name)
        conn.execute(delete(sends).where(sends.c.subscriber_id == row.id))
        conn.execute(delete(subscribers).where(subscribers.c.id == row.id))
        conn.execute(delete(consents).where(consents.c.email == address, consents.c.list == list_name))
    return from_row(row)


@dataclass(frozen=True)
class LinkTarget:
    """Whom a genuine link token names: a selector (opaque tokens) or a list and address (version 1)."""

    selector: str | None = None
    list_name: str = DEFAULT_LIST
    address: str = ""


# Built once: a burst of one-click POSTs should not pay for building statements.
_BY_SELECTOR = select(subscribers).where(subscribers.c.token == bindparam("selector"))
_BY_ADDRESS = select(subscribers).where(
    subscribers.c.list == bindparam("list_name"), subscribers.c.email == bindparam("address")
)


def link_target(settings: Settings, token: str, signer: UnsubscribeSigner | None = None) -> LinkTarget:
    """What a link token names: an opaque reader token, or a version 1 token (address and list
    inside) from mail sent before them. InputError for a forged or altered one: the MAC is
    checked here, before the database is asked anything."""
    signer = signer or signer_for(settings)
    value = token.strip()
    if "." in value:
        list_name, raw = signer.verify_target(value)
        return LinkTarget(None, list_name, normalize_email(raw))
    return LinkTarget(signer.reader_selector(value))


def find_in(conn: Connection, target: LinkTarget) -> Subscriber:
    """The subscription a link names; InputError if there is none any more."""
    if target.selector is not None:
        row = conn.execute(_BY_SELECTOR, {"selector": target.selector}).first()
    else:
        row = conn.execute(_BY_ADDRESS, {"list_name": target.list_name, "address": target.address}).first()
    if row is None:
        raise InputError("link token: this subscription no longer exists (the address was removed)")
    return from_row(row)


def find_by_token(
    engine: Engine, settings: Settings, token: str, signer: UnsubscribeSigner | None = None
) -> Subscriber:
    """The subscription a link token names (see ``link_target``); InputError if there is none."""
    target = link_target(settings, token, signer)
    with engine.connect() as conn:
        return find_in(conn, target)


def set_status(conn: Connection, subscriber_id: int, status: str) -> None:
    """One row's status, with the time of leaving kept for unsubscribed and later states."""
    if status not in STATUSES:
        raise ValueError(f"unknown subscriber status {status!r}")
    left = None if status in (ACTIVE, PENDING) else _now()
    conn.execute(
        update(subscribers).where(subscribers.c.id == subscriber_id).values(status=status, unsubscribed_at=left)
    )


def unsubscribe(
    engine: Engine, settings: Settings, email_or_token: str, list_name: str | None = None
) -> tuple[Subscriber, bool]:
    """Stop mailing an address given as itself or as the token from its unsubscribe link.

    An address is unsubscribed from ``list_name`` (default "default"); a token from the list
    it was issued for (``list_name``, if given, must agree). Other lists are left alone.
    Returns (subscriber, changed); unsubscribing twice is not an error.
    """
    value = email_or_token.strip()
    wanted = check_list_name(list_name) if list_name is not None else None
    if "@" in value:
        address, list_name = normalize_email(value), wanted or DEFAULT_LIST
    else:
        target = find_by_token(engine, settings, value)
        address, list_name = target.email, target.list
        if wanted is not None and wanted != list_name:
            raise InputError(f"unsubscribe token: issued for list {list_name!r}, not {wanted!r}")
    with engine.begin() as conn:
        row = conn.execute(select(subscribers).where(_on(list_name, address))).first()
        if row is None:
            raise _not_found(address, list_name)
        changed = row.status in (ACTIVE, PENDING)
        if changed:
            set_status(conn, row.id, UNSUBSCRIBED)
        fresh = conn.execute(select(subscribers).where(subscribers.c.id == row.id)).one()
    return from_row(fresh), changed
