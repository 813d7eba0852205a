"""OpenSMTPD: "Delivery status notification" from the MAILER-DAEMON."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^[ ]+Below is a copy of the original message:", re.M)
_START = "    This is the MAILER-DAEMON, please DO NOT REPLY to this"
_MESSAGES = {
    "expired": ("Envelope expired",),
    "hostunknown": ("Invalid domain name", "Domain does not exist"),
    "notaccept": ("Destination seem to reject all mails",),
    "networkerror": (
        "Address family mismatch on destination MXs",
        "All routes to destination blocked",
        "bad DNS lookup error code",
        "Could not retrieve source address",
        "Loop detected",
        "Network error on destination MXs",
        "No MX found for domain",
        "No MX found for destination",
        "No valid route to remote MX",
        "No valid route to destination",
        "Temporary failure in MX lookup",
    ),
    "securityerror": ("Could not retrieve credentials",),
}
_RCPT = rx(r"\A([^ ]+?[@][^ ]+?):?[ ](.+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "Delivery status notification" not in head["subject"] or "Mailer Daemon <" not in head["from"]:
        return None
    if not any(" (OpenSMTPD) with " in r for r in head.received):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if e and (found := _RCPT.match(e)):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1, 2)
            c.recipients += 1
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
