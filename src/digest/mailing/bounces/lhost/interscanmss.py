"""Trend Micro InterScan Messaging Security Suite notifications."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, new_status, rx, sweep, u8
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECTS = ("Mail could not be delivered", u8("メッセージを配信できません。"), u8("メール配信に失敗しました"))
_BACKBONE = rx(r"^Content-type:[ ]message/rfc822", re.M)
_RCPT = (
    rx(r"\A.+[<>]{3}[ \t]+.+[<]([^ ]+[@][^ ]+)[>]\Z"),
    rx(r"\A.+[<>]{3}[ \t]+.+[<]([^ ]+[@][^ ]+)[>]"),
    rx(r"\A(?:Reason:[ ]+)?Unable[ ]to[ ]deliver[ ]message[ ]to[ ][<](.+)[>]"),
)
_UNABLE = rx(r"Unable[ ]to[ ]deliver[ ]")
_SENT = rx(r"\ASent[ \t]+[<]{3}[ \t]+([A-Z]{4})[ \t]")
_RECEIVED = rx(r"\AReceived[ \t]+[>]{3}[ \t]+(\d{3}[ \t]+.+)\Z")
_ARROWS = rx(r"[ ][<>]{3}[ ]")
_COMMAND = rx(r"[ ][>]{3}[ ]([A-Z]{4})")
_REPLY = rx(r"[ ][<]{3}[ ](.+)")


def make(head: Head, body: str) -> Parsed | None:
    if not (head["from"].startswith(('"InterScan MSS"', '"InterScan Notification"')) or head["subject"] in _SUBJECTS):
        return None
    report, rfc822 = fillet(body, _BACKBONE)
    ds = [new_status()]
    recipients = 0
    for e in lines(report):
        if not e:
            continue
        v = ds[-1]
        found = _RCPT[0].match(e) or _RCPT[1].match(e) or _RCPT[2].match(e)
        if found:
            cr = found.group(1)
            if v["recipient"] and cr != v["recipient"]:
                ds.append(new_status())
                v = ds[-1]
            v["recipient"] = cr
            if _UNABLE.search(e):
                v["diagnosis"] = e
            recipients = len(ds)
        if sent := _SENT.match(e):
            v["command"] = sent.group(1)
        elif received := _RECEIVED.match(e):
            v["diagnosis"] = received.group(1)
        elif _ARROWS.search(e):
            if command := _COMMAND.search(e):
                v["command"] = command.group(1)
            if reply := _REPLY.search(e):
                v["diagnosis"] = reply.group(1)
    if not recipients:
        return None
    for rec in ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if re.search(r"Unable[ ]to[ ]deliver", rec["diagnosis"]):
            rec["reason"] = "userunknown"
    return Parsed(ds, rfc822)
