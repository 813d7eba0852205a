"""TransWARE Active!hunter: "failure notice" with X-AHMAILID."""

from __future__ import annotations

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.lhost.outlook import _BACKBONE  # "Content-Type: message/rfc822"
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_START = "  ----- The following addresses had permanent fatal errors -----"
_RCPT = rx(r"\A[>]{3}[ \t]+.+[<]([^ ]+?[@][^ ]+?)[>]\Z")
_TEXT = rx(r"\A[0-9A-Za-z]+")


def make(head: Head, body: str) -> Parsed | None:
    if "x-ahmailid" not in head:
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
        elif _TEXT.match(e) and not v["diagnosis"]:
            v["diagnosis"] = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
