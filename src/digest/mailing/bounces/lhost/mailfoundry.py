"""MailFoundry: "Message delivery has failed"."""

from __future__ import annotations

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.lhost.outlook import _BACKBONE  # "Content-Type: message/rfc822"
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_START = "Unable to deliver message to:"
_ERROR = "Delivery failed for the following reason:"
_RCPT = rx(r"\AUnable to deliver message to: [<]([^ ]+[@][^ ]+)[>]\Z")


def make(head: Head, body: str) -> Parsed | None:
    if head["subject"] != "Message delivery has failed":
        return None
    if not any("(MAILFOUNDRY) id" in r for r in head.received):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor and e.startswith(_START):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif e == _ERROR:
            v["diagnosis"] = e
        elif v["diagnosis"] and not e.startswith("-"):
            v["diagnosis"] += " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
