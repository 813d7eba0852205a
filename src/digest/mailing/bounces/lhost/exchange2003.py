"""Microsoft Exchange Server 2003 and older: "Your message ... did not reach the following recipient(s)"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import pseudo_status

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "Your message"
_ERRORCODES = {
    "onhold": ("000B099C", "000B09AA", "000B09B6"),
    "userunknown": ("000C05A6",),
    "systemerror": ("00010256", "000D06B5"),
    "networkerror": ("00120270",),
    "contenterror": ("00050311", "000502CC"),
    "securityerror": ("000B0981",),
    "filtered": ("000C0595",),
}
_RCPT = (rx(r"\A[ \t]*([^ ]+[@][^ ]+) on[ \t]*.*\Z"), rx(r"\A[ \t]*.+(?:SMTP|smtp)=([^ ]+[@][^ ]+) on[ \t]*.*\Z"))
_MSEXCH = rx(r"\A[ \t]+(MSEXCH:.+)\Z")
_TO = rx(r"\A[ \t]+To:[ \t]+(.+)\Z")
_SUBJECT = rx(r"\A[ \t]+Subject:[ \t]+(.+)\Z")
_SENT = (
    rx(r"\A[ \t]+Sent:[ \t]+([A-Z][a-z]{2},.+[-+]\d{4})\Z"),
    rx(r"\A[ \t]+Sent:[ \t]+(\d+[/]\d+[/]\d+[ \t]+\d+:\d+:\d+[ \t].+)"),
)
_CODE = rx(r"\AMSEXCH:.+[ \t]*[(]([0-9A-F]{8})[)][ \t]*(.*)\Z")


def _is_exchange(head: Head) -> bool:
    if "x-ms-embedded-report" in head:
        return True
    if "x-mailer" in head and head["x-mailer"].startswith(
        ("Internet Mail Service (", "Microsoft Exchange Server Internet Mail Connector")
    ):
        return True
    if "x-mimeole" in head and head["x-mimeole"].startswith("Produced By Microsoft Exchange"):
        return True
    return any(" with Internet Mail Service (" in r for r in head.received)


def make(head: Head, body: str) -> Parsed | None:
    if not _is_exchange(head):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    statuspart = False
    conn = {"to": "", "date": "", "subject": ""}
    connvalues = 0
    msexch: dict[int, bool] = {}
    alterrors: dict[int, str] = {}
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if statuspart:
            continue
        if connvalues == len(conn):
            v = c.ds[-1]
            if found := (_RCPT[0].match(e) or _RCPT[1].match(e)):
                v = c.next_record()
                v["recipient"] = found.group(1)
                msexch[id(v)] = False
                c.recipients += 1
            elif found := _MSEXCH.match(e):
                v["diagnosis"] += found.group(1)
            elif msexch.get(id(v)):
                continue
            elif v["diagnosis"].startswith("MSEXCH:"):
                msexch[id(v)] = True
                v["diagnosis"] += " " + e
                statuspart = True
            else:
                alterrors[id(v)] = alterrors.get(id(v), "") + " " + e
        elif found := _TO.match(e):
            if not conn["to"]:
                conn["to"] = found.group(1)
                connvalues += 1
        elif found := _SUBJECT.match(e):
            if not conn["subject"]:
                conn["subject"] = found.group(1)
                connvalues += 1
        elif found := (_SENT[0].match(e) or _SENT[1].match(e)):  # noqa: SIM102 (elif chain: a match ends it)
            if not conn["date"]:
                conn["date"] = found.group(1)
                connvalues += 1
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if found := _CODE.match(rec["diagnosis"]):
            code, message = found.group(1, 2)
            for reason, codes in _ERRORCODES.items():
                if code in codes:
                    rec["reason"] = reason
                    rec["status"] = pseudo_status(reason)
                    break
            rec["diagnosis"] = message
        if rec["reason"]:
            continue
        alt = alterrors.get(id(rec), "")
        if alt:
            rec["diagnosis"] = sweep(alt + " " + rec["diagnosis"])
    if not rfc822:
        rfc822 = f"From: {conn['to']}\nDate: {conn['date']}\nSubject: {conn['subject']}\n"
    return Parsed(c.ds, rfc822)
