"""GMX and web.de: "Mail delivery failed" with X-GMX-Antispam."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^---[ ]The[ ]header[ ]of[ ]the[ ]original[ ]message[ ]is[ ]following[.][ ]---", re.M)
_START = "This message was created automatically by mail delivery software"
_MESSAGES = {"expired": ("delivery retry timeout exceeded",)}
_RCPT = (rx(r"\A[\"]([^ ]+[@][^ ]+)[\"]:\Z"), rx(r"\A[<]([^ ]+[@][^ ]+)[>]\Z"))
_COMMAND = rx(r"\ASMTP error .+ ([A-Z]{4}) command:\Z")
_HOST = rx(r"\Ahost:[ \t]*(.+)\Z")
_CODES = (rx(r"\b[45][.]\d[.]\d\b"), rx(r"[<][^ ]+[@][^ ]+[>]"), rx(r"\b[45]\d{2}\b"))


def make(head: Head, body: str) -> Parsed | None:
    if "x-gmx-antispam" not in head:
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
        if found := (_RCPT[0].match(e) or _RCPT[1].match(e)):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif found := _COMMAND.match(e):
            v["command"] = found.group(1)
        elif found := _HOST.match(e):
            v["rhost"] = found.group(1)
        elif any(p.search(e) for p in _CODES):
            v["diagnosis"] = v["diagnosis"] or e
        elif e == "Reason:" or v["diagnosis"] == "Reason:":
            v["diagnosis"] = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
