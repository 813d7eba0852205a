"""An unidentified MTA ("X3"): "Delivery status notification" from "Mail Delivery System"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)

_START = "      This is an automatically generated Delivery Status Notification."
_RCPT = rx(r"\A[ \t]+[*][ \t]([^ ]+[@][^ ]+)\Z")
_SMTP = rx(r"\ASMTP:([^ ]+)[ \t](.+)\Z")
_ROUTING = rx(r"\ARouting: (.+)")
_DIAG = rx(r"\ADiagnostic-Code: smtp; (.+)")


def make(head: Head, body: str) -> Parsed | None:
    if not head["from"].startswith("Mail Delivery System"):
        return None
    if not head["subject"].startswith("Delivery status notification"):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif found := _SMTP.match(e):
            v["command"], v["diagnosis"] = found.group(1).upper(), found.group(2)
        elif found := (_ROUTING.match(e) or _DIAG.match(e)):
            v["diagnosis"] = found.group(1)
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["status"] = find_status(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
