"""SurfControl E-mail Filter: "Your message could not be sent."."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "Your message could not be sent."
_RCPT = rx(r"\AAddressed To:[ \t]*([^ ]+?[@][^ ]+?)\Z")
_DATE = rx(r"\A(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)[ \t,]")
_ERROR = rx(r"\A[^ ]+[@][^ ]+:[ \t]*\[(\d+[.]\d+[.]\d+[.]\d)\],[ \t]*(.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-sef-processed"] or head["x-mailer"] != "SurfControl E-mail Filter":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
        elif e:
            v = c.ds[-1]
            if found := _RCPT.match(e):
                v = c.next_record()
                v["recipient"] = found.group(1)
                c.recipients += 1
            elif _DATE.match(e):
                v["date"] = e
            elif found := _ERROR.match(e):
                v["rhost"], v["diagnosis"] = found.group(1, 2)
            elif dsn_match(e):
                o = dsn_field(e)
                if o is not None and o[0] != "final-recipient" and o[0] in FIELD_TABLE:
                    v[FIELD_TABLE[o[0]]] = o[2]
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
