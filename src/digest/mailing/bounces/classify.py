"""Read one message and say which recipients bounced or complained, and why.

``classify_bytes`` never raises anything but ``InputError`` (for input that is not a mail
message at all); a message that is not a bounce, a delivery report (success DSN) and a
vacation reply all give an empty ``bounces`` list. For attribution the report also carries
what the bounce says about the message that failed: its Message-ID and envelope sender (from
the returned headers) and the addresses the bounce itself was delivered to (a VERP address
such as ``bounces+TOKEN@example.org`` shows up there).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from digest.errors import InputError
from digest.mailing.bounces import address
from digest.mailing.bounces._text import rx
from digest.mailing.bounces.message import Message, normalize_newlines, read
from digest.mailing.bounces.results import records

Kind = Literal["hard", "soft", "complaint"]

MAX_BYTES = 20 * 1024 * 1024
_SNIFF = 4096
_FIRST_LINE = rx(r"\A(?:From [^\n]*|[!-9;-~]+:[^\n]*)(?:\n|\Z)")
_ENVELOPE_FIELDS = ("to", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "return-path")
_HEADER_FIELD = rx(r"^([!-9;-~]+):[ \t]*(.*(?:\n[ \t].*)*)", re.M)
_MESSAGE_ID_LINE = rx(r"^(?:Message-I[Dd]|X-Original-Message-I[Dd]):[ \t]*(<[^<>\s]+>)", re.M | re.I)
_ANGLE_ID = rx(r"<([^<>\s]+)>")
_RETURN_PATH_LINE = rx(r"^Return-Path:[ \t]*(<[^<>\s]*>)", re.M | re.I)


@dataclass(frozen=True, slots=True)
class Bounce:
    """One recipient's failure: ``reason`` is a short word such as ``userunknown``."""

    recipient: str
    kind: Kind
    reason: str
    status: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"recipient": self.recipient, "kind": self.kind, "reason": self.reason, "status": self.status}


@dataclass(frozen=True, slots=True)
class BounceReport:
    """Everything one message reports. ``bounces`` is empty for anything that is not a bounce.

    ``original_message_id`` is the failed message's Message-ID without angle brackets;
    ``original_return_path`` its envelope sender when the returned headers include it;
    ``envelope_to`` the lower-cased addresses this report was delivered to.
    """

    bounces: tuple[Bounce, ...] = ()
    original_message_id: str | None = None
    original_return_path: str | None = None
    envelope_to: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_bounce(self) -> bool:
        return bool(self.bounces)


def _check(data: bytes) -> None:
    if not data.strip():
        raise InputError("empty message")
    if len(data) > MAX_BYTES:
        raise InputError(f"message too large ({len(data)} bytes, at most {MAX_BYTES})")
    head = data[:_SNIFF].lstrip(b"\r\n")
    block = normalize_newlines(head.decode("latin-1")).split("\n\n", 1)[0]
    if "\x00" in block:
        raise InputError("not an email message: binary data in the header")
    first = block
    if not _FIRST_LINE.match(first):
        raise InputError("not an email message: it does not start with a header field")


def _kind(reason: str, softbounce: str) -> Kind | None:
    if reason == "feedback":
        return "complaint"
    if softbounce == "1":
        return "soft"
    if softbounce == "0":
        return "hard"
    return None


def _header_values(header: str, names: tuple[str, ...]) -> list[str]:
    return [value for name, value in _HEADER_FIELD.findall(header) if name.lower() in names]


def _envelope(header: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in _header_values(header, _ENVELOPE_FIELDS):
        for found in address.find(value):
            if "@" in found:
                seen.setdefault(found.lower(), None)
    return tuple(seen)


def _message_id(value: str) -> str | None:
    found = _ANGLE_ID.search(value)
    if found:
        return found.group(1)
    value = value.strip()
    return value.split()[0] if value else None


def _original_message_id(msg: Message, own_id: str | None) -> str | None:
    value = msg.original.get("message-id", "")
    if value:
        return _message_id(value)
    for found in _MESSAGE_ID_LINE.finditer(msg.body):
        candidate = _message_id(found.group(1))
        if candidate and candidate != own_id:
            return candidate
    return None


def _original_return_path(msg: Message) -> str | None:
    value = msg.original.get("return-path", "")
    if not value:
        # Some rules stop at the returned message's Return-Path line rather than keep it.
        line = _RETURN_PATH_LINE.search(msg.body)
        value = line.group(1) if line else ""
    found = [a for a in address.find(value) if "@" in a] if value else []
    return found[0].lower() if found else None


def classify_bytes(data: bytes) -> BounceReport:
    """The bounces one raw message (LF, CRLF or CR line ends) reports."""
    _check(data)
    text = normalize_newlines(data.decode("latin-1"))
    header = text.split("\n\n", 1)[0]
    envelope = _envelope(header)
    msg = read(text)
    if msg is None or msg.parsed is None:
        return BounceReport(envelope_to=envelope)

    bounces: dict[str, Bounce] = {}
    for r in records(msg):
        kind = _kind(r.reason, r.softbounce)
        if kind is None:
            continue
        recipient = r.recipient.lower()
        bounces.setdefault(recipient, Bounce(recipient, kind, r.reason, r.deliverystatus or None))
    own_id = _message_id(msg.head["message-id"]) if msg.head["message-id"] else None
    return BounceReport(
        bounces=tuple(bounces.values()),
        original_message_id=_original_message_id(msg, own_id) if bounces else None,
        original_return_path=_original_return_path(msg) if bounces else None,
        envelope_to=envelope,
    )


def classify_file(path: str | os.PathLike[str]) -> BounceReport:
    """``classify_bytes`` on a file; an unreadable file is an InputError naming it."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{p}: message too large ({size} bytes, at most {MAX_BYTES})")
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        return classify_bytes(data)
    except InputError as exc:
        raise InputError(f"{p}: {exc}") from None
