"""Verizon Wireless (vtext.com, vzwpix.com) mobile messaging gateways."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.mime import boundary
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_VZWPIX = rx(r"[<]?sysadmin[@].+[.]vzwpix[.]com[>]?\Z")
_ERROR = rx(r"\AError:[ \t]")
_RCPT_TO = rx(r"\A[ \t]+RCPT TO: (.*)\Z")
_MAIL_FROM = rx(r"\A[ \t]+MAIL FROM:[ \t](.+)\Z")
_SUBJECT_INDENTED = rx(r"\A[ \t]+Subject:[ \t](.+)\Z")
_REPLY = rx(r"\A(\d{3})[ \t][-][ \t](.*)\Z")
_TO = rx(r"\ATo:[ \t]+(.*)\Z")
_FROM = rx(r"\AFrom:[ \t](.+)\Z")
_SUBJECT = rx(r"\ASubject:[ \t](.+)\Z")
_ERROR_TEXT = rx(r"\AError:[ \t]+(.+)\Z")
_HAS_FROM = rx(r"^From: ", re.M)
_HAS_SUBJECT = rx(r"^Subject: ", re.M)


def make(head: Head, body: str) -> Parsed | None:
    if not any(".vtext.com (" in r for r in head.received):
        return None
    match = -1
    if head["from"] == "post_master@vtext.com":
        match = 1
    if _VZWPIX.search(head["from"]):
        match = 0
    if match < 0:
        return None
    backbone = re.compile("__BOUNDARY_STRING_HERE__", re.M)
    b = boundary(head["content-type"], 1)
    if b:
        backbone = re.compile("^" + re.escape(b), re.M)
    report, rfc822 = fillet(body, backbone)
    c = Collector()
    cursor = False
    sender = ""
    subject = ""
    if match == 1:
        messages = {"userunknown": ("550 - Requested action not taken: no such user here",)}
        for e in lines(report):
            if not cursor:
                cursor = _ERROR.match(e) is not None
                continue
            if not e:
                continue
            v = c.ds[-1]
            if found := _RCPT_TO.match(e):
                v = c.next_record()
                v["recipient"] = found.group(1)
                c.recipients += 1
            elif found := _MAIL_FROM.match(e):
                sender = sender or found.group(1)
            elif found := _SUBJECT_INDENTED.match(e):
                subject = subject or found.group(1)
            elif _REPLY.match(e):
                v["diagnosis"] = e
    else:
        messages = {"userunknown": ("No valid recipients for this MM",)}
        for e in lines(report):
            if not cursor:
                cursor = e.startswith("Message could not be delivered to mobile")
                continue
            if not e:
                continue
            v = c.ds[-1]
            if found := _TO.match(e):
                v = c.next_record()
                v["recipient"] = address.s3s4(found.group(1))
                c.recipients += 1
            elif found := _FROM.match(e):
                sender = sender or address.s3s4(found.group(1))
            elif found := _SUBJECT.match(e):
                subject = subject or found.group(1)
            elif _ERROR_TEXT.match(e):
                v["diagnosis"] = e
    if not c.recipients:
        return None
    if not _HAS_FROM.search(rfc822):
        rfc822 += f"From: {sender}\n"
    if not _HAS_SUBJECT.search(rfc822):
        rfc822 += f"Subject: {subject}\n"
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(messages, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
