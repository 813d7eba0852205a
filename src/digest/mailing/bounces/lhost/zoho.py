"""Zoho Mail: "Undelivered Mail" with X-ZohoMail."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Received:[ ]*from[ ]mail[.]zoho[.]com[ ]by[ ]mx[.]zohomail[.]com", re.M)
_START = "This message was created automatically by mail delivery"
_MESSAGES = {"expired": ("Host not reachable",)}
_RCPT = rx(r"\A([^ ]+[@][^ ]+)[ \t]+(.+)\Z")
_STATUS_RCPT = rx(r"\A\[Status: .+[<]([^ ]+[@][^ ]+)[>],")


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-zohomail"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    qprintable = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1, 2)
            if v["diagnosis"].endswith("="):
                v["diagnosis"] = v["diagnosis"][:-1]
                qprintable = True
            c.recipients += 1
        elif found := _STATUS_RCPT.match(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1), e
            c.recipients += 1
        elif qprintable:
            v["diagnosis"] += e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
