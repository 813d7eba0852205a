"""Sendmail version 5: "Returned mail: ..." with a session transcript."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"\AReturned mail: [A-Z]")
_BACKBONE = rx(r"^[ ]+-----[ ](?:Unsent[ ]message[ ]follows|No[ ]message[ ]was[ ]collected)[ ]-----", re.M)
_START = "----- Transcript of session follows -----"
_ERROR = rx(r"\A[.]+ while talking to .+[:]\Z")
_RCPT = rx(r"\A\d{3}[ \t]+[<]([^ ]+[@][^ ]+)[>][.]{3}[ \t]*(.+)\Z")
_SENT = rx(r"\A[>]{3}[ \t]*([A-Z]{4})[ \t]*")
_RECEIVED = rx(r"\A[<]{3}[ ]+(.+)\Z")
_OTHER = rx(r"\A\d{3}[ \t]+.+[.]{3}[ \t]*(.+)\Z")
_TO = rx(r"^To:[ ]*(.+)", re.M)
_ADDRESS = rx(r"\A[^ ]+[@][^ ]+\Z")
_IN_BRACKETS = rx(r"[<]([^ ]+[@][^ ]+)[>]")


def make(head: Head, body: str) -> Parsed | None:
    if not _SUBJECT.match(head["subject"]):
        return None
    report, rfc822 = fillet(body, _BACKBONE)
    if not rfc822:
        return None
    c = Collector()
    cursor = False
    another = ""
    responding: dict[int, str] = {}
    commands: dict[int, str] = {}
    sessionerr: set[int] = set()
    for e in lines(report):
        if not cursor:
            cursor = _START in e
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1, 2)
            if responding.get(c.recipients):
                v["diagnosis"] += ": " + responding[c.recipients]
            c.recipients += 1
        elif found := _SENT.match(e):
            commands[c.recipients] = found.group(1)
        elif found := _RECEIVED.match(e):
            responding[c.recipients] = found.group(1)
        elif id(v) in sessionerr:
            continue
        elif _ERROR.match(e):
            sessionerr.add(id(v))
        elif found := _OTHER.match(e):
            another = found.group(1)
    if c.recipients == 0 and (to := _TO.search(rfc822)):
        c.ds[0]["recipient"] = address.s3s4(to.group(1))
        c.recipients = 1
    if not c.recipients:
        return None
    for index, rec in enumerate(c.ds):
        rec["command"] = commands.get(index, "")
        if another:
            rec["diagnosis"] = rec["diagnosis"] or another
        else:
            rec["diagnosis"] = rec["diagnosis"] or responding.get(index, "")
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if _ADDRESS.match(rec["recipient"]):
            continue
        if found := _IN_BRACKETS.search(rec["diagnosis"]):
            rec["recipient"] = found.group(1)
    return Parsed(c.ds, rfc822)
