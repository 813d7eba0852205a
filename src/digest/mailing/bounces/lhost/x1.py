"""An unidentified MTA ("X1"): "Returned Mail: ..." from "Mail Deliver System"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Received: from \d+[.]\d+[.]\d+[.]\d", re.M)
_MESSAGE = rx(r"\AThe original message was received at (.+)\Z")
_RCPT = rx(r"\A([^ ]+?[@][^ ]+?)[ \t]+\[(.+)\]\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not head["subject"].startswith("Returned Mail: ") or not head["from"].startswith('"Mail Deliver System" '):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    date = ""
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
            continue
        if not e:
            continue
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1, 2)
            c.recipients += 1
        elif found := _MESSAGE.match(e):
            date = found.group(1)
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["date"] = date
    return Parsed(c.ds, rfc822)
