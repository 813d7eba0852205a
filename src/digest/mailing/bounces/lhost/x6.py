"""An unidentified MTA ("X6"): "There was an error sending your mail"."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^The attachment contains the original mail headers.+$", re.M)
_MESSAGE = rx(r"\A\d+[ ]*error[(]s[)]:")
_RCPT = (rx(r"<([^ @]+[@][^ @]+)>"), rx(r"errors:[ ]*([^ ]+[@][^ ]+)"))
_COMMAND = rx(r"\b(HELO|EHLO|MAIL|RCPT|DATA)\b")


def make(head: Head, body: str) -> Parsed | None:
    if not head["subject"].startswith("There was an error sending your mail"):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
            continue
        if e and (found := (_RCPT[0].search(e) or _RCPT[1].search(e))):
            v = c.next_record()
            v["recipient"] = address.s3s4(found.group(1))
            v["diagnosis"] = e
            c.recipients += 1
    if not c.recipients:
        return None
    for rec in c.ds:
        if found := _COMMAND.search(rec["diagnosis"]):
            rec["command"] = found.group(1)
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
