"""Amazon WorkMail: "Technical report:" followed by a DSN part."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status, status_name

_BACKBONE = rx(r"^content-type:[ ]message/rfc822", re.M)
_START = "Technical report:"
_GENERIC = rx(r"\A[45][.][01][.]0\Z")
_QUOTED_STATUS = rx(r"[\"'](\d[.]\d[.]\d.+)['\"]")
_REPLY = rx(r"[<]([245]\d\d)[ ].+[>]")


def make(head: Head, body: str) -> Parsed | None:
    mailer = head["x-original-mailer"] or head["x-mailer"]
    if not head["x-ses-outgoing"] or mailer != "Amazon WorkMail":
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
        c.dsn(e)
        if e.startswith("<!DOCTYPE HTML><html>"):
            break
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if _GENERIC.match(rec["status"]):
            quoted = _QUOTED_STATUS.search(rec["diagnosis"])
            rec["status"] = find_status(quoted.group(1) if quoted else rec["diagnosis"]) or rec["status"]
        if reply := _REPLY.search(rec["diagnosis"]):
            rec["replycode"] = reply.group(1)
        rec["reason"] = rec["reason"] or status_name(rec["status"])
    return Parsed(c.ds, rfc822)
