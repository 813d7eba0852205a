"""PowerMTA: "Delivery report" with X-PowerMTA-BounceCategory."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]text/rfc822-headers", re.M)
_START = "Hello, this is the mail server on "
_CATEGORIES = {
    "bad-domain": "hostunknown",
    "bad-mailbox": "userunknown",
    "inactive-mailbox": "disabled",
    "message-expired": "expired",
    "no-answer-from-host": "networkerror",
    "policy-related": "policyviolation",
    "quota-issues": "mailboxfull",
    "routing-errors": "systemerror",
    "spam-related": "spamdetected",
}
_CATEGORY = rx(r"\AX-PowerMTA-BounceCategory:[ ]*(.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "Delivery report" not in head["subject"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    category: dict[int, str] = {}
    for e in lines(report):
        if not cursor and _START in e:
            cursor = True
            continue
        if not cursor or not e or c.dsn(e):
            continue
        if found := _CATEGORY.match(e):
            category[id(c.ds[-1])] = found.group(1)
    if not c.recipients:
        return None
    for rec in c.ds:
        for key, value in c.permessage.items():
            rec[key] = rec.get(key) or value or ""
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = _CATEGORIES.get(category.get(id(rec), ""), "")
    return Parsed(c.ds, rfc822)
