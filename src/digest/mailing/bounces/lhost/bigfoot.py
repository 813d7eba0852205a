"""Bigfoot: a Sendmail-like transcript from bigfoot.com."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/partial", re.M)
_MESSAGE = rx(r"\A[ \t]+[-]+[ \t]*Transcript of session follows")
_SENT = rx(r"\A[>]{3}[ ]+([A-Z]{4})[ ]?")
_RECEIVED = rx(r"\A[<]{3}[ ]+(.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "@bigfoot.com>" not in head["from"] and not any(".bigfoot.com " in r for r in head.received):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    command = reply = ""
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
        elif e and not c.dsn(e):
            if not e.startswith(" "):
                if found := _SENT.match(e):
                    command = found.group(1)
                elif found := _RECEIVED.match(e):
                    reply = found.group(1)
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["command"] = rec["command"] or command or ("EHLO" if reply else "")
    return Parsed(c.ds, rfc822)
