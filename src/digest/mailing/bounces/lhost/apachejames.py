"""Apache James: "[BOUNCE]" messages with "Error message below:"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_ERROR = "Error message below:"
_RCPT = rx(r"\A[ ][ ]RCPT[ ]TO:[ ]([^ ]+[@][^ ]+)\Z")
_DATE = rx(r"\A[ ][ ]Sent[ ]date:[ ](.+)\Z")
_SUBJECT = rx(r"\A[ ][ ]Subject:[ ](.+)\Z")
_HAS_SUBJECT = rx(r"^Subject:", re.M)


def make(head: Head, body: str) -> Parsed | None:
    match = head["subject"] == "[BOUNCE]"
    match = match or ("message-id" in head and ".JavaMail." in head["message-id"])
    match = match or any("JAMES SMTP Server" in r for r in head.received)
    if not match:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    subject = ""
    gotmessage = False
    for e in lines(report):
        if not cursor:
            cursor = True
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif found := _DATE.match(e):
            v["date"] = found.group(1)
        elif found := _SUBJECT.match(e):
            subject = found.group(1)
        elif gotmessage:
            continue
        elif v["diagnosis"]:
            if e == "Message details:":
                gotmessage = True
            else:
                v["diagnosis"] += " " + e
        else:
            if e == _ERROR:
                v["diagnosis"] = e
            v["diagnosis"] += " " + e
    if not c.recipients:
        return None
    if not _HAS_SUBJECT.search(rfc822):
        rfc822 += f"Subject: {subject}\n"
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
