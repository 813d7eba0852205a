"""An unidentified MTA ("X2"): "Delivery failure" from MAILER-DAEMON@, "Unable to deliver message to"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"\A(?>Delivery[ ]failure|fail(?:ure|ed)[ ]delivery)")
_BACKBONE = rx(r"^--- Original message follows[.]", re.M)
_START = "Unable to deliver message to the following address"
_RCPT = rx(r"\A[<]([^ ]+[@][^ ]+)[>]:\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "MAILER-DAEMON@" not in head["from"] or not _SUBJECT.match(head["subject"]):
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
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        else:
            c.ds[-1]["diagnosis"] += " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
