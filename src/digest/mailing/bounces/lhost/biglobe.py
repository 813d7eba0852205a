"""BIGLOBE (and inacatv, tmtv, ttv): "Returned mail:" from postmaster@biglobe.ne.jp."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_FROM = rx(r"postmaster[@](?:biglobe|inacatv|tmtv|ttv)[.]ne[.]jp")
_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "   ----- The following addresses had delivery problems -----"
_MESSAGES = {
    "filtered": ("Mail Delivery Failed... User unknown",),
    "mailboxfull": ("The number of messages in recipient's mailbox exceeded the local limit.",),
}
_RCPT = rx(r"\A([^ ]+[@][^ ]+)\Z")
_NON_WORD = rx(r"\A[^\w]")


def make(head: Head, body: str) -> Parsed | None:
    if not _FROM.search(head["from"]) or not head["subject"].startswith("Returned mail:"):
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
            r = address.s3s4(found.group(1))
            if not address.is_emailaddress(r):
                continue
            v["recipient"] = r
            c.recipients += 1
        elif not _NON_WORD.match(e):
            v["diagnosis"] += e + " "
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
