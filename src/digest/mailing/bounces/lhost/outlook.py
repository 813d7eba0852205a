"""Outlook.com / Hotmail: "Delivery Status Notification" with X-Message-Delivery headers."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "This is an automatically generated Delivery Status Notification"
_MESSAGES = {
    "hostunknown": ("The mail could not be delivered to the recipient because the domain is not reachable",),
    "userunknown": ("Requested action not taken: mailbox unavailable",),
}


def make(head: Head, body: str) -> Parsed | None:
    match = 0
    match += "Delivery Status Notification" in head["subject"]
    match += bool(head["x-message-delivery"])
    match += bool(head["x-message-info"])
    match += any(".hotmail.com" in r for r in head.received)
    if match < 2:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
        elif e and not c.dsn(e):
            c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if not rec["diagnosis"]:
            if rec["action"] == "delayed":
                rec["diagnosis"] = "Delivery to the following recipients has been delayed."
            else:
                rec["diagnosis"] = (
                    "Unable to deliver message to the following recipients, "
                    "due to being unable to connect successfully to the destination mail server."
                )
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
