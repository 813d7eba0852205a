"""Trustwave MailMarshal SMTP: 'Undeliverable Mail: "..."'."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.mime import boundary
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^[ \t]*[+]+[ \t]*", re.M)
_START = "Your message:"
_ERROR = "Could not be delivered because of"
_RCPTS = "The following recipients were affected:"
_RCPT = rx(r"\A[ \t]{4}([^ ]+[@][^ ]+)\Z")
_SENDER = rx(r"\AOriginal Sender:[ \t]+[<](.+)[>]\Z")
_SENDER_MTA = rx(r"\ASender-MTA:[ \t]+[<](.+)[>]\Z")
_REPORTING_MTA = rx(r"\AReporting-MTA:[ \t]+[<](.+)[>]\Z")
_FIELD = rx(r"\A\s+(From|Subject):\s*(.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not head["subject"].startswith('Undeliverable Mail: "'):
        return None
    backbone = _BACKBONE
    b = boundary(head["content-type"], 1)
    if b:
        backbone = re.compile("^" + re.escape(b), re.M)
    report, rfc822 = fillet(body, backbone)
    c = Collector()
    cursor = False
    endoferror = False
    for e in lines(report):
        if not cursor and e.startswith(_START):
            cursor = True
        if not cursor:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif e == _ERROR:
            v["diagnosis"] = e
        elif v["diagnosis"] and not endoferror:
            if e.startswith(_RCPTS):
                endoferror = True
                continue
            v["diagnosis"] += " " + e
        elif found := _SENDER.match(e):
            rfc822 += f"From: {found.group(1)}\n"
        elif found := _SENDER_MTA.match(e):
            v["lhost"] = found.group(1)
        elif found := _REPORTING_MTA.match(e):
            v["rhost"] = found.group(1)
        elif found := _FIELD.match(e):
            rfc822 += f"{found.group(1)}: {found.group(2)}\n"
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
