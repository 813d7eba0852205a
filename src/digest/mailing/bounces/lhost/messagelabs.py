"""Symantec MessageLabs: "Mail Delivery Failure" from MAILER-DAEMON@messagelabs.com."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx, sweep
from digest.mailing.bounces.lhost._common import Collector, read_dsn_block
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]text/rfc822-headers", re.M)
_START = "Content-Type: message/delivery-status"
_FAILURES = {
    "userunknown": rx(r"(?:542 .+ Rejected|No such user)"),
    "securityerror": rx(r"Please turn on SMTP Authentication in your mail client"),
}


def make(head: Head, body: str) -> Parsed | None:
    if "x-msg-ref" not in head or "MAILER-DAEMON@messagelabs.com" not in head["from"]:
        return None
    if not head["subject"].startswith("Mail Delivery Failure"):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    read_dsn_block(c, report, lambda e: e.startswith(_START))
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"])
        for reason, pattern in _FAILURES.items():
            if pattern.search(rec["diagnosis"]):
                rec["reason"] = reason
                break
    return Parsed(c.ds, rfc822)
