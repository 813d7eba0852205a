"""Barracuda Spam Firewall: "... our bulk email filter" with a DSN part."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]text/rfc822-headers", re.M)
_START = "Your message to:"


def make(head: Head, body: str) -> Parsed | None:
    if head["subject"].find("our bulk email filter") <= 0:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if e:
            c.dsn(e)
    if not c.recipients:
        return None
    for rec in c.ds:
        for key, value in c.permessage.items():
            rec[key] = rec.get(key) or value or ""
        rec["diagnosis"] = rec["diagnosis"] or sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
