"""Yahoo! Mail: "Sorry, we were unable to deliver your message"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^--- Below this line is a copy of the message[.]", re.M)
_START = "Sorry, we were unable to deliver your message"
_RCPT = rx(r"\A[<](.+[@].+)[>]:[ \t]*\Z")
_COMMAND = rx(r"\[([A-Z]{4}).*\]\Z")
_ADDR = rx(r"[<].+[@].+[>]")


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-ymailisg"]:
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
        elif e.startswith("Remote host said:"):
            v["diagnosis"] = e
            if found := _COMMAND.search(e):
                v["command"] = found.group(1)
        elif v["diagnosis"] == "Remote host said:":
            if found := _COMMAND.search(e):
                v["command"] = found.group(1)
            else:
                v["diagnosis"] = e
        else:
            v["diagnosis"] += " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        if not rec["command"] and _ADDR.search(rec["diagnosis"]):
            rec["command"] = "RCPT"
    return Parsed(c.ds, rfc822)
