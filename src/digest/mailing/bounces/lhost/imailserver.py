"""Ipswitch IMail Server: "Undeliverable Mail" with an X-Mailer of <SMTP32 v...>."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"\AUndeliverable Mail[ ]*\Z")
_BACKBONE = rx(r"^Original[ ]message[ ]follows[.]", re.M)
_ERROR = "Body of message generated response:"
_COMMANDS = {
    "conn": rx(r"(?:SMTP connection failed,|Unexpected connection response from server:)"),
    "ehlo": rx(r"Unexpected response to EHLO/HELO:"),
    "mail": rx(r"Server response to MAIL FROM:"),
    "rcpt": rx(r"Additional RCPT TO generated following response:"),
    "data": rx(r"DATA command generated response:"),
}
_FAILURES = {
    "hostunknown": rx(r"Unknown host"),
    "userunknown": rx(r"\A(?:Unknown user|Invalid final delivery userid)"),
    "mailboxfull": rx(r"\AUser mailbox exceeds allowed size"),
    "virusdetected": rx(r"\ARequested action not taken: virus detected"),
    "undefined": rx(r"\Aundeliverable to"),
    "expired": rx(r"\ADelivery failed \d+ attempts"),
}
_RCPT = rx(r"\A([^ ]+)[ ](.+)[:][ \t]*([^ ]+[@][^ ]+)")
_UNDELIVERABLE = rx(r"\Aundeliverable[ ]+to[ ]+(.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not _SUBJECT.match(head["subject"]) and not ("x-mailer" in head and head["x-mailer"].startswith("<SMTP32 v")):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    alterrors: dict[int, str] = {}
    for e in lines(report):
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["diagnosis"] = found.group(1) + " " + found.group(2)
            v["recipient"] = found.group(3)
            c.recipients += 1
        elif found := _UNDELIVERABLE.match(e):
            v = c.next_record()
            v["recipient"] = address.s3s4(found.group(1))
            c.recipients += 1
        else:
            if alterrors.get(id(v)):
                alterrors[id(v)] += " " + e
            if _ERROR in e:
                alterrors[id(v)] = e
    if not c.recipients:
        return None
    for rec in c.ds:
        alt = alterrors.get(id(rec), "")
        if alt:
            rec["diagnosis"] = sweep(alt + " " + rec["diagnosis"])
        rec["diagnosis"] = sweep(rec["diagnosis"])
        for command, pattern in _COMMANDS.items():
            if pattern.search(rec["diagnosis"]):
                rec["command"] = command.upper()
                break
        for reason, pattern in _FAILURES.items():
            if pattern.search(rec["diagnosis"]):
                rec["reason"] = reason
                break
    return Parsed(c.ds, rfc822)
