"""Amazon SES: SNS JSON notifications (Bounce, Complaint, Delivery) and SES's own DSN mails."""

from __future__ import annotations

import json
import re
from typing import Any

from digest.mailing.bounces import address
from digest.mailing.bounces._text import DeliveryStatus, lines, new_status, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_reply, find_status

_BACKBONE = rx(r"^content-type:[ ]message/rfc822", re.M)
_STARTS = ("The following message to <", "An error occurred while trying to deliver the mail ")
_MESSAGES = {"expired": ("Delivery expired",)}
_BOUNCE_TYPES = {
    "Permanent": {"General": "", "NoEmail": "", "Suppressed": ""},
    "Transient": {
        "General": "",
        "MailboxFull": "mailboxfull",
        "MessageTooLarge": "mesgtoobig",
        "ContentRejected": "",
        "AttachmentRejected": "",
    },
}
_TYPED = rx(r"\A(.+?);[ ]*(.+)\Z", re.S)
_DSN_HOST = rx(r"\Adsn;[ ](.+)\Z", re.S)
_FRACTION = rx(r"[.]\d+Z\Z")
_GENERIC = rx(r"\A[45][.][01][.]0\Z")
_QUOTED_STATUS = rx(r"[\"'](\d[.]\d[.]\d.+)['\"]")
_HEADER_NAMES = rx(r"\A(?:From|To|Subject|Message-ID|Date)\Z")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _from_json(head: Head, body: str) -> Parsed | None:
    if not head["x-amz-sns-message-id"]:
        return None
    folded = False
    pieces: list[str] = []
    for e in body.split("\n"):
        if not e:
            continue
        if e == "--":
            break
        if folded:
            e = e[1:]
        folded = e.endswith("!")
        if folded:
            e = e[:-1]
        pieces.append(e)
    try:
        outer = json.loads("".join(pieces))
        payload = json.loads(outer["Message"]) if isinstance(outer, dict) and "Message" in outer else outer
    except (ValueError, TypeError, RecursionError):
        return None
    payload = _dict(payload)
    kind = _text(payload.get("notificationType"))
    if not kind:
        return None
    mail = _dict(payload.get("mail"))
    ds: list[DeliveryStatus] = [new_status()]
    recipients = 0

    def record() -> DeliveryStatus:
        if ds[-1]["recipient"]:
            ds.append(new_status())
        return ds[-1]

    if kind in ("Bounce", "Complaint"):
        o = _dict(payload.get(kind.lower()))
        label = "bouncedRecipients" if kind == "Bounce" else "complainedRecipients"
        for item in _list(o.get(label)):
            entry = _dict(item)
            rcpt = _text(entry.get("emailAddress"))
            if not address.is_emailaddress(rcpt):
                continue
            v = record()
            recipients += 1
            v["recipient"] = rcpt
            if kind == "Bounce":
                v["action"] = _text(entry.get("action"))
                v["status"] = _text(entry.get("status"))
                diag = _text(entry.get("diagnosticCode"))
                typed = _TYPED.match(diag)
                if typed:
                    v["spec"], v["diagnosis"] = typed.group(1).upper(), typed.group(2)
                else:
                    v["diagnosis"] = diag
                if host := _DSN_HOST.match(_text(o.get("reportingMTA"))):
                    v["lhost"] = host.group(1)
                subtypes = _BOUNCE_TYPES.get(_text(o.get("bounceType")), {})
                subtype = _text(o.get("bounceSubType"))
                if subtype in subtypes:
                    v["reason"] = subtypes[subtype]
            else:
                v["reason"] = "feedback"
                v["feedbacktype"] = _text(o.get("complaintFeedbackType"))
            v["date"] = _FRACTION.sub("", _text(o.get("timestamp")) or _text(mail.get("timestamp")))
    elif kind == "Delivery":
        o = _dict(payload.get("delivery"))
        for rcpt in _list(o.get("recipients")):
            if not isinstance(rcpt, str) or not address.is_emailaddress(rcpt):
                continue
            v = record()
            recipients += 1
            v["recipient"] = rcpt
            v["lhost"] = _text(o.get("reportingMTA"))
            v["diagnosis"] = _text(o.get("smtpResponse"))
            v["status"] = find_status(v["diagnosis"])
            v["replycode"] = find_reply(v["diagnosis"])
            v["reason"] = v["action"] = "delivered"
            v["date"] = _FRACTION.sub("", _text(o.get("timestamp")) or _text(mail.get("timestamp")))
    else:
        return None
    if not recipients:
        return None

    original: dict[str, str] = {}
    for h in _list(mail.get("headers")):
        h = _dict(h)
        name = _text(h.get("name"))
        if _HEADER_NAMES.match(name):
            original[name.lower()] = _text(h.get("value"))
    if not original.get("message-id") and _text(mail.get("messageId")):
        original["message-id"] = _text(mail.get("messageId"))
    return Parsed(ds, original)


def make(head: Head, body: str) -> Parsed | None:
    if body.startswith("{"):
        return _from_json(head, body)
    if "Amazon WorkMail" in head["x-mailer"]:
        return None
    if not head["x-aws-outgoing"] and not head["x-ses-outgoing"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    p = ""
    for e in lines(report):
        if not cursor and e.startswith(_STARTS):
            cursor = True
            p = e
            continue
        if cursor and e and not c.dsn(e):
            c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        if _GENERIC.match(rec["status"]):
            quoted = _QUOTED_STATUS.search(rec["diagnosis"])
            rec["status"] = find_status(quoted.group(1) if quoted else rec["diagnosis"]) or rec["status"]
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
