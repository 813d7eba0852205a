"""au by KDDI (dion/auone-net): "Your mail sent on ... could not be delivered to"."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_FROM = rx(r"no-reply[@].+[.]dion[.]ne[.]jp")
_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_MESSAGE = rx(
    r"\AYour[ ]mail[ ](?:sent[ ]on:?[ ][A-Z][a-z]{2}[,]|attempted[ ]to[ ]be[ ]delivered[ ]on:?[ ][A-Z][a-z]{2}[,])"
)
_MESSAGES = {
    "mailboxfull": ("As their mailbox is full",),
    "norelaying": ("Due to the following SMTP relay error",),
    "hostunknown": ("As the remote domain doesnt exist",),
}
_RCPT = rx(r"\A[ \t]+Could not be delivered to: [<]([^ ]+[@][^ ]+)[>]")
_SENT_ON = rx(r"Your mail sent on: (.+)\Z")
_INDENTED = rx(r"\A[ \t]+")


def make(head: Head, body: str) -> Parsed | None:
    match = _FROM.search(head["from"]) is not None or head["reply-to"] == "no-reply@app.auone-net.jp"
    match = match or any("ezweb.ne.jp (" in r or ".au.com (" in r for r in head.received)
    if not match:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor and _MESSAGE.match(e):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            r = address.s3s4(found.group(1))
            if not address.is_emailaddress(r):
                continue
            v["recipient"] = r
            c.recipients += 1
        elif found := _SENT_ON.search(e):
            v["date"] = found.group(1)
        elif _INDENTED.match(e):
            v["diagnosis"] += e + " "
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if "x-spasign" in head and head["x-spasign"] == "NG":
            rec["reason"] = "filtered"
        elif rec["command"] == "RCPT":
            rec["reason"] = "userunknown"
        else:
            rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
