"""amavisd-new: "Content-filter at ..." reports for spam, viruses and bad headers."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]text/rfc822-headers", re.M)
_START = "The message "
_MESSAGES = {
    "spamdetected": (" - spam",),
    "virusdetected": (" - infected",),
    "contenterror": (" - bad header:",),
    "exceedlimit": (" - message size exceeds recipient",),
    "systemerror": (
        " - temporary mta failure on relaying",
        " - rejected by next-hop mta on relaying",
        " - unable to relay message back to mta",
    ),
}


def make(head: Head, body: str) -> Parsed | None:
    if not head["from"].startswith('"Content-filter at '):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if e:
            c.dsn(e, {"X-POSTFIX": "SMTP"})
    if not c.recipients:
        return None
    for rec in c.ds:
        for key, value in c.permessage.items():
            rec[key] = rec.get(key) or value or ""
        lowered = rec["diagnosis"].lower()
        for reason, phrases in _MESSAGES.items():
            if any(p in lowered for p in phrases):
                rec["reason"] = reason
                break
    return Parsed(c.ds, rfc822)
