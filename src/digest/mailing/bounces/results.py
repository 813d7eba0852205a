"""The per-recipient records of one bounce, with the final reason and hard/soft decided.

A record is dropped when it has no sender or usable date on the returned message (so it is
not a bounce of ours), or when it reports a success. Ported from Sisimai 4.25's Data module
(BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re

from digest.mailing.bounces import address, dates, reasons, rhosts
from digest.mailing.bounces._text import DeliveryStatus, rx, sweep
from digest.mailing.bounces.message import Message
from digest.mailing.bounces.record import Record
from digest.mailing.bounces.rfc5322 import ADDRESSER_FIELDS, DATE_FIELDS
from digest.mailing.bounces.smtpcodes import (
    find_reply,
    find_status,
    is_permanent,
    pseudo_status,
    soft_or_hard,
)

_DETAILED_STATUS = rx(r"\A[45][.][1-9][.][1-9]\Z")
_COMMANDS = frozenset(("EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT"))
_HTML = rx(r"<html>.+</html>", re.I)
_NOT_A_BOUNCE = frozenset(("delivered", "feedback", "vacation"))


def _has_addresser(msg: Message) -> bool:
    for name in ADDRESSER_FIELDS:
        value = msg.original.get(name, "")
        if value:
            found = address.find(value)
            if found:
                return address.normalize(found[0]) is not None
    found = address.find(msg.head["to"])
    return bool(found) and address.normalize(found[0]) is not None


def _has_date(msg: Message, e: DeliveryStatus) -> bool:
    values = [e["date"]] if e.get("date") else []
    values += [msg.original[name] for name in DATE_FIELDS if msg.original.get(name)]
    if len(values) < 2:
        values.append(msg.head["date"])
    for value in values:
        if not value:
            break
        if dates.parse(value) is not None:
            return dates.is_usable(value)
    return False


def _host(value: str) -> str:
    value = re.sub(r"[\[\]()]", "", value)
    value = re.sub(r"\A.+=", "", value, count=1)
    value = value.removesuffix("\r")
    if " " in value:
        value = value.split()[0] if value.split() else ""
    return value.removesuffix(".")


def _clean_diagnosis(r: Record) -> None:
    diag = r.diagnosticcode.removesuffix("\r")
    r.diagnosticcode = diag
    if not diag:
        return
    vs = find_status(diag)
    vr = find_reply(diag)
    hits = 0
    if vs:
        hits += len(re.findall(rf"\b{re.escape(vs)}\b", diag, re.A))
        if _DETAILED_STATUS.match(vs):
            r.deliverystatus = vs
    if vr:
        hits += len(re.findall(rf"\b{vr}\b", diag, re.A))
        r.replycode = r.replycode or vr
    if hits > 2:
        qs = re.escape(vs)
        for pattern in (
            rf";?[ ]{vr}[- ](?:{qs})?",
            rf";?[ ][45]\d\d[- ](?:{qs})?",
            rf";?[ ]{vr}[- ](?:[45][.]\d[.]\d+)?",
        ):
            diag = re.sub(pattern, " ", diag, flags=re.A)
        diag = _HTML.sub("", diag, count=1)
        r.diagnosticcode = sweep(diag)


def _decide(r: Record) -> None:
    if not r.reason or r.reason in reasons.RETRY:
        r.reason = rhosts.reason_for(r) or reasons.classify(r) or "undefined"
    if r.reason in _NOT_A_BOUNCE:
        r.softbounce = "-1"
        return
    if not r.softbounce:
        verdict = soft_or_hard(r.reason, f"{r.deliverystatus} {r.diagnosticcode}".lstrip(" "))
        r.softbounce = {"soft": "1", "hard": "0"}.get(verdict, "-1")
    if not r.deliverystatus:
        permanent = is_permanent(f"{r.replycode} {r.diagnosticcode}".lstrip(" "))
        pseudo = pseudo_status(r.reason, temporary=permanent is False)
        if pseudo:
            r.deliverystatus = pseudo
            if r.softbounce == "-1":
                verdict = soft_or_hard(r.reason, pseudo)
                r.softbounce = {"soft": "1", "hard": "0"}.get(verdict, "-1")
    if r.replycode and r.deliverystatus[:1] != r.replycode[:1]:
        r.replycode = ""


def records(msg: Message) -> list[Record]:
    """Every failed recipient the message reports, reasons decided."""
    if msg.parsed is None:
        return []
    out: list[Record] = []
    has_addresser = _has_addresser(msg)
    for e in msg.parsed.ds:
        if e.get("status", "").startswith("2."):
            continue
        if not has_addresser or not e.get("recipient") or not _has_date(msg, e):
            continue
        recipient = address.normalize(e["recipient"])
        if recipient is None:
            continue
        r = Record(
            recipient=recipient,
            reason=e.get("reason", ""),
            deliverystatus=e.get("status", ""),
            diagnosticcode=e.get("diagnosis", ""),
            diagnostictype=e.get("spec", ""),
            smtpcommand=e.get("command", ""),
            replycode=e.get("replycode", ""),
            action=e.get("action", ""),
            rhost=_host(e.get("rhost", "")),
            lhost=_host(e.get("lhost", "")),
            agent=e.get("agent", ""),
            feedbacktype=e.get("feedbacktype", ""),
            softbounce=e.get("softbounce", ""),
        )
        _clean_diagnosis(r)
        if not r.diagnostictype and r.reason == "mailererror":
            r.diagnostictype = "X-UNIX"
        if not r.diagnostictype and r.reason not in ("feedback", "vacation"):
            r.diagnostictype = "SMTP"
        if r.smtpcommand not in _COMMANDS:
            r.smtpcommand = ""
        if not r.action:
            if r.reason == "expired":
                r.action = "delayed"
            elif r.deliverystatus[:1] in ("4", "5"):
                r.action = "failed"
        r.replycode = r.replycode or find_reply(r.diagnosticcode)
        _decide(r)
        out.append(r)
    return out
