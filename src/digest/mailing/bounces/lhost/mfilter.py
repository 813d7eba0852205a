"""Digital Arts m-FILTER: "failure notice" with X-Mailer: m-FILTER."""

from __future__ import annotations

import re

from digest.mailing.bounces import rfc5322
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^-------original[ ](?:message|mail[ ]info)", re.M)
_COMMAND_MARK = "-------SMTP command"
_ERROR_MARK = "-------server message"
_MESSAGE = rx(r"\A[^ ]+[@][^ ]+[.][a-zA-Z]+\Z")
_RCPT = rx(r"\A([^ ]+[@][^ ]+)\Z")
_COMMAND = rx(r"\A[A-Z]{4}")


def make(head: Head, body: str) -> Parsed | None:
    if head["x-mailer"] != "m-FILTER" or head["subject"] != "failure notice":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    in_command = False
    for e in lines(report):
        if not cursor and _MESSAGE.match(e):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif _COMMAND.match(e):
            if not v["command"] and in_command:
                v["command"] = e
        elif e == _ERROR_MARK:
            pass
        elif e == _COMMAND_MARK:
            in_command = True
        elif not e.startswith("-") and not v["diagnosis"]:
            v["diagnosis"] = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if not head.received:
            continue
        rhosts = rfc5322.received(head.received[-1])
        first = rfc5322.received(head.received[0])
        rec["lhost"] = rec["lhost"] or (first[0] if first else "")
        for host in rhosts:
            if "." in host:
                rec["rhost"] = host
    return Parsed(c.ds, rfc822)
