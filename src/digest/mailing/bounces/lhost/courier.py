"""Courier MTA: "NOTICE: mail delivery status." with a DSN part."""

from __future__ import annotations

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import RFC822_BACKBONE, Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"(?:NOTICE: mail delivery status[.]|WARNING: delayed mail[.])")
_MESSAGE_ID = rx(r"\A[<]courier[.][0-9A-F]+[.]")
_STARTS = ("DELAYS IN DELIVERING YOUR MESSAGE", "UNDELIVERABLE MAIL")
_MESSAGES = {
    "hostunknown": ("No such domain.",),
    "systemerror": ("This domain's DNS violates RFC 1035.",),
    "networkerror": ("DNS lookup failed.",),
}
_SENT = rx(r"\A[>]{3}[ ]+([A-Z]{4})[ ]?")


def make(head: Head, body: str) -> Parsed | None:
    match = "Courier mail server at " in head["from"] or _SUBJECT.search(head["subject"]) is not None
    if "message-id" in head and _MESSAGE_ID.match(head["message-id"]):
        match = True
    if not match:
        return None
    c = Collector()
    report, rfc822 = fillet(body, RFC822_BACKBONE)
    cursor = False
    command = ""
    p = ""
    for e in lines(report):
        if not cursor and any(s in e for s in _STARTS):
            cursor = True
        elif cursor and e and not c.dsn(e):
            if found := _SENT.match(e):
                command = command or found.group(1)
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        for key, value in c.permessage.items():
            rec[key] = rec.get(key) or value or ""
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
        rec["command"] = rec["command"] or command
    return Parsed(c.ds, rfc822)
